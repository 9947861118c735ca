/**
 * Closes an operator orders by hand (the dashboard): one copy, or every copy of a slave. Each goes
 * through the same command path as the engine's own closes, with one decision line naming who
 * ordered it; the copy's ledger row keeps that as its reason. A copy closed so stays closed while
 * its master position lives on: convergence re-opens expired copies, not closed ones.
 */
import type { Parts } from './context';
import { copyKey, isLive, type Copy } from './copies';
import { EPS, roundLots } from './sizing';

export interface ManualClose {
  master: string;
  masterPosition: string;
  slave: string;
  /** sent: a close is on its way; the others say why none was sent. */
  outcome: 'sent' | 'unknown' | 'not_live' | 'opening' | 'closing';
  message: string;
  cmdId?: string;
}

type OperatorParts = Pick<Parts, 'now' | 'journal' | 'copies' | 'commands' | 'sessions'>;

export class Operator {
  constructor(private readonly parts: OperatorParts) {}

  closeCopy(master: string, masterPosition: string, slave: string, by: string): ManualClose {
    const c = this.parts.copies.get(copyKey(master, masterPosition, slave));
    const ref = { master, masterPosition, slave };
    if (!c) return { ...ref, outcome: 'unknown', message: `no copy of ${master}#${masterPosition} on ${slave}` };
    return this.close(c, by);
  }

  /** Every live copy of a slave; opens still in flight are reported, not waited for. */
  closeCopiesOf(slave: string, by: string): ManualClose[] {
    return this.parts.copies.ofSlave(slave).filter(([, c]) => isLive(c)).map(([, c]) => this.close(c, by));
  }

  private close(c: Copy, by: string): ManualClose {
    const ref = { master: c.master, masterPosition: c.masterPosition, slave: c.slave };
    const what = `${c.master}#${c.masterPosition} -> ${c.slave}`;
    if (!isLive(c)) return { ...ref, outcome: 'not_live', message: `the copy ${what} is ${c.status}: nothing to close` };
    if (!c.ticket) return { ...ref, outcome: 'opening', message: `the open of ${what} is still in flight: close it once it shows a ticket` };
    const { commands, journal } = this.parts;
    const rest = roundLots(c.volume - commands.inflightVolume(c, 'close'));
    if (rest <= EPS) return { ...ref, outcome: 'closing', message: `${what} ticket ${c.ticket} is closing already` };
    const body = commands.close(c, rest);
    const offline = this.parts.sessions.reachable(c.slave) ? '' : `; ${c.slave} is offline, the close waits for it until it expires`;
    journal.trade(c, { reason: `closed by hand (${by})` });
    commands.decide('close', `${by} closes ${what} ticket ${c.ticket}: ${rest} lots, by hand${offline}`, c, body, this.parts.now());
    return { ...ref, outcome: 'sent', message: `close of ${what} ticket ${c.ticket} (${rest} lots) sent${offline}`, cmdId: body.cmd_id };
  }
}
