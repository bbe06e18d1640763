/** Changes the mutable InstrumentState in place (no copy per feed item: the hot path) and writes what to publish. */
import type { Emitted } from "../contract/index.ts";
import { vwapOf } from "./bars.ts";
import type { InstrumentState, RawBookUpdateInput, RawQuoteInput, RawStatusInput, RawTradeInput } from "./state.ts";
import type { Rejection } from "./validation.ts";

/** An accepted book update: the L2 book follows it (book-sync.ts). */
export function evolveBookUpdate(s: InstrumentState, b: RawBookUpdateInput, nowUs: number, out: Emitted[]): void {
  s.counters.accepted++;
  s.sync.onUpdate(b, nowUs, out);
}

/** A rejected item: counted and dead-lettered with its reason. */
export function reject(s: InstrumentState, item: unknown, r: Rejection, nowUs: number, out: Emitted[]): void {
  s.counters.rejected[r.reason]++;
  out.push({
    type: "publish",
    subject: s.subject.dlq,
    message: {
      type: "FeedRejected",
      instrument: s.definition.id,
      reason: r.reason,
      detail: r.detail,
      input: item,
      tsEvent: nowUs,
      tsInit: nowUs,
    },
  });
}

/** Time passes (before every item, and on Tick): status from the calendar, overdue snapshot requests. */
export function advance(s: InstrumentState, nowUs: number, out: Emitted[]): void {
  if (s.status.onTime(nowUs)) publishStatus(s, nowUs, out);
  s.sync.advance(nowUs, out);
}

/**
 * Closes time bars whose interval ended by `us`: the tsEvent of an accepted quote or trade (event time, exact
 * whatever the batching), or a Tick's nowUs less the grace (so quiet instruments still get their bars).
 */
export function closeBarsAt(s: InstrumentState, us: number, nowUs: number, out: Emitted[]): void {
  if (us < s.nextBarCloseUs) return;
  for (const a of s.aggregators) a.closeDue(us, s.closedBars);
  flushBars(s, nowUs, out);
}

/** An accepted quote: top of book, due bars, and the normalised Quote. */
export function evolveQuote(s: InstrumentState, q: RawQuoteInput, nowUs: number, out: Emitted[]): void {
  s.lastQuoteTs = q.tsEvent;
  closeBarsAt(s, q.tsEvent, nowUs, out);
  s.bid = q.bid;
  s.bidSize = q.bidSize;
  s.ask = q.ask;
  s.askSize = q.askSize;
  s.counters.accepted++;
  const crossed = q.bid >= q.ask;
  if (crossed) s.counters.crossed++;
  out.push({
    type: "publish",
    subject: s.subject.quote,
    message: {
      type: "Quote",
      instrument: s.definition.id,
      bid: q.bid,
      bidSize: q.bidSize,
      ask: q.ask,
      askSize: q.askSize,
      seq: ++s.quoteSeq,
      ...(crossed ? { crossed: true } : {}),
      tsEvent: q.tsEvent,
      tsInit: nowUs,
    },
  });
}

/** An accepted trade: the normalised Trade and the bars it builds or closes. */
export function evolveTrade(s: InstrumentState, t: RawTradeInput, nowUs: number, out: Emitted[]): void {
  s.lastTradeTs = t.tsEvent;
  s.lastTradeId = t.tradeId;
  s.counters.accepted++;
  out.push({
    type: "publish",
    subject: s.subject.trade,
    message: {
      type: "Trade",
      instrument: s.definition.id,
      price: t.price,
      size: t.size,
      aggressor: t.aggressor,
      tradeId: t.tradeId,
      seq: ++s.tradeSeq,
      tsEvent: t.tsEvent,
      tsInit: nowUs,
    },
  });
  const pv = BigInt(t.price) * BigInt(t.size);
  let late = 0;
  for (const a of s.aggregators) {
    const before = a.lateTrades;
    a.onTrade(t.tsEvent, t.price, t.size, pv, s.closedBars);
    late += a.lateTrades - before;
  }
  if (late > 0) s.counters.lateTrades++;
  flushBars(s, nowUs, out);
}

/** An accepted HALT or RESUME: the status changes (published when it does). */
export function evolveStatus(s: InstrumentState, st: RawStatusInput, nowUs: number, out: Emitted[]): void {
  s.counters.accepted++;
  if (s.status.onFeed(st.action, typeof st.reason === "string" ? st.reason : undefined, nowUs)) publishStatus(s, nowUs, out);
}

function flushBars(s: InstrumentState, nowUs: number, out: Emitted[]): void {
  const bars = s.closedBars;
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i]!;
    s.counters.bars++;
    out.push({
      type: "publish",
      subject: s.subject.bar,
      message: {
        type: "Bar",
        instrument: s.definition.id,
        barType: b.barType,
        tsOpen: b.tsOpen,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
        vwap: vwapOf(b.turnover, b.volume),
        trades: b.trades,
        tsEvent: b.tsClose,
        tsInit: nowUs,
      },
    });
  }
  bars.length = 0;
  let next = Number.POSITIVE_INFINITY;
  for (const a of s.aggregators) next = Math.min(next, a.closesAtUs);
  s.nextBarCloseUs = next;
}

function publishStatus(s: InstrumentState, nowUs: number, out: Emitted[]): void {
  const st = s.status;
  out.push({
    type: "publish",
    subject: s.subject.status,
    message: {
      type: "InstrumentStatus",
      instrument: s.definition.id,
      status: st.status!,
      calendar: st.calendar,
      halted: st.halted,
      ...(st.reason ? { reason: st.reason } : {}),
      tsEvent: nowUs,
      tsInit: nowUs,
    },
  });
}
