/**
 * The dashboard's controls: an account enabled, disabled, made close-only or taking new copies
 * again, one copy closed, every copy of a slave closed. Account changes are written to the store
 * (as `hub accounts` does) and loaded into the engine at once; closes go through the engine's
 * operator commands. Each control leaves one log line and one ledger event (kind "control") with
 * who ordered it and when.
 */
import type { Account } from '../accounts';
import { AccountError, NotFoundError, UsageError } from '../errors';
import type { ManualClose } from '../engine';
import type { RunningHub } from '../hub';

export type Control =
  | { action: 'enable' | 'disable' | 'close-only' | 'copy-new'; account: string }
  | { action: 'close-copy'; master: string; position: string; slave: string }
  | { action: 'close-slave'; slave: string };

export interface ControlOutcome {
  message: string;
  closes?: ManualClose[];
}

const ACCOUNT_ACTIONS = ['enable', 'disable', 'close-only', 'copy-new'] as const;
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const TICKET = /^[0-9A-Za-z._-]{1,64}$/;

/** A control from untrusted JSON, checked field by field. */
export function parseControl(body: unknown): Control {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const name = (k: string, re = NAME): string => {
    const v = b[k];
    if (typeof v !== 'string' || !re.test(v)) throw new UsageError(`control ${String(b.action)}: ${k} must be an account name or ticket, got ${JSON.stringify(v)}`);
    return v;
  };
  const action = b.action;
  if (action === 'enable' || action === 'disable' || action === 'close-only' || action === 'copy-new') return { action, account: name('account') };
  if (action === 'close-copy') return { action, master: name('master'), position: name('position', TICKET), slave: name('slave') };
  if (action === 'close-slave') return { action, slave: name('slave') };
  throw new UsageError(`unknown control ${JSON.stringify(action)}`, `one of ${[...ACCOUNT_ACTIONS, 'close-copy', 'close-slave'].join(', ')}`);
}

export async function runControl(hub: RunningHub, c: Control, by: string): Promise<ControlOutcome> {
  const out = c.action === 'close-copy' || c.action === 'close-slave' ? closeControl(hub, c, by) : await accountControl(hub, c);
  const account = c.action === 'close-copy' || c.action === 'close-slave' ? c.slave : c.account;
  hub.log.info(`CONTROL ${by}: ${out.message}`);
  hub.ledger.event({ time: new Date().toISOString(), kind: 'control', account, message: `${by}: ${out.message}`, data: { by, ...c } });
  return out;
}

function closeControl(hub: RunningHub, c: Extract<Control, { action: 'close-copy' | 'close-slave' }>, by: string): ControlOutcome {
  if (c.action === 'close-copy') {
    const r = hub.engine.closeCopy(c.master, c.position, c.slave, by);
    if (r.outcome === 'unknown') throw new NotFoundError(r.message, 'reload the page: the copy list may be out of date');
    return { message: r.message, closes: [r] };
  }
  if (!hub.engine.getAccount(c.slave)) throw new NotFoundError(`no account named ${c.slave}`);
  const closes = hub.engine.closeCopiesOf(c.slave, by);
  const sent = closes.filter((r) => r.outcome === 'sent').length;
  const opening = closes.filter((r) => r.outcome === 'opening').length;
  const more = opening ? `; ${opening} still opening (close them once they show a ticket, or make ${c.slave} close-only first)` : '';
  return { message: `close all copies of ${c.slave}: ${sent} closes sent${more}`, closes };
}

async function accountControl(hub: RunningHub, c: Extract<Control, { account: string }>): Promise<ControlOutcome> {
  const a = await hub.store.getAccount(c.account);
  if (!a) throw new NotFoundError(`no account named ${c.account}`, 'reload the page: the account may have been removed');
  const next: Account = { ...a, updated_at: new Date().toISOString() };
  let message: string;
  switch (c.action) {
    case 'enable':
      next.enabled = true;
      message = `enabled ${a.name}`;
      break;
    case 'disable':
      next.enabled = false;
      message = a.type === 'MASTER' ? `disabled ${a.name}: its new positions are not copied; closes are still mirrored` : `disabled ${a.name}: it takes no new copies and executes no commands`;
      break;
    case 'close-only':
      next.close_only = true;
      message = `${a.name} is close-only: no new copies, the open ones are managed to the end`;
      break;
    case 'copy-new':
      if (!a.close_only) throw new AccountError(`${a.name} is not close-only`, 'nothing to undo');
      next.close_only = false;
      message = `${a.name} takes new copies again (close-only off)`;
      break;
  }
  await hub.store.upsertAccount(next);
  // At once, rather than at the next periodic reload: the page shows the change as soon as it is made.
  hub.engine.setAccounts(await hub.store.listAccounts());
  return { message };
}
