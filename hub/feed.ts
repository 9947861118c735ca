/**
 * A synchronous publish/subscribe list: the engine and the hub tell what happened, displays and
 * notifiers listen. A listener that throws is reported and the others still hear the event, so
 * nothing a listener does can break the copy path.
 */
export type Listener<T> = (event: T) => void;

export class Feed<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly onListenerError: (e: unknown) => void = () => undefined) {}

  /** Starts listening; the returned function stops it. */
  subscribe(fn: Listener<T>): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: T): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }
}
