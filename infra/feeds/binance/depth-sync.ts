/**
 * Binance's "how to manage a local order book correctly", as a pure state machine per symbol: buffer diff events,
 * take a REST snapshot, drop events with u <= lastUpdateId, require the first applied event to have
 * U <= lastUpdateId + 1 <= u, then each next U == previous u + 1 (or pu == previous u on futures streams). Any
 * break means resync: a new snapshot. The caller does the I/O; this decides what to deliver and when to resync.
 */
import type { VendorBookLevel, RawBook } from "../record.ts";
import { vendorInt, vendorPrice, vendorQuantity } from "../vendor-number.ts";

export interface DepthEvent {
  /** first update id in the event */
  U: number;
  /** final update id in the event */
  u: number;
  /** previous event's u (futures streams only) */
  pu?: number;
  /** event time, ms */
  E: number;
  bids: VendorBookLevel[];
  asks: VendorBookLevel[];
}

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: VendorBookLevel[];
  asks: VendorBookLevel[];
}

export type SyncStep =
  | { kind: "deliver"; records: RawBook[] }
  /** fetch a snapshot now (first event buffered, or after a resync) */
  | { kind: "snapshot" }
  /** the stream broke its sequence: `reason` says where; a snapshot is needed */
  | { kind: "resync"; reason: string }
  | { kind: "none" };

export class DepthSync {
  private phase: "idle" | "buffering" | "live" = "idle";
  private buffer: DepthEvent[] = [];
  private last = 0;
  private snapshotPending = false;

  constructor(
    private readonly instrument: string,
    private readonly source: string,
  ) {}

  get isLive(): boolean {
    return this.phase === "live";
  }

  /** True while a snapshot was asked for and has not arrived. */
  get wantsSnapshot(): boolean {
    return this.snapshotPending;
  }

  /** Forget everything (new connection): the next event starts a fresh sync. */
  reset(): void {
    this.phase = "idle";
    this.buffer = [];
    this.snapshotPending = false;
  }

  onEvent(ev: DepthEvent): SyncStep {
    if (this.phase !== "live") {
      this.buffer.push(ev);
      if (this.phase === "idle" || !this.snapshotPending) {
        this.phase = "buffering";
        this.snapshotPending = true;
        return { kind: "snapshot" };
      }
      return { kind: "none" };
    }
    if (ev.u <= this.last) return { kind: "none" };
    const broken = ev.pu !== undefined ? ev.pu !== this.last : ev.U !== this.last + 1;
    if (broken) return this.restart(ev, `update ${ev.U}..${ev.u} does not follow ${this.last}`);
    this.last = ev.u;
    return { kind: "deliver", records: [this.delta(ev)] };
  }

  /** `tsUs` stamps the snapshot record (a REST snapshot carries no event time). */
  onSnapshot(snap: DepthSnapshot, tsUs: number): SyncStep {
    this.snapshotPending = false;
    const first = this.buffer[0];
    if (!first) return { kind: "none" };
    if (snap.lastUpdateId < first.U - 1) {
      // the snapshot is older than the first buffered event: ask again
      this.snapshotPending = true;
      return { kind: "snapshot" };
    }
    const L = snap.lastUpdateId;
    const rest = this.buffer.filter((e) => e.u > L);
    const head = rest[0];
    if (head && !(head.U <= L + 1 && L + 1 <= head.u)) {
      this.buffer = [];
      this.phase = "idle";
      return { kind: "resync", reason: `first event ${head.U}..${head.u} does not cover snapshot ${L} + 1` };
    }
    const records: RawBook[] = [
      {
        kind: "book",
        source: this.source,
        instrument: this.instrument,
        update: "snapshot",
        bids: snap.bids,
        asks: snap.asks,
        seq: L,
        tsEvent: tsUs,
      },
    ];
    this.phase = "live";
    this.buffer = [];
    this.last = L;
    if (head) {
      // the straddling event is checked against the snapshot above, not against a previous u
      records.push(this.delta(head));
      this.last = head.u;
    }
    for (const ev of rest.slice(1)) {
      const step = this.onEvent(ev);
      if (step.kind === "deliver") records.push(...step.records);
      else if (step.kind !== "none") return { kind: "resync", reason: step.kind === "resync" ? step.reason : "sequence broken in buffer" };
    }
    return { kind: "deliver", records };
  }

  private restart(ev: DepthEvent, reason: string): SyncStep {
    this.phase = "buffering";
    this.buffer = [ev];
    this.snapshotPending = true;
    return { kind: "resync", reason };
  }

  private delta(ev: DepthEvent): RawBook {
    return {
      kind: "book",
      source: this.source,
      instrument: this.instrument,
      update: "delta",
      bids: ev.bids,
      asks: ev.asks,
      firstSeq: ev.U,
      seq: ev.u,
      tsEvent: ev.E * 1000,
    };
  }
}

function levels(v: unknown, field: string): VendorBookLevel[] {
  if (!Array.isArray(v)) throw new TypeError(`${field} is not an array`);
  return v.map((l, i) => {
    if (!Array.isArray(l) || l.length < 2) throw new TypeError(`${field}[${i}] is not [price, quantity]`);
    return [vendorPrice(l[0], `${field}[${i}].price`), vendorQuantity(l[1], `${field}[${i}].qty`)];
  });
}

/** A depthUpdate event: {e:"depthUpdate", E, s, U, u, pu?, b, a}. */
export function parseDepthEvent(m: Record<string, unknown>): DepthEvent {
  if (m.e !== "depthUpdate") throw new TypeError(`e: ${JSON.stringify(m.e)} is not "depthUpdate"`);
  const ev: DepthEvent = {
    U: vendorInt(m.U, "U"),
    u: vendorInt(m.u, "u"),
    E: vendorInt(m.E, "E"),
    bids: levels(m.b, "b"),
    asks: levels(m.a, "a"),
  };
  if (ev.U > ev.u) throw new TypeError(`U ${ev.U} is after u ${ev.u}`);
  if (m.pu !== undefined) ev.pu = vendorInt(m.pu, "pu");
  return ev;
}

/** A REST /api/v3/depth reply: {lastUpdateId, bids, asks}. */
export function parseDepthSnapshot(body: unknown): DepthSnapshot {
  if (typeof body !== "object" || body === null) throw new TypeError("depth snapshot is not an object");
  const b = body as Record<string, unknown>;
  return { lastUpdateId: vendorInt(b.lastUpdateId, "lastUpdateId"), bids: levels(b.bids, "bids"), asks: levels(b.asks, "asks") };
}
