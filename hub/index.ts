/** Public surface of the hub package. */
export { startHub, type RunningHub, type StartOptions } from './hub';
export { loadConfig, makeConfig, DEFAULTS, type HubConfig } from './config';
export { validateAccount, type Account } from './accounts';
export * as protocol from './protocol';
export { Engine } from './engine';
export { CopyBridgeError, ConfigError, AccountError, StoreError, TransportError, NotFoundError } from './errors';
