/**
 * MqlTradeResult.retcode values the simulated broker produces, with the short descriptions the EA
 * puts into result messages (the same words MetaTrader shows in the Experts tab).
 */
export const Retcode = {
  REQUOTE: 10004,
  REJECT: 10006,
  CANCEL: 10007,
  PLACED: 10008,
  DONE: 10009,
  DONE_PARTIAL: 10010,
  ERROR: 10011,
  TIMEOUT: 10012,
  INVALID: 10013,
  INVALID_VOLUME: 10014,
  INVALID_PRICE: 10015,
  INVALID_STOPS: 10016,
  TRADE_DISABLED: 10017,
  MARKET_CLOSED: 10018,
  NO_MONEY: 10019,
  PRICE_CHANGED: 10020,
  PRICE_OFF: 10021,
  TOO_MANY_REQUESTS: 10024,
  NO_CHANGES: 10025,
  SERVER_DISABLES_AT: 10026,
  CLIENT_DISABLES_AT: 10027,
  LOCKED: 10028,
  FROZEN: 10029,
  INVALID_FILL: 10030,
  CONNECTION: 10031,
  LIMIT_VOLUME: 10034,
  POSITION_CLOSED: 10036,
  INVALID_CLOSE_VOLUME: 10038,
  LIMIT_POSITIONS: 10040,
  LONG_ONLY: 10042,
  SHORT_ONLY: 10043,
  CLOSE_ONLY: 10044,
  HEDGE_PROHIBITED: 10046,
} as const;

const MESSAGES: Record<number, string> = {
  10004: 'requote',
  10006: 'rejected',
  10007: 'canceled',
  10008: 'placed',
  10009: 'done',
  10010: 'done partially',
  10011: 'error',
  10012: 'timeout',
  10013: 'invalid request',
  10014: 'invalid volume',
  10015: 'invalid price',
  10016: 'invalid stops',
  10017: 'trade disabled',
  10018: 'market closed',
  10019: 'no money',
  10020: 'price changed',
  10021: 'off quotes',
  10024: 'too many requests',
  10025: 'no changes',
  10026: 'autotrading disabled by server',
  10027: 'autotrading disabled by client',
  10028: 'locked',
  10029: 'frozen',
  10030: 'invalid fill',
  10031: 'no connection',
  10034: 'volume limit reached',
  10036: 'position closed',
  10038: 'invalid close volume',
  10040: 'positions limit reached',
  10042: 'only long positions allowed',
  10043: 'only short positions allowed',
  10044: 'only close allowed',
  10046: 'hedge prohibited',
};

export function retcodeMessage(code: number): string {
  return MESSAGES[code] ?? `retcode ${code}`;
}

/** Codes after which the EA sends the same order again with a fresh price (docs/install-windows.md). */
export const RETRYABLE_RETCODES: ReadonlySet<number> = new Set([Retcode.REQUOTE, Retcode.PRICE_CHANGED, Retcode.PRICE_OFF]);
