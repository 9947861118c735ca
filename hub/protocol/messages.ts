/**
 * Protocol v1: the one definition of every message. TypeScript types, runtime validators and
 * docs/protocol.md (npm run docs:protocol) are all derived from the schemas below.
 */
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';

export const PROTOCOL_VERSION = 1;

const Num = (description: string) => Type.Number({ description });
const Int = (description: string) => Type.Integer({ description });
const Str = (description: string, opts: { minLength?: number; maxLength?: number } = {}) =>
  Type.String({ description, ...opts });

const Side = Type.Union([Type.Literal('buy'), Type.Literal('sell')], { description: '"buy" or "sell"' });
export type Side = Static<typeof Side>;

/** Position identity used across the protocol: POSITION_IDENTIFIER as a decimal string (MQL5 ulong). */
const PositionId = Str('position identifier (POSITION_IDENTIFIER / DEAL_POSITION_ID), decimal string', {
  minLength: 1,
  maxLength: 24,
});
const Ticket = Str('ticket (POSITION_TICKET, DEAL_TICKET or ORDER_TICKET), decimal string', {
  maxLength: 24,
});

/** Fields every message carries. */
const envelope = {
  v: Type.Literal(PROTOCOL_VERSION, { description: 'protocol version, always 1' }),
  account: Str('account name as registered on the hub (terminal to hub: the sender; hub to terminal: the addressee)', {
    minLength: 1,
    maxLength: 64,
  }),
  seq: Int('sender sequence number, +1 per message, per sender'),
  ts: Num('sender wall-clock time, ms since the Unix epoch'),
};

interface MessageDef<P extends TProperties> {
  schema: TObject<P>;
  direction: 'terminal-to-hub' | 'hub-to-terminal';
  summary: string;
  example: Record<string, unknown>;
}

function message<T extends string, P extends TProperties>(
  type: T,
  direction: MessageDef<P>['direction'],
  summary: string,
  properties: P,
  example: Record<string, unknown>,
) {
  const schema = Type.Object(
    { ...envelope, type: Type.Literal(type, { description: `message type, "${type}"` }), ...properties },
    { additionalProperties: true, description: summary },
  );
  return { type, schema, direction, summary, example: { v: 1, type, ...example } } as const;
}

// ---------------------------------------------------------------- shared structures

/** Who made a position or order and, for copies, what the EA journal says it copies. */
const made = (what: 'position' | 'order', time: string, id: string) => ({
  magic: Int(`magic number (${what.toUpperCase()}_MAGIC)`),
  comment: Str(`${what} comment (may be rewritten by the broker)`, { maxLength: 64 }),
  time_ms: Num(time),
  master: Type.Optional(Str(`for copies: the master account the EA journal records for this ${what}`, { maxLength: 64 })),
  master_position: Type.Optional(Str(`for copies: ${id} from the EA journal`, { maxLength: 24 })),
});

export const PositionSchema = Type.Object(
  {
    ticket: Ticket,
    position: PositionId,
    symbol: Str('symbol name in this terminal', { minLength: 1, maxLength: 64 }),
    side: Side,
    volume: Num('lots'),
    price_open: Num('open price'),
    sl: Num('stop loss price, 0 for none'),
    tp: Num('take profit price, 0 for none'),
    ...made('position', 'open time, ms since the Unix epoch', 'the master position identifier'),
  },
  { description: 'one open position' },
);
export type Position = Static<typeof PositionSchema>;

