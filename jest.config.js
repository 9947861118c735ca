/** Tests mirror the source layout under test/. Integration tests open real loopback sockets,
 *  so files run in parallel workers but each test keeps its own ports. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  maxWorkers: 2,
  // A fresh worker for every test file: ZeroMQ sockets a file leaves for the garbage collector
  // are then torn down with their process, not while the next file's sockets are working (a
  // libzmq assertion in pipe termination aborted a later file's worker once in several runs).
  workerIdleMemoryLimit: '1MB',
};
