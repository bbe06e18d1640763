/** Polygon wire objects → raw feed records. Each throws (naming the field) on a shape it does not know. */
import type { RawBar, VendorQuote, VendorTrade } from "../record.ts";
import { vendorInt, vendorPrice, vendorQuantity } from "../vendor-number.ts";

export const SOURCE = "polygon";

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TypeError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = (v: unknown, field: string): string => {
  if (typeof v !== "string" || v.length === 0) throw new TypeError(`${field}: ${JSON.stringify(v)} is not a string`);
  return v;
};

/** WebSocket `ev:"T"`: sym, i (trade id), p, s, t (ms), q (sequence). */
export function tradeFromStream(m: Record<string, unknown>, venue: string): VendorTrade {
  return {
    kind: "trade",
    source: SOURCE,
    instrument: `${str(m.sym, "T.sym")}.${venue}`,
    price: vendorPrice(m.p, "T.p"),
    size: vendorQuantity(m.s, "T.s"),
    aggressor: "NONE",
    tradeId: str(m.i, "T.i"),
    seq: vendorInt(m.q, "T.q"),
    tsEvent: vendorInt(m.t, "T.t") * 1000,
  };
}

/** WebSocket `ev:"Q"`: sym, bp, bs, ap, as, t (ms), q. */
export function quoteFromStream(m: Record<string, unknown>, venue: string): VendorQuote {
  return {
    kind: "quote",
    source: SOURCE,
    instrument: `${str(m.sym, "Q.sym")}.${venue}`,
    bid: vendorPrice(m.bp, "Q.bp"),
    bidSize: vendorQuantity(m.bs, "Q.bs"),
    ask: vendorPrice(m.ap, "Q.ap"),
    askSize: vendorQuantity(m.as, "Q.as"),
    seq: vendorInt(m.q, "Q.q"),
    tsEvent: vendorInt(m.t, "Q.t") * 1000,
  };
}

/** WebSocket `ev:"AM"` (minute) or `ev:"A"` (second): sym, o, h, l, c, v, vw, s and e (ms). */
export function barFromStream(m: Record<string, unknown>, venue: string): RawBar {
  const ev = m.ev === "A" ? "A" : "AM";
  const s = vendorInt(m.s, `${ev}.s`);
  const bar: RawBar = {
    kind: "bar",
    source: SOURCE,
    instrument: `${str(m.sym, `${ev}.sym`)}.${venue}`,
    barType: ev === "A" ? "1s" : "1m",
    tsOpen: s * 1000,
    open: vendorPrice(m.o, `${ev}.o`),
    high: vendorPrice(m.h, `${ev}.h`),
    low: vendorPrice(m.l, `${ev}.l`),
    close: vendorPrice(m.c, `${ev}.c`),
    volume: vendorQuantity(m.v, `${ev}.v`),
    seq: s,
    tsEvent: vendorInt(m.e, `${ev}.e`) * 1000,
  };
  if (m.vw !== undefined) bar.vwap = vendorPrice(m.vw, `${ev}.vw`);
  return bar;
}

export const TIMESPAN_MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;
export type Timespan = keyof typeof TIMESPAN_MS;
const TIMESPAN_CODE: Record<Timespan, string> = { second: "s", minute: "m", hour: "h", day: "d", week: "w" };

/** REST aggregates result: o, h, l, c, v, vw, t (open, ms), n. */
export function barFromAggregate(r: unknown, ticker: string, venue: string, multiplier: number, timespan: Timespan): RawBar {
  const m = obj(r, "results[]");
  const t = vendorInt(m.t, "results[].t");
  const bar: RawBar = {
    kind: "bar",
    source: SOURCE,
    instrument: `${ticker}.${venue}`,
    barType: `${multiplier}${TIMESPAN_CODE[timespan]}`,
    tsOpen: t * 1000,
    open: vendorPrice(m.o, "results[].o"),
    high: vendorPrice(m.h, "results[].h"),
    low: vendorPrice(m.l, "results[].l"),
    close: vendorPrice(m.c, "results[].c"),
    volume: vendorQuantity(m.v, "results[].v"),
    seq: t,
    tsEvent: (t + multiplier * TIMESPAN_MS[timespan]) * 1000,
  };
  if (m.vw !== undefined) bar.vwap = vendorPrice(m.vw, "results[].vw");
  if (m.n !== undefined) bar.trades = vendorInt(m.n, "results[].n");
  return bar;
}

/** REST /v3/trades result: id, price, size, sequence_number, sip_timestamp (ns). */
export function tradeFromRest(r: unknown, ticker: string, venue: string): VendorTrade {
  const m = obj(r, "results[]");
  return {
    kind: "trade",
    source: SOURCE,
    instrument: `${ticker}.${venue}`,
    price: vendorPrice(m.price, "results[].price"),
    size: vendorQuantity(m.size, "results[].size"),
    aggressor: "NONE",
    tradeId: str(m.id, "results[].id"),
    seq: vendorInt(m.sequence_number, "results[].sequence_number"),
    tsEvent: nsToUs(m.sip_timestamp, "results[].sip_timestamp"),
  };
}

/** REST /v3/quotes result: bid_price, bid_size, ask_price, ask_size, sequence_number, sip_timestamp (ns). */
export function quoteFromRest(r: unknown, ticker: string, venue: string): VendorQuote {
  const m = obj(r, "results[]");
  return {
    kind: "quote",
    source: SOURCE,
    instrument: `${ticker}.${venue}`,
    bid: vendorPrice(m.bid_price, "results[].bid_price"),
    bidSize: vendorQuantity(m.bid_size, "results[].bid_size"),
    ask: vendorPrice(m.ask_price, "results[].ask_price"),
    askSize: vendorQuantity(m.ask_size, "results[].ask_size"),
    seq: vendorInt(m.sequence_number, "results[].sequence_number"),
    tsEvent: nsToUs(m.sip_timestamp, "results[].sip_timestamp"),
  };
}

/** Nanosecond timestamps exceed 2^53: JSON.parse has already rounded them to ~256 ns, well under our 1 µs. */
function nsToUs(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new TypeError(`${field}: ${JSON.stringify(v)} is not a timestamp`);
  return Math.round(v / 1000);
}
