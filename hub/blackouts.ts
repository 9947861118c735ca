/** The blackout file named by the hub config (blackoutFile): read at start, re-read when it changes. */
import { readFileSync, statSync } from 'fs';
import { parseBlackouts, type Blackout } from './engine/schedule';
import { ConfigError } from './errors';
import type { Logger } from './log';

export class BlackoutFile {
  private stamp = '';

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** The events; throws ConfigError saying which line to fix, or that the file cannot be read. */
  load(): Blackout[] {
    let text: string;
    try {
      this.stamp = this.current();
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read blackoutFile ${this.path}: ${(e as Error).message}`, 'fix the path in blackoutFile (COPYBRIDGE_BLACKOUT_FILE), or leave it empty for no blackouts', { cause: e });
    }
    try {
      const list = parseBlackouts(text, this.path);
      this.log.info(`blackouts: ${list.length} events from ${this.path}`);
      return list;
    } catch (e) {
      throw new ConfigError((e as Error).message, 'fix that line of the blackout file (format: docs/protection.md)', { cause: e });
    }
  }

  /** The events again when the file changed since it was read; undefined when it did not, or when the new text is wrong (logged: the old list stays). */
  reloadIfChanged(): Blackout[] | undefined {
    let stamp: string;
    try {
      stamp = this.current();
    } catch (e) {
      if (this.stamp !== 'gone') this.log.error(`blackouts: cannot read ${this.path} (${(e as Error).message}); the events read before stay in force`);
      this.stamp = 'gone';
      return undefined;
    }
    if (stamp === this.stamp) return undefined;
    try {
      return this.load();
    } catch (e) {
      this.stamp = stamp;
      this.log.error(`blackouts: ${(e as Error).message}; the events read before stay in force until the file is fixed`);
      return undefined;
    }
  }

  private current(): string {
    const st = statSync(this.path);
    return `${st.mtimeMs}:${st.size}`;
  }
}
