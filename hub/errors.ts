/**
 * The hub's one error model. Every error the hub raises on purpose is a CopyBridgeError: a code
 * from the closed list ErrorCode, a message saying what happened, a hint saying what to do, and,
 * when it wraps an error of a driver, the file system or a socket, that error as its cause (so its
 * stack is kept). The CLI turns codes into exit codes through EXIT_CODES, in one place (cli/main.ts).
 */

/** Why a terminal's message was not accepted; sent back to the terminal in an `error` message. */
export type ProtocolErrorCode = 'E_TOO_LARGE' | 'E_NOT_JSON' | 'E_INVALID_MESSAGE' | 'E_UNKNOWN_TYPE' | 'E_VERSION';

export type StoreErrorCode = 'E_STORE' | 'E_STORE_AUTH' | 'E_STORE_UNREACHABLE' | 'E_STORE_LOCKED' | 'E_STORE_READONLY' | 'E_STORE_REJECTED';

export type ErrorCode = 'E_USAGE' | 'E_CONFIG' | 'E_ACCOUNT' | 'E_NOT_FOUND' | StoreErrorCode | 'E_TRANSPORT' | ProtocolErrorCode;

/** Exit code of the `hub` command for each error code; 1 stays for errors nobody named. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  // sysexits.h EX_USAGE, what shells and scripts expect of a mistyped command line.
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
  // A bad message is answered to its terminal and the hub keeps running; these never end a command.
  E_TOO_LARGE: 1,
  E_NOT_JSON: 1,
  E_INVALID_MESSAGE: 1,
  E_UNKNOWN_TYPE: 1,
  E_VERSION: 1,
};

export abstract class CopyBridgeError extends Error {
  protected constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the user should do about it. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The base of the error classes whose instances all carry one code. */
function withCode<C extends ErrorCode>(code: C) {
  return class extends CopyBridgeError {
    declare readonly code: C;

    constructor(message: string, hint?: string, options?: ErrorOptions) {
      super(code, message, hint, options);
    }
  };
}

/** A command line yargs cannot parse. */
export class UsageError extends withCode('E_USAGE') {}

/** Bad configuration value (file, environment or flag). */
export class ConfigError extends withCode('E_CONFIG') {}

/** An account record that cannot be used as given. */
export class AccountError extends withCode('E_ACCOUNT') {}

/** Something named on the command line does not exist. */
export class NotFoundError extends withCode('E_NOT_FOUND') {}

/** A socket could not be bound. */
export class TransportError extends withCode('E_TRANSPORT') {}

/** The store could not be opened, reached or written; `code` says which way (default E_STORE). */
export class StoreError extends CopyBridgeError {
  declare readonly code: StoreErrorCode;

  constructor(message: string, hint?: string, options: ErrorOptions & { code?: StoreErrorCode } = {}) {
    super(options.code ?? 'E_STORE', message, hint, options);
  }
}
