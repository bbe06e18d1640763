/** A delayed event due on the simulated clock; `fire` runs when the clock reaches `dueUs`. */
export interface SimulatedTimer {
  readonly dueUs: number;
  /** arming order: timers due at the same time fire in the order they were armed (determinism) */
  readonly seq: number;
  fire: () => void;
  canceled: boolean;
}

/**
 * Every actor's delayed events (`after`, GTD expiry, venue backoff, forward retries) on one simulated time line:
 * a binary min-heap by due time, then arming order. Canceling marks the timer; it is dropped when it surfaces.
 */
export class SimulatedTimers {
  private readonly heap: SimulatedTimer[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(dueUs: number, fire: () => void): SimulatedTimer {
    const t: SimulatedTimer = { dueUs, seq: this.seq++, fire, canceled: false };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = t;
    return t;
  }

  /** Due time of the next live timer, or Infinity. */
  nextDueUs(): number {
    this.dropCanceled();
    return this.heap[0]?.dueUs ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the next live timer due at or before `untilUs`. */
  takeDue(untilUs: number): SimulatedTimer | undefined {
    this.dropCanceled();
    const top = this.heap[0];
    if (!top || top.dueUs > untilUs) return undefined;
    this.pop();
    return top;
  }

  private dropCanceled(): void {
    while (this.heap.length && this.heap[0]!.canceled) this.pop();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

const before = (a: SimulatedTimer, b: SimulatedTimer): boolean => a.dueUs < b.dueUs || (a.dueUs === b.dueUs && a.seq < b.seq);
