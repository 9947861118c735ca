/** Public surface of the hub package. */
export { startHub, type RunningHub, type StartOptions } from './hub';
export { loadConfig, makeConfig, DEFAULTS, type HubConfig } from './config';
export { validateAccount, type Account } from './accounts';
export * as protocol from './protocol';
export { Engine } from './engine';
export {
  CopyBridgeError,
  UsageError,
  ConfigError,
  AccountError,
  NotFoundError,
  StoreError,
  TransportError,
  EXIT_CODES,
  type ErrorCode,
  type ProtocolErrorCode,
  type StoreErrorCode,
} from './errors';
