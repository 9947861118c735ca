/** Shared test helpers: import from 'test/helpers' (relative path) rather than writing local copies. */
export { sleep, until, type UntilOptions } from './wait';
export { tempDir, removeTempDirs } from './tmp';
export { freePort, freePorts, portOpen } from './ports';
