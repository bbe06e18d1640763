/**
 * Where an order's time goes, hop by hop, for the order-path benchmarks (ORDERS_BENCH_HOPS=1): a connection of its
 * own hears every am.> message (commands, events as appended and as stored), and each timed order's span is cut at
 * its milestones, the first message of each kind after the one before:
 *
 *   request → OrderApproved stored (risk book decides, appends) → OrderSubmitted stored (the order entity activates,
 *   decides, appends) → am.cmd.venue (forwarded to the venue connection) → am.cmd.venue-adapter (sent to the
 *   exchange) → the exchange's event stored (write-ahead) → am.cmd.venue (its report back to the venue connection)
 *   → OrderAccepted stored (the order entity appends).
 *
 * The listener runs in the process that hosts the actors, so it costs them some CPU (a callback per message, about
 * twenty per order): the bench names the setting in its JSON. Orders run one at a time, so every message heard
 * inside a span belongs to that order or to what else ran meanwhile.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { storedSubject, subjects } from "../../../actors/contract/index.ts";
import { percentiles } from "./trading-loop.ts";

export interface Heard {
  atMs: number;
  subject: string;
}

export interface OrderSpan {
  fromMs: number;
  toMs: number;
  /** the order's clientOrderId */
  orderId: string;
}

export interface HopReport {
  segments: Record<string, { p50Us: number; p99Us: number; slowP50Us: number }>;
  /** spans in which a milestone was not heard (not counted in the segments) */
  missed: number;
}

interface Milestone {
  name: string;
  matches: (subject: string) => boolean;
}

/** An order's milestones, each matched by the subject it is heard on. */
function milestones(book: string, venue: string, orderId: string): Milestone[] {
  const is = (subject: string) => (s: string) => s === subject;
  const toVenue = is(subjects.cmd("venue", venue));
  // am.stored.exchange.<venue>. : any event of the exchange
  const exchangeEvents = storedSubject(subjects.evtOf("exchange", venue)).slice(0, -1);
  return [
    { name: "bookApproved", matches: is(storedSubject(subjects.evt("risk-book", book, "OrderApproved"))) },
    { name: "orderSubmitted", matches: is(storedSubject(subjects.evt("order", orderId, "OrderSubmitted"))) },
    { name: "toVenue", matches: toVenue },
    { name: "toExchange", matches: is(subjects.cmd("venue-adapter", venue)) },
    { name: "exchangeStored", matches: (s) => s.startsWith(exchangeEvents) },
    { name: "reportToVenue", matches: toVenue },
    { name: "orderAccepted", matches: is(storedSubject(subjects.evt("order", orderId, "OrderAccepted"))) },
  ];
}

/** Listens to am.> on `nc` (a connection of its own) until `report`. */
export class OrderHops {
  private readonly heard: Heard[] = [];
  private readonly spans: OrderSpan[] = [];
  private readonly sub: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly book: string,
    private readonly venue: string,
  ) {
    this.sub = nc.subscribe("am.>", {
      callback: (err, m) => {
        if (!err) this.heard.push({ atMs: performance.now(), subject: m.subject });
      },
    });
  }

  ready(): Promise<void> {
    return this.nc.flush();
  }

  /** A timed order: from its request to its OrderAccepted (performance.now() ms). */
  span(fromMs: number, toMs: number, orderId: string): void {
    this.spans.push({ fromMs, toMs, orderId });
  }

  /** The hops of every span so far (see cutHops); stops listening. */
  report(slowShare = 0.05): HopReport {
    this.sub.unsubscribe();
    return cutHops(this.heard, this.spans, this.book, this.venue, slowShare);
  }
}

/**
 * Per segment (from the milestone before, the request first), p50 and p99 in µs over the spans, and the p50 over
 * the slowest `slowShare` of them. `heard` is in the order it was heard; spans do not overlap.
 */
export function cutHops(heard: readonly Heard[], spans: readonly OrderSpan[], book: string, venue: string, slowShare: number): HopReport {
  const names = spans.length ? milestones(book, venue, spans[0]!.orderId).map((m) => m.name) : [];
  const rows: { total: number; gaps: number[] }[] = [];
  let missed = 0;
  let cursor = 0;
  for (const span of spans) {
    while (cursor < heard.length && heard[cursor]!.atMs < span.fromMs) cursor++;
    const gaps: number[] = [];
    let at = span.fromMs;
    let i = cursor;
    const ms = milestones(book, venue, span.orderId);
    for (const m of ms) {
      // the listener may hear the last stored event a little after the driver did
      while (i < heard.length && heard[i]!.atMs <= span.toMs + 1 && !m.matches(heard[i]!.subject)) i++;
      if (i >= heard.length || heard[i]!.atMs > span.toMs + 1) break;
      gaps.push((heard[i]!.atMs - at) * 1000);
      at = heard[i]!.atMs;
      i++;
    }
    if (gaps.length < names.length) missed++;
    else rows.push({ total: (span.toMs - span.fromMs) * 1000, gaps });
  }
  const slowest = [...rows].sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.round(rows.length * slowShare)));
  const segments: HopReport["segments"] = {};
  names.forEach((name, k) => {
    const all = percentiles(rows.map((r) => r.gaps[k]!));
    const slow = percentiles(slowest.map((r) => r.gaps[k]!));
    segments[name] = { p50Us: all.p50, p99Us: all.p99, slowP50Us: slow.p50 };
  });
  return { segments, missed };
}