export const SymbolSpecSchema = Type.Object(
  {
    name: Str('symbol name in this terminal', { minLength: 1, maxLength: 64 }),
    digits: Int('SYMBOL_DIGITS'),
    point: Num('SYMBOL_POINT'),
    volume_min: Num('SYMBOL_VOLUME_MIN'),
    volume_step: Num('SYMBOL_VOLUME_STEP'),
    volume_max: Num('SYMBOL_VOLUME_MAX'),
    volume_limit: Type.Optional(Num('SYMBOL_VOLUME_LIMIT, 0 for none')),
    contract_size: Num('SYMBOL_TRADE_CONTRACT_SIZE'),
    tick_value: Type.Optional(Num('SYMBOL_TRADE_TICK_VALUE: value of one tick_size move of 1 lot, in the account currency (risk sizing)')),
    filling_modes: Int('SYMBOL_FILLING_MODE bit mask: 1 FOK, 2 IOC'),
    trade_mode: Type.Union(
      [Type.Literal('full'), Type.Literal('disabled'), Type.Literal('longonly'), Type.Literal('shortonly'), Type.Literal('closeonly')],
      { description: 'SYMBOL_TRADE_MODE' },
    ),
    stops_level: Type.Optional(Int('SYMBOL_TRADE_STOPS_LEVEL, points')),
    freeze_level: Type.Optional(Int('SYMBOL_TRADE_FREEZE_LEVEL, points')),
    tick_size: Type.Optional(Num('SYMBOL_TRADE_TICK_SIZE: the price grid (index CFDs and futures: 0.25, 0.1, 5) and the unit of tick_value (risk sizing); absent: the point')),
  },
  { description: 'the trading facts of one symbol' },
);
export type SymbolSpec = Static<typeof SymbolSpecSchema>;

const OrderType = Type.Union(
  [Type.Literal('buy_limit'), Type.Literal('sell_limit'), Type.Literal('buy_stop'), Type.Literal('sell_stop'), Type.Literal('buy_stop_limit'), Type.Literal('sell_stop_limit')],
  { description: 'ORDER_TYPE of a pending order' },
);
export type OrderType = Static<typeof OrderType>;
const OrderExpiry = Type.Union([Type.Literal('gtc'), Type.Literal('day'), Type.Literal('specified'), Type.Literal('specified_day')], {
  description: 'ORDER_TYPE_TIME: gtc (until canceled), day (the trading day), specified (until expiration_ms), specified_day (until the end of the day of expiration_ms)',
});
export type OrderExpiry = Static<typeof OrderExpiry>;

/** What a pending order is, as reported and as placed (without ticket). */
/** Where a pending order waits: what a modification changes. */
const orderTarget = {
  price: Num('ORDER_PRICE_OPEN: the price the order triggers at'),
  stoplimit: Type.Optional(Num('ORDER_PRICE_STOPLIMIT: for stop-limit orders, the limit price placed once the stop price is reached')),
  sl: Num('stop loss, 0 for none'),
  tp: Num('take profit, 0 for none'),
  expiration: OrderExpiry,
  expiration_ms: Type.Optional(Num('ORDER_TIME_EXPIRATION, ms since the Unix epoch (specified, specified_day)')),
};
const orderFields = {
  symbol: Str('symbol name in this terminal', { minLength: 1, maxLength: 64 }),
  order_type: OrderType,
  volume: Num('ORDER_VOLUME_CURRENT, lots (of a filled order: the volume filled)'),
  ...orderTarget,
};

export const PendingOrderSchema = Type.Object(
  {
    ticket: Ticket,
    ...orderFields,
    ...made('order', 'ORDER_TIME_SETUP_MSC, ms since the Unix epoch', 'the master order ticket (the master position identifier once it fills)'),
  },
  { description: 'one pending order (limit, stop, stop-limit)' },
);
export type PendingOrder = Static<typeof PendingOrderSchema>;

// ---------------------------------------------------------------- terminal to hub

export const Hello = message(
  'hello',
  'terminal-to-hub',
  'First message of a terminal (and repeated every second until a welcome arrives). The hub answers with welcome, or error if the account is not registered.',
  {
    login: Int('ACCOUNT_LOGIN'),
    server: Str('ACCOUNT_SERVER', { maxLength: 128 }),
    broker: Str('ACCOUNT_COMPANY', { maxLength: 128 }),
    currency: Str('ACCOUNT_CURRENCY', { maxLength: 16 }),
    margin_mode: Type.Union([Type.Literal('hedging'), Type.Literal('netting'), Type.Literal('exchange')], {
      description: 'ACCOUNT_MARGIN_MODE',
    }),
    ea_version: Str('version of the EA', { maxLength: 32 }),
  },
  { account: 'FTMO-1', seq: 1, ts: 1763900000000, login: 5012345, server: 'FTMO-Demo', broker: 'FTMO S.R.O.', currency: 'USD', margin_mode: 'hedging', ea_version: '1.0.0' },
);

