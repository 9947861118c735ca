/** What the engine is given, and the parts it is made of, wired once for the engine and for tests. */
import type { HubConfig } from '../config';
import { Feed } from '../feed';
import type { Logger } from '../log';
import type { Body, HubMessage } from '../protocol';
import { Commands } from './commands';
import { CopyTable } from './copies';
import type { EngineEvent } from './events';
import { Journal, type LedgerSink } from './journal';
import { MasterBook } from './masters';
import { OrderBook } from './orders';
import { Guards } from './protect';
import { Roster } from './roster';
import { Sessions } from './terminals';

export interface EngineDeps {
  config: HubConfig;
  send(account: string, body: Body<HubMessage>): void;
  ledger: LedgerSink;
  log: Logger;
  now?: () => number;
}

export interface EngineStats {
  decisions: number;
  commandsSent: number;
  resends: number;
  results: number;
  refusals: number;
  expired: number;
  lastLatencyMs?: number;
}

/** The engine's state and services; each module takes the ones it uses. */
export interface Parts {
  cfg: HubConfig;
  send: EngineDeps['send'];
  log: Logger;
  now: () => number;
  /** When this engine was made: positions opened before may have been copied by an earlier hub process. */
  startedAt: number;
  stats: EngineStats;
  /** Decisions, terminal changes and results, for listeners outside the engine. */
  feed: Feed<EngineEvent>;
  journal: Journal;
  roster: Roster;
  copies: CopyTable;
  masters: MasterBook;
  /** The masters' pending orders (orders.ts). */
  orders: OrderBook;
  commands: Commands;
  sessions: Sessions;
  guards: Guards;
}

export function makeParts(deps: EngineDeps): Parts {
  const now = deps.now ?? Date.now;
  const feed = new Feed<EngineEvent>((e) => deps.log.error(`engine event listener failed: ${(e as Error)?.stack ?? String(e)}`));
  const base = {
    cfg: deps.config,
    send: deps.send.bind(deps),
    log: deps.log,
    now,
    startedAt: now(),
    stats: { decisions: 0, commandsSent: 0, resends: 0, results: 0, refusals: 0, expired: 0 },
    feed,
    journal: new Journal(deps.ledger, deps.log, now, feed),
    roster: new Roster(deps.log),
    copies: new CopyTable(),
    masters: new MasterBook(),
    orders: new OrderBook(),
  };
  const commands = new Commands(base);
  const guards = new Guards({ ...base, commands });
  return { ...base, commands, guards, sessions: new Sessions({ ...base, commands, guards }) };
}
