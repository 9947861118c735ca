/**
 * The EA's journal: which command ids it has handled (with the result it sent) and which of its
 * positions copy which master position. The EA keeps this in a file so it survives a terminal
 * restart; here it is an object that outlives SimTerminal.stop()/start() and can be handed to a
 * new SimTerminal (or round-tripped through JSON) to model that.
 */
import type { ResultMsg } from '../hub/protocol';

export type StoredResult = Omit<ResultMsg, 'v' | 'type' | 'account' | 'seq' | 'ts' | 'cmd_id'>;

export interface SimCopyRecord {
  master: string;
  master_position: string;
}

export interface JournalData {
  commands: Record<string, StoredResult>;
  /** slave position identifier -> master identity */
  copies: Record<string, SimCopyRecord>;
}

export class SimJournal {
  private readonly commands = new Map<string, StoredResult>();
  private readonly copies = new Map<string, SimCopyRecord>();

  /** maxCommands: the EA trims its journal file; the oldest command ids go first. */
  constructor(
    data?: JournalData,
    private readonly maxCommands = 10000,
  ) {
    for (const [id, r] of Object.entries(data?.commands ?? {})) this.commands.set(id, { ...r });
    for (const [pos, c] of Object.entries(data?.copies ?? {})) this.copies.set(pos, { ...c });
  }

  command(cmdId: string): StoredResult | undefined {
    const r = this.commands.get(cmdId);
    return r && { ...r };
  }

  recordCommand(cmdId: string, result: StoredResult): void {
    this.commands.set(cmdId, { ...result });
    while (this.commands.size > this.maxCommands) {
      const oldest = this.commands.keys().next().value;
      if (oldest === undefined) break;
      this.commands.delete(oldest);
    }
  }

  copyOf(position: string): SimCopyRecord | undefined {
    const c = this.copies.get(position);
    return c && { ...c };
  }

  /** The first copy of a position is kept: on a netting account several masters may feed one position. */
  recordCopy(position: string, master: string, masterPosition: string): void {
    if (!this.copies.has(position)) this.copies.set(position, { master, master_position: masterPosition });
  }

  copiesOf(master: string, masterPosition: string): string[] {
    const out: string[] = [];
    for (const [pos, c] of this.copies) if (c.master === master && c.master_position === masterPosition) out.push(pos);
    return out;
  }

  /** Drops copies whose positions no longer exist. */
  prune(openPositions: Iterable<string>): void {
    const open = new Set(openPositions);
    for (const pos of [...this.copies.keys()]) if (!open.has(pos)) this.copies.delete(pos);
  }

  toJSON(): JournalData {
    return { commands: Object.fromEntries(this.commands), copies: Object.fromEntries(this.copies) };
  }
}