export const Heartbeat = message(
  'heartbeat',
  'terminal-to-hub',
  'Sent every few seconds and in answer to ping; a terminal silent for 3 intervals is offline.',
  {
    balance: Num('ACCOUNT_BALANCE'),
    equity: Num('ACCOUNT_EQUITY'),
    margin: Num('ACCOUNT_MARGIN'),
    free_margin: Type.Optional(Num('ACCOUNT_MARGIN_FREE')),
    trade_allowed: Type.Optional(Type.Boolean({ description: 'terminal and EA may trade (algo trading on)' })),
  },
  { account: 'FTMO-1', seq: 7, ts: 1763900005000, balance: 100000, equity: 100120.5, margin: 350, free_margin: 99770.5, trade_allowed: true },
);

export const Snapshot = message(
  'snapshot',
  'terminal-to-hub',
  'The complete list of open positions; sent after welcome, on request, after every reconnect and periodically. The hub reconciles it against what it believes. A list too long for one message goes in parts (snapshot_id, part, parts), each under the size limit; the hub reconciles only a complete snapshot, drops an incomplete one when a newer one starts, and asks again (snapshot_request) when parts are missing for a while.',
  {
    positions: Type.Array(PositionSchema, { description: 'all open positions of the account, or of this part', maxItems: 5000 }),
    orders: Type.Optional(Type.Array(PendingOrderSchema, { description: 'all pending orders of the account, or of this part (absent: an EA that does not report them; the hub then leaves pending copies alone)', maxItems: 5000 })),
    snapshot_id: Type.Optional(Str('a snapshot sent in parts: the same id on every part, new for every snapshot', { minLength: 1, maxLength: 32 })),
    part: Type.Optional(Type.Integer({ minimum: 1, description: 'with snapshot_id: the number of this part, 1 to parts' })),
    parts: Type.Optional(Type.Integer({ minimum: 1, description: 'with snapshot_id: how many parts the snapshot has; the hub uses it once all have arrived' })),
    margin_mode: Type.Optional(
      Type.Union([Type.Literal('hedging'), Type.Literal('netting'), Type.Literal('exchange')], { description: 'ACCOUNT_MARGIN_MODE (lets a restarted hub resume without a new hello)' }),
    ),
  },
  {
    account: 'FTMO-1', seq: 3, ts: 1763900001000,
    positions: [{ ticket: '5001', position: '5001', symbol: 'EURUSD', side: 'buy', volume: 0.5, price_open: 1.0841, sl: 1.08, tp: 1.09, magic: 0, comment: '', time_ms: 1763899000000 }],
  },
);

