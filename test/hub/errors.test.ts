/** The error model: one hierarchy, a code per class, an exit code per code, causes kept. */
import { exitCodeFor } from '../../hub/cli/main';
import {
  AccountError,
  ConfigError,
  CopyBridgeError,
  EXIT_CODES,
  NotFoundError,
  StoreError,
  TransportError,
  UsageError,
  type ErrorCode,
} from '../../hub/errors';
import { ProtocolError } from '../../hub/protocol';

describe('CopyBridgeError', () => {
  it('names each subclass and gives it its code, message and hint', () => {
    const cases: [CopyBridgeError, string, ErrorCode][] = [
      [new UsageError('bad flag', 'see --help'), 'UsageError', 'E_USAGE'],
      [new ConfigError('bad port', 'use 5555'), 'ConfigError', 'E_CONFIG'],
      [new AccountError('bad name', 'rename it'), 'AccountError', 'E_ACCOUNT'],
      [new NotFoundError('no account', 'list them'), 'NotFoundError', 'E_NOT_FOUND'],
      [new StoreError('down', 'start it'), 'StoreError', 'E_STORE'],
      [new TransportError('busy', 'stop it'), 'TransportError', 'E_TRANSPORT'],
      [new ProtocolError('E_NOT_JSON', 'not JSON'), 'ProtocolError', 'E_NOT_JSON'],
    ];
    for (const [e, name, code] of cases) {
      expect(e).toBeInstanceOf(CopyBridgeError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toBe(code);
      expect(String(e)).toBe(`${name}: ${e.message}`);
    }
    expect(new ConfigError('bad port', 'use 5555').hint).toBe('use 5555');
    expect(new StoreError('locked', undefined, { code: 'E_STORE_LOCKED' }).code).toBe('E_STORE_LOCKED');
  });

  it('keeps the error it wraps as its cause, stack included', () => {
    const driver = new Error('connect ECONNREFUSED 127.0.0.1:27017');
    const e = new StoreError('cannot reach MongoDB', 'start it', { code: 'E_STORE_UNREACHABLE', cause: driver });
    expect(e.cause).toBe(driver);
    expect((e.cause as Error).stack).toBe(driver.stack);
    expect(new TransportError('cannot bind', undefined, { cause: driver }).cause).toBe(driver);
    expect(new ConfigError('no cause').cause).toBeUndefined();
    expect('cause' in new StoreError('no cause', undefined, { code: 'E_STORE_REJECTED' })).toBe(false);
  });

  it('keeps what a protocol error could read of the offending message', () => {
    const e = new ProtocolError('E_UNKNOWN_TYPE', 'unknown type', { account: 'A', type: 'teleport', seq: 3 });
    expect(e.ref).toEqual({ account: 'A', type: 'teleport', seq: 3 });
    expect(new ProtocolError('E_TOO_LARGE', 'too large').ref).toEqual({});
  });
});

describe('exit codes', () => {
  it('keep the documented values', () => {
    expect(EXIT_CODES).toEqual({
      E_USAGE: 64,
      E_CONFIG: 2,
      E_ACCOUNT: 3,
      E_NOT_FOUND: 4,
      E_STORE: 5,
      E_STORE_AUTH: 5,
      E_STORE_UNREACHABLE: 5,
      E_STORE_LOCKED: 5,
      E_STORE_READONLY: 5,
      E_STORE_REJECTED: 5,
      E_TRANSPORT: 6,
      E_TOO_LARGE: 1,
      E_NOT_JSON: 1,
      E_INVALID_MESSAGE: 1,
      E_UNKNOWN_TYPE: 1,
      E_VERSION: 1,
    });
  });

  it('come from the table for every CopyBridgeError and are 1 for anything else', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(64);
    expect(exitCodeFor(new ConfigError('x'))).toBe(2);
    expect(exitCodeFor(new AccountError('x'))).toBe(3);
    expect(exitCodeFor(new NotFoundError('x'))).toBe(4);
    expect(exitCodeFor(new StoreError('x', undefined, { code: 'E_STORE_AUTH' }))).toBe(5);
    expect(exitCodeFor(new TransportError('x'))).toBe(6);
    expect(exitCodeFor(new ProtocolError('E_VERSION', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('unforeseen'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });
});
