import { status as Status, type ServerWritableStream } from "@grpc/grpc-js";

/**
 * What a server stream does when its client reads slower than messages arrive. `write()` returning false means
 * grpc-js's own buffer is full; the sink then holds up to `capacity` messages itself, and past that either
 * drops the oldest (quotes: the newest quote is what matters) or ends the call with RESOURCE_EXHAUSTED
 * (execution reports: a gap would be worse than a reconnect).
 */
export const SlowClientPolicy = { DropOldest: "drop-oldest", End: "end" } as const;
export type SlowClientPolicy = (typeof SlowClientPolicy)[keyof typeof SlowClientPolicy];

export interface SinkStats {
  written: number;
  dropped: number;
  /** the most messages the sink ever held at once */
  maxQueued: number;
  ended: boolean;
}

export class StreamSink<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private size = 0;
  private blocked = false;
  readonly stats: SinkStats = { written: 0, dropped: 0, maxQueued: 0, ended: false };
  private onClose: (() => void)[] = [];

  constructor(
    private readonly call: ServerWritableStream<unknown, T>,
    readonly capacity: number,
    private readonly policy: SlowClientPolicy,
    private readonly label: string,
  ) {
    this.ring = new Array(capacity);
    call.on("drain", () => this.flush());
    call.on("cancelled", () => this.finish());
    call.on("close", () => this.finish());
  }

  /** Runs when the call ends for any reason (client cancel, error, end). */
  onEnd(fn: () => void): void {
    if (this.stats.ended) fn();
    else this.onClose.push(fn);
  }

  push(m: T): void {
    if (this.stats.ended) return;
    if (!this.blocked && this.size === 0) {
      this.stats.written++;
      this.blocked = !this.call.write(m);
      return;
    }
    if (this.size === this.capacity) {
      if (this.policy === SlowClientPolicy.End) {
        this.fail(`${this.label}: client reads too slowly, ${this.capacity} messages queued; reconnect and resume`);
        return;
      }
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.stats.dropped++;
    }
    this.ring[(this.head + this.size) % this.capacity] = m;
    this.size++;
    if (this.size > this.stats.maxQueued) this.stats.maxQueued = this.size;
  }

  get queued(): number {
    return this.size;
  }

  private flush(): void {
    this.blocked = false;
    while (this.size > 0 && !this.blocked && !this.stats.ended) {
      const m = this.ring[this.head] as T;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.stats.written++;
      this.blocked = !this.call.write(m);
    }
  }

  /** Ends the call with a status; grpc-js delivers it after what it already buffered. */
  fail(details: string, code: Status = Status.RESOURCE_EXHAUSTED): void {
    if (this.stats.ended) return;
    this.ring.fill(undefined);
    this.size = 0;
    this.finish();
    this.call.emit("error", Object.assign(new Error(details), { code, details }));
  }

  end(): void {
    if (this.stats.ended) return;
    this.finish();
    this.call.end();
  }

  private finish(): void {
    if (this.stats.ended) return;
    this.stats.ended = true;
    for (const fn of this.onClose.splice(0)) fn();
  }
}
