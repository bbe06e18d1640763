/**
 * Time as a supervisor sees it: a monotonic clock in milliseconds and one-shot timers. Injected so that tests drive
 * time by hand and never sleep.
 */
export interface Scheduler {
  /** milliseconds on a monotonic clock */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A scheduler whose time moves only on `advance`; due timers fire in time order, then in the order set. */
export class ManualScheduler implements Scheduler {
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(private ms = 0) {}

  now(): number {
    return this.ms;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.ms + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including ones they set). */
  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.ms = due.at;
      due.fn();
    }
    this.ms = target;
  }

  /** how many timers are waiting */
  get pending(): number {
    return this.timers.length;
  }
}
