/**
 * Keeps ledger writes off the copy path: enqueue() is synchronous and never waits on the store;
 * a background loop flushes batches in order and retries while the store is unreachable.
 */
import type { LedgerEvent, Store, TradeUpdate } from './types';

export type LedgerOp = { op: 'trade'; update: TradeUpdate } | { op: 'event'; event: LedgerEvent };

export interface LedgerWriterOptions {
  /** Ops held in memory before they are refused with a logged error (see issue 5: spill to file). */
  maxQueue: number;
  batchSize?: number;
  /** Delay before retrying after a failed flush, doubling up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  onError?: (err: Error, pending: number) => void;
  onRecover?: (pending: number) => void;
  onOverflow?: (dropped: number) => void;
}

export class LedgerWriter {
  private queue: LedgerOp[] = [];
  private head = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private retryDelay: number;
  private stopped = false;
  written = 0;
  dropped = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: LedgerWriterOptions,
  ) {
    this.retryDelay = opts.retryMs ?? 200;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  trade(update: TradeUpdate): void {
    this.enqueue({ op: 'trade', update });
  }

  event(event: LedgerEvent): void {
    this.enqueue({ op: 'event', event });
  }

  enqueue(op: LedgerOp): void {
    if (this.pending >= this.opts.maxQueue) {
      this.dropped++;
      this.opts.onOverflow?.(this.dropped);
      return;
    }
    this.queue.push(op);
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref?.();
  }

  /** Writes everything queued so far; resolves when the queue is empty or a write failed. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    while (this.pending > 0) {
      // Consecutive ops of one kind go in one store call; order across kinds is kept.
      const first = this.queue[this.head];
      let end = this.head;
      while (end < this.queue.length && end - this.head < batchSize && this.queue[end].op === first.op) end++;
      const batch = this.queue.slice(this.head, end);
      try {
        if (first.op === 'trade') await this.store.upsertTrades(batch.map((b) => (b as { update: TradeUpdate }).update));
        else await this.store.appendEvents(batch.map((b) => (b as { event: LedgerEvent }).event));
      } catch (e) {
        if (!this.failing) this.opts.onError?.(e as Error, this.pending);
        this.failing = true;
        const delay = this.retryDelay;
        this.retryDelay = Math.min(this.retryDelay * 2, this.opts.maxRetryMs ?? 5_000);
        setTimeout(() => this.schedule(0), delay).unref?.();
        return;
      }
      this.head = end;
      this.written += batch.length;
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.failing) {
        this.failing = false;
        this.retryDelay = this.opts.retryMs ?? 200;
        this.opts.onRecover?.(this.pending);
      }
    }
  }

  /** Flushes what it can within timeoutMs, then stops. Returns the number of ops not written. */
  async close(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.pending > 0) await new Promise((r) => setTimeout(r, 50));
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    return this.pending;
  }
}