export const Deal = message(
  'deal',
  'terminal-to-hub',
  'A deal added to the account history (TRADE_TRANSACTION_DEAL_ADD), with the state of its position after the deal.',
  {
    deal: Ticket,
    order: Type.Optional(Ticket),
    position: PositionId,
    position_by: Type.Optional(Str('for entry "out_by": the opposite position that closed this one', { maxLength: 24 })),
    symbol: Str('symbol name in this terminal', { minLength: 1, maxLength: 64 }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')], { description: 'DEAL_TYPE: direction of the deal itself' }),
    entry: Type.Union([Type.Literal('in'), Type.Literal('out'), Type.Literal('inout'), Type.Literal('out_by')], {
      description: 'DEAL_ENTRY: in = open or add, out = close or partial close, inout = netting reversal, out_by = close by opposite position',
    }),
    volume: Num('deal volume, lots'),
    price: Num('deal price'),
    sl: Type.Optional(Num('position stop loss after the deal, 0 for none')),
    tp: Type.Optional(Num('position take profit after the deal, 0 for none')),
    magic: Int('DEAL_MAGIC'),
    comment: Str('DEAL_COMMENT', { maxLength: 64 }),
    reason: Type.Union(
      [Type.Literal('client'), Type.Literal('mobile'), Type.Literal('web'), Type.Literal('expert'), Type.Literal('sl'), Type.Literal('tp'), Type.Literal('so'), Type.Literal('rollover'), Type.Literal('vmargin'), Type.Literal('split'), Type.Literal('other')],
      { description: 'DEAL_REASON' },
    ),
    time_ms: Num('DEAL_TIME_MSC'),
    position_volume: Num('volume of the position after this deal, 0 when closed'),
    position_side: Type.Optional(Side),
  },
  {
    account: 'FTMO-1', seq: 12, ts: 1763900002000, deal: '9001', order: '8001', position: '5001', symbol: 'EURUSD', side: 'buy', entry: 'in',
    volume: 0.5, price: 1.0841, sl: 1.08, tp: 1.09, magic: 0, comment: '', reason: 'client', time_ms: 1763900001990, position_volume: 0.5, position_side: 'buy',
  },
);

export const PositionChange = message(
  'position',
  'terminal-to-hub',
  'A position changed without a deal (TRADE_TRANSACTION_POSITION): SL/TP edit or a server-side change.',
  {
    position: PositionId,
    symbol: Str('symbol', { minLength: 1, maxLength: 64 }),
    side: Side,
    volume: Num('lots'),
    sl: Num('stop loss, 0 for none'),
    tp: Num('take profit, 0 for none'),
  },
  { account: 'FTMO-1', seq: 13, ts: 1763900003000, position: '5001', symbol: 'EURUSD', side: 'buy', volume: 0.5, sl: 1.081, tp: 1.095 },
);

export const OrderChange = message(
  'order',
  'terminal-to-hub',
  'A pending order was placed, modified, removed (canceled, expired, rejected) or filled (TRADE_TRANSACTION_ORDER_ADD / ORDER_UPDATE / ORDER_DELETE, HISTORY_ADD). A filled order\'s position identifier is its ticket.',
  {
    state: Type.Union([Type.Literal('placed'), Type.Literal('modified'), Type.Literal('removed'), Type.Literal('filled')], {
      description: 'placed: a new pending order; modified: its price, SL/TP or expiry changed; removed: canceled, expired or rejected without a fill; filled: it became (part of) a position',
    }),
    order: PendingOrderSchema,
    position: Type.Optional(Str('for filled: the position identifier the fill made (the order ticket)', { maxLength: 24 })),
    reason: Type.Optional(Str('for removed: canceled, expired, rejected', { maxLength: 32 })),
  },
  {
    account: 'FTMO-1', seq: 14, ts: 1763900004000, state: 'placed',
    order: { ticket: '5003', symbol: 'EURUSD', order_type: 'buy_limit', volume: 0.5, price: 1.08, sl: 1.075, tp: 1.09, expiration: 'gtc', magic: 0, comment: '', time_ms: 1763900003990 },
  },
);

export const Symbols = message(
  'symbols',
  'terminal-to-hub',
  'Symbol specifications, sent after welcome in chunks that fit the size limit (first chunk replace=true).',
  {
    replace: Type.Boolean({ description: 'true: this chunk starts a new list; false: add to the previous chunks' }),
    symbols: Type.Array(SymbolSpecSchema, { maxItems: 5000 }),
  },
  {
    account: 'FTMO-1', seq: 2, ts: 1763900000500, replace: true,
    symbols: [{ name: 'EURUSD', digits: 5, point: 0.00001, volume_min: 0.01, volume_step: 0.01, volume_max: 100, contract_size: 100000, filling_modes: 1, trade_mode: 'full' }],
  },
);

export const Tick = message(
  'tick',
  'terminal-to-hub',
  'Latest quote of a symbol the hub asked to watch (sent on change, at most every 100 ms per symbol).',
  { symbol: Str('symbol', { minLength: 1, maxLength: 64 }), bid: Num('bid'), ask: Num('ask'), time_ms: Num('tick time, ms since epoch') },
  { account: 'Apex-2', seq: 44, ts: 1763900002100, symbol: 'EURUSD.c', bid: 1.0839, ask: 1.0841, time_ms: 1763900002090 },
);

const ResultStatus = Type.Union(
  [Type.Literal('done'), Type.Literal('partial'), Type.Literal('rejected'), Type.Literal('refused'), Type.Literal('duplicate'), Type.Literal('expired'), Type.Literal('placed')],
  {
    description:
      'done: executed; partial: executed in part; rejected: the broker refused (retcode); refused: the EA refused before sending (reason); duplicate: already executed (same cmd_id or master position already copied), ticket names the existing copy; expired: not executed within ttl_ms of its receipt (or, without ttl_ms, after expires_ms); placed: in progress, an exchange accepted the order (retcode 10008) and the EA sends a second result with the same cmd_id when it fills or is canceled',
  },
);

export const Result = message(
  'result',
  'terminal-to-hub',
  'Outcome of a command, echoing its cmd_id.',
  {
    cmd_id: Str('the command id', { minLength: 1, maxLength: 64 }),
    status: ResultStatus,
    retcode: Int('MqlTradeResult.retcode (0 when nothing was sent)'),
    message: Str('retcode description or refusal reason, human readable', { maxLength: 512 }),
    ticket: Type.Optional(Str('resulting position ticket', { maxLength: 24 })),
    position: Type.Optional(Str('resulting position identifier', { maxLength: 24 })),
    deal: Type.Optional(Str('deal ticket', { maxLength: 24 })),
    price: Type.Optional(Num('fill price')),
    volume: Type.Optional(Num('filled volume')),
    remaining_volume: Type.Optional(Num('volume of the position left after a close')),
  },
  { account: 'Apex-2', seq: 45, ts: 1763900002104, cmd_id: 'c-1763900002001-1', status: 'done', retcode: 10009, message: 'done', ticket: '7001', position: '7001', price: 1.0841, volume: 0.5 },
);

// ---------------------------------------------------------------- hub to terminal

const cmdFields = {
  cmd_id: Str('command id, unique; re-sent commands keep it', { minLength: 1, maxLength: 64 }),
  expires_ms: Num('the hub\'s clock: do not execute after this time (ms since epoch); answer status expired. For terminals that do not read ttl_ms: it compares two machines\' clocks'),
  ttl_ms: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'time to live: execute within this many ms of receiving the command, on the terminal\'s own monotonic clock, else answer status expired; every (re-)send carries what is left of the command\'s life. Absent (older hub): use expires_ms',
    }),
  ),
  master: Str('master account name', { maxLength: 64 }),
  master_position: PositionId,
};
const SlaveTicket = Str('slave position ticket', { minLength: 1, maxLength: 24 });
const SlaveSymbol = Str('slave symbol', { minLength: 1, maxLength: 64 });
/** A command on a copy that exists. */
const copyCmdFields = { ...cmdFields, ticket: SlaveTicket, symbol: SlaveSymbol };

