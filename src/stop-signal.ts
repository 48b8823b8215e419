/**
 * What a wait or a request listens to for its end (sleep.ts, the client, the run governor): the
 * caller's AbortSignal, or a Stop. Only these four members are read, and an AbortSignal has them.
 */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An AbortController and its signal in one, without EventTarget: the pager makes one for each
 * request it sends ahead (5,000 for 100,000 followers), and every request and wait adds and
 * removes a listener on its signal. Node's AbortController, AbortSignal and EventTarget were
 * ~2.5% of a 100k JSONL export's CPU (createAbortSignal, the abort_controller and event_target
 * modules: ~90 ms in its profile). As an AbortSignal: a listener is called once, on the first
 * abort(), and not at all when added after it; the same listener is added once; reason is an
 * AbortError when abort() is given none.
 */
export class Stop implements StopSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> = [];

  get signal(): StopSignal {
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const listeners = this.listeners;
    this.listeners = [];
    // Every listener runs, as an EventTarget runs them; the first that threw is thrown after.
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted && !this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at !== -1) this.listeners.splice(at, 1);
  }
}
