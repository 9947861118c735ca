/** Named errors with a stable code; the CLI maps codes to exit codes in one place (cli/main.ts). */
export class CopyBridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** What the user should do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad configuration value (file, environment or flag). */
export class ConfigError extends CopyBridgeError {
  constructor(message: string, hint?: string) {
    super('E_CONFIG', message, hint);
  }
}

/** An account record that cannot be used as given. */
export class AccountError extends CopyBridgeError {
  constructor(message: string, hint?: string) {
    super('E_ACCOUNT', message, hint);
  }
}

export class NotFoundError extends CopyBridgeError {
  constructor(message: string, hint?: string) {
    super('E_NOT_FOUND', message, hint);
  }
}

/** The store could not be opened or reached. */
export class StoreError extends CopyBridgeError {
  constructor(message: string, hint?: string, code = 'E_STORE') {
    super(code, message, hint);
  }
}

/** A socket could not be bound. */
export class TransportError extends CopyBridgeError {
  constructor(message: string, hint?: string) {
    super('E_TRANSPORT', message, hint);
  }
}