export const Welcome = message(
  'welcome',
  'hub-to-terminal',
  'Answer to hello: the role of this terminal and its settings. The terminal answers every welcome with symbols and a snapshot; a hub that restarted sends welcome to terminals it has no session for.',
  {
    role: Type.Union([Type.Literal('master'), Type.Literal('slave'), Type.Literal('disabled')], { description: 'what the terminal does' }),
    magic: Int('magic number the EA marks its copies with'),
    heartbeat_ms: Int('heartbeat interval'),
    snapshot_ms: Int('periodic snapshot interval'),
    hub_version: Str('hub version', { maxLength: 32 }),
    limits: Type.Optional(
      Type.Object(
        {
          equity_floor: Type.Optional(Num('refuse new copies while ACCOUNT_EQUITY is at or below this (the higher of the daily-loss and drawdown floors, account currency)')),
          blocked: Type.Optional(Str('a loss limit tripped: refuse every new copy; the reason, with the numbers', { maxLength: 512 })),
          max_positions: Type.Optional(Int('refuse a new copy when the account holds this many positions')),
          max_lots: Type.Optional(Num('refuse a new copy or add that would take the lots of all positions above this')),
          max_lots_per_symbol: Type.Optional(Num('refuse a new copy or add that would take the lots on its symbol above this')),
        },
        { additionalProperties: true, description: 'slaves with account protection: limits the EA checks itself before every open (closes are never refused); a new welcome brings new limits (after each daily reset and each trip)' },
      ),
    ),
    login: Type.Optional(Int('ACCOUNT_LOGIN of the terminal\'s latest hello: a terminal whose login has changed since waits for a welcome naming its new login')),
    max_message_bytes: Type.Optional(Int('largest message the hub accepts, bytes: snapshots are sent in parts under it')),
    tick_max_age_ms: Type.Optional(Int('a quote older than this is no price to check a copy against: the EA waits briefly for a fresh one, else refuses the open (0: no limit; absent: 5000)')),
  },
  { account: 'Apex-2', seq: 1, ts: 1763900000100, role: 'slave', magic: 20250, heartbeat_ms: 2000, snapshot_ms: 30000, hub_version: '0.1.0', limits: { equity_floor: 95000, max_positions: 10 }, tick_max_age_ms: 5000 },
);

