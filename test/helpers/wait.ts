/** Waiting in tests: one `until` for every polled condition, so a timeout always says what it waited for. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface UntilOptions {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
  /** Poll period (default 10 ms). */
  everyMs?: number;
  /** Extra detail appended to the timeout error (terminal log tail, state dump). */
  detail?: () => string | Promise<string>;
}

/**
 * Polls `condition` until it returns something other than `undefined`, `false` or `null` (and does
 * not throw), then returns that value. A throw inside `condition` counts as "not yet"; the last one
 * is quoted in the timeout error.
 */
export async function until<T>(
  condition: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  opts: UntilOptions = {},
): Promise<T> {
  const { timeoutMs = 5_000, what = 'condition', everyMs = 10 } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const cause = last instanceof Error ? ` (last error: ${last.message})` : '';
      const detail = opts.detail ? `\n${await opts.detail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail}`);
    }
    await sleep(everyMs);
  }
}
