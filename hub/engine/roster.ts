/** The registered accounts as the engine sees them: roles, followers, and master tags. */
import type { Account } from '../accounts';
import type { Logger } from '../log';
import type { Position } from '../protocol';
import { masterTag, parseCopyComment } from './tag';

export type Role = 'master' | 'slave' | 'disabled';

/**
 * The role a terminal is welcomed with. A disabled master stays a master to its EA: the EA then
 * keeps reporting deals, so the closes of positions copied before it was disabled are still
 * mirrored (the engine copies none of its new positions). A disabled slave executes nothing.
 */
export function roleOf(a: Account | undefined): Role {
  if (!a) return 'disabled';
  if (a.type === 'MASTER') return 'master';
  return a.enabled ? 'slave' : 'disabled';
}

export class Roster {
  private accounts = new Map<string, Account>();
  /** Master name by the tag its copies carry in their comments. */
  private tags = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** Replaces the accounts; returns the names whose type or enabled flag changed. */
  set(accounts: Account[]): string[] {
    const prev = this.accounts;
    const changed: string[] = [];
    this.accounts = new Map(accounts.map((a) => [a.name, a]));
    this.tags = new Map(accounts.filter((a) => a.type === 'MASTER').map((a) => [masterTag(a.name), a.name]));
    for (const [name, a] of this.accounts) {
      const before = prev.get(name);
      if (!before) this.log.debug(`account ${name} loaded (${a.type}${a.enabled ? '' : ', disabled'})`);
      else if (before.enabled !== a.enabled || before.type !== a.type) {
        this.log.info(`account ${name} is now ${a.type}${a.enabled ? '' : ' (disabled)'}`);
        changed.push(name);
      }
    }
    for (const name of prev.keys()) if (!this.accounts.has(name)) this.log.info(`account ${name} removed`);
    return changed;
  }

  get(name: string): Account | undefined {
    return this.accounts.get(name);
  }

  all(): IterableIterator<Account> {
    return this.accounts.values();
  }

  role(name: string): Role {
    return roleOf(this.accounts.get(name));
  }

  /** Slave accounts (enabled or not) that copy this master. */
  followersOf(master: string): Account[] {
    const out: Account[] = [];
    for (const a of this.accounts.values()) if (a.type === 'SLAVE' && follows(a, master)) out.push(a);
    return out;
  }

  /** The master position a slave position copies: named by the EA, or read from the copy comment. */
  masterOf(p: Position, magic: number): { master: string; masterPosition: string } | undefined {
    if (p.master && p.master_position && this.accounts.get(p.master)?.type === 'MASTER') return { master: p.master, masterPosition: p.master_position };
    if (p.magic !== magic) return undefined;
    const parsed = parseCopyComment(p.comment);
    if (!parsed) return undefined;
    const master = this.tags.get(parsed.tag);
    return master ? { master, masterPosition: parsed.masterPosition } : undefined;
  }
}

/** A slave with no `follows` list copies every master. */
export function follows(slave: Account, master: string): boolean {
  return !slave.follows?.length || slave.follows.includes(master);
}