export const Open = message(
  'open',
  'hub-to-terminal',
  'Open a copy of a master position (or add to it: increase=true). The EA never opens a second copy of the same master position unless increase is set.',
  {
    ...cmdFields,
    symbol: SlaveSymbol,
    side: Side,
    volume: Num('lots, already sized and rounded to the slave volume step'),
    price: Num('master fill price: the reference for the deviation check'),
    max_deviation_points: Num('refuse when |current price - price| / point exceeds this'),
    sl: Num('stop loss, 0 for none'),
    tp: Num('take profit, 0 for none'),
    magic: Int('magic number to set'),
    comment: Str('comment to set, identifies the copy: CB:<master tag>:<master position>', { maxLength: 31 }),
    increase: Type.Optional(Type.Boolean({ description: 'add volume to an existing copy (netting master increased its position)' })),
  },
  {
    account: 'Apex-2', seq: 5, ts: 1763900002001, cmd_id: 'c-1763900002001-1', expires_ms: 1763900012001, ttl_ms: 10000, master: 'FTMO-1', master_position: '5001',
    symbol: 'EURUSD.c', side: 'buy', volume: 0.5, price: 1.0841, max_deviation_points: 30, sl: 1.08, tp: 1.09, magic: 20250, comment: 'CB:11d1:5001',
  },
);

export const Close = message(
  'close',
  'hub-to-terminal',
  'Close a copy in full or in part (volume less than the position volume).',
  {
    ...copyCmdFields,
    volume: Num('lots to close'),
    max_deviation_points: Type.Optional(Num('informational: closes are not refused for deviation')),
  },
  { account: 'Apex-2', seq: 9, ts: 1763900009001, cmd_id: 'c-1763900009001-4', expires_ms: 1763900019001, master: 'FTMO-1', master_position: '5001', ticket: '7001', symbol: 'EURUSD.c', volume: 0.25 },
);

export const CloseBy = message(
  'close_by',
  'hub-to-terminal',
  'Close a copy by an opposite copy (hedging accounts, TRADE_ACTION_CLOSE_BY).',
  {
    ...cmdFields,
    ticket: SlaveTicket,
    ticket_by: Str('opposite slave position ticket', { minLength: 1, maxLength: 24 }),
    master_position_by: PositionId,
  },
  { account: 'Apex-2', seq: 10, ts: 1763900010001, cmd_id: 'c-1763900010001-5', expires_ms: 1763900020001, master: 'FTMO-1', master_position: '5001', master_position_by: '5002', ticket: '7001', ticket_by: '7002' },
);

export const Modify = message(
  'modify',
  'hub-to-terminal',
  'Set the stop loss and take profit of a copy (TRADE_ACTION_SLTP).',
  {
    ...copyCmdFields,
    sl: Num('stop loss, 0 for none'),
    tp: Num('take profit, 0 for none'),
  },
  { account: 'Apex-2', seq: 11, ts: 1763900011001, cmd_id: 'c-1763900011001-6', expires_ms: 1763900021001, master: 'FTMO-1', master_position: '5001', ticket: '7001', symbol: 'EURUSD.c', sl: 1.081, tp: 1.095 },
);

export const Place = message(
  'place',
  'hub-to-terminal',
  'Place a pending order copying a master pending order (TRADE_ACTION_PENDING); master_position is the master order ticket, which becomes the master position identifier when it fills. The EA never places a second copy of one master order.',
  {
    ...cmdFields,
    ...orderFields,
    symbol: SlaveSymbol,
    magic: Int('magic number to set'),
    comment: Str('comment to set, identifies the copy: CB:<master tag>:<master order>', { maxLength: 31 }),
  },
  {
    account: 'Apex-2', seq: 14, ts: 1763900004001, cmd_id: 'c-1763900004001-7', expires_ms: 1763900014001, ttl_ms: 10000, master: 'FTMO-1', master_position: '5003',
    symbol: 'EURUSD.c', order_type: 'buy_limit', volume: 0.5, price: 1.08, sl: 1.075, tp: 1.09, expiration: 'gtc', magic: 20250, comment: 'CB:11d1:5003',
  },
);

export const ModifyOrder = message(
  'modify_order',
  'hub-to-terminal',
  'Change the price, SL/TP and expiry of a pending copy (TRADE_ACTION_MODIFY).',
  {
    ...cmdFields,
    ticket: Str('slave order ticket', { minLength: 1, maxLength: 24 }),
    symbol: SlaveSymbol,
    ...orderTarget,
  },
  { account: 'Apex-2', seq: 15, ts: 1763900005001, cmd_id: 'c-1763900005001-8', expires_ms: 1763900015001, master: 'FTMO-1', master_position: '5003', ticket: '7003', symbol: 'EURUSD.c', price: 1.079, sl: 1.075, tp: 1.09, expiration: 'gtc' },
);

export const Remove = message(
  'remove',
  'hub-to-terminal',
  'Delete a pending copy (TRADE_ACTION_REMOVE). An order already gone answers refused with "not found"; one that filled meanwhile is reported by its fill.',
  { ...cmdFields, ticket: Str('slave order ticket', { minLength: 1, maxLength: 24 }), symbol: SlaveSymbol },
  { account: 'Apex-2', seq: 16, ts: 1763900006001, cmd_id: 'c-1763900006001-9', expires_ms: 1763900016001, master: 'FTMO-1', master_position: '5003', ticket: '7003', symbol: 'EURUSD.c' },
);

// Answered by the EA; not sent by this hub, which relies on the periodic snapshots and heartbeats.
export const SnapshotRequest = message('snapshot_request', 'hub-to-terminal', 'Ask for a snapshot now.', {}, { account: 'Apex-2', seq: 12, ts: 1763900012000 });

export const Watch = message(
  'watch',
  'hub-to-terminal',
  'Stream ticks for these symbols (replaces the previous list); the EA selects them in Market Watch.',
  { symbols: Type.Array(Str('symbol', { minLength: 1, maxLength: 64 }), { maxItems: 500 }) },
  { account: 'Apex-2', seq: 2, ts: 1763900000200, symbols: ['EURUSD.c', 'XAUUSD.c'] },
);

export const Ping = message('ping', 'hub-to-terminal', 'Liveness probe; the terminal answers with a heartbeat.', {}, { account: 'Apex-2', seq: 13, ts: 1763900013000 });

export const ErrorMsg = message(
  'error',
  'hub-to-terminal',
  'The hub could not accept a message from this terminal; says why and what to do.',
  {
    code: Str('error code, e.g. E_UNKNOWN_ACCOUNT, E_INVALID_MESSAGE, E_UNKNOWN_TYPE, E_TOO_LARGE', { maxLength: 64 }),
    message: Str('what went wrong and what to do', { maxLength: 2048 }),
    ref_type: Type.Optional(Str('type of the offending message', { maxLength: 64 })),
    ref_seq: Type.Optional(Int('seq of the offending message')),
  },
  { account: 'Apex-9', seq: 1, ts: 1763900000100, code: 'E_UNKNOWN_ACCOUNT', message: 'account "Apex-9" is not registered on this hub; run: npm run hub -- accounts add Apex-9 --type SLAVE', ref_type: 'hello', ref_seq: 1 },
);

/** SendNotification's limit on a notification's length (MQL5 reference). */
export const NOTIFY_TEXT_MAX = 255;

export const Notify = message(
  'notify',
  'hub-to-terminal',
  'A notification for the trader\'s phone, sent only to the account named in the hub\'s notifyTerminal: the EA passes the text to SendNotification (the MetaTrader app; the MetaQuotes ID is set in the terminal), at most 2 a second and 10 a minute as MetaTrader allows; beyond that it queues a few and drops the rest with a count. An EA older than this message logs it as an unknown type.',
  {
    event: Str('what it is about: refusal, expiry, offline, online, ledger, or digest (what a rate window held back)', { maxLength: 32 }),
    text: Str('the notification (SendNotification takes at most 255 characters)', { minLength: 1, maxLength: NOTIFY_TEXT_MAX }),
  },
  { account: 'FTMO-Slave', seq: 40, ts: 1763900040000, event: 'offline', text: 'CopyBridge offline FTMO-1: terminal FTMO-1 silent for 6000 ms (3 heartbeats)' },
);

export const TERMINAL_MESSAGES = [Hello, Heartbeat, Snapshot, Deal, PositionChange, OrderChange, Symbols, Tick, Result] as const;
export const HUB_MESSAGES = [Welcome, Open, Close, CloseBy, Modify, Place, ModifyOrder, Remove, SnapshotRequest, Watch, Ping, ErrorMsg, Notify] as const;
export const ALL_MESSAGES = [...TERMINAL_MESSAGES, ...HUB_MESSAGES] as const;

type StaticOf<M> = M extends { schema: infer S extends TSchema } ? Static<S> : never;

export type TerminalMessage = StaticOf<(typeof TERMINAL_MESSAGES)[number]>;
export type HubMessage = StaticOf<(typeof HUB_MESSAGES)[number]>;
export type AnyMessage = TerminalMessage | HubMessage;
export type MessageOf<T extends AnyMessage['type']> = Extract<AnyMessage, { type: T }>;

export type HelloMsg = MessageOf<'hello'>;
export type HeartbeatMsg = MessageOf<'heartbeat'>;
export type SnapshotMsg = MessageOf<'snapshot'>;
export type DealMsg = MessageOf<'deal'>;
export type PositionMsg = MessageOf<'position'>;
export type SymbolsMsg = MessageOf<'symbols'>;
export type TickMsg = MessageOf<'tick'>;
export type ResultMsg = MessageOf<'result'>;
export type WelcomeMsg = MessageOf<'welcome'>;
export type OpenMsg = MessageOf<'open'>;
export type CloseMsg = MessageOf<'close'>;
export type CloseByMsg = MessageOf<'close_by'>;
export type ModifyMsg = MessageOf<'modify'>;
export type OrderMsg = MessageOf<'order'>;
export type PlaceMsg = MessageOf<'place'>;
export type ModifyOrderMsg = MessageOf<'modify_order'>;
export type RemoveMsg = MessageOf<'remove'>;
export type WatchMsg = MessageOf<'watch'>;
export type ErrorMessage = MessageOf<'error'>;
export type NotifyMsg = MessageOf<'notify'>;
export type CommandMsg = OpenMsg | CloseMsg | CloseByMsg | ModifyMsg | PlaceMsg | ModifyOrderMsg | RemoveMsg;

/** Messages without the envelope fields the sender stamps (v, seq, ts, account). */
export type Body<M> = M extends unknown ? Omit<M, 'v' | 'seq' | 'ts' | 'account'> : never;

/** A snapshot sent in parts and still incomplete after this long is asked for again. */
export const SNAPSHOT_PARTS_TIMEOUT_MS = 5000;

/** Largest message accepted in either direction, bytes (the bridge's CB_MAX_MESSAGE). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
