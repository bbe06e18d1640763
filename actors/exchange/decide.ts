import type { Quote, RecordedBookEvent, Trade, VenueCancelOrder, VenueNewOrder, VenueReplaceOrder } from "../domain/index.ts";
import { type Emitted, traceOf } from "../contract/index.ts";
import type { SimulatedVenueSession } from "./venue-session.ts";
import type { VenueBookChanged } from "./book-record.ts";

type In<T> = T & { nowUs: number };
export type SimulatedVenueInput =
  /** the venue (re)started: a new trading session, and no client has a session in it yet */
  | In<{ type: "OpenTradingSession" }>
  | In<{ type: "AdapterConnect"; venue: string }>
  | In<{ type: "AdapterDisconnect"; venue: string; reason: string }>
  | In<{ type: "AdapterRequestState"; venue: string; sinceSeq: number }>
  | In<{ type: "AdapterOrderStatusRequest"; venue: string; clientOrderId: string }>
  | In<{ type: "VenueNewOrder" } & VenueNewOrder>
  | In<{ type: "VenueCancelOrder" } & VenueCancelOrder>
  | In<{ type: "VenueReplaceOrder" } & VenueReplaceOrder>
  | In<{ type: "Quote" } & Quote>
  /** a trade print: consumes the queue at its price (heard only under the `visible` queue model) */
  | In<{ type: "Trade" } & Trade>
  /** a recorded L2 level or print (heard only under the `l2` queue model) */
  | In<{ type: "RecordedBookEvent" } & RecordedBookEvent>
  /** consecutive market data (quotes, and trades or recorded book events as the queue model asks) folded into one event by the runtime (kind.batchAs) */
  | In<{
      type: "QuoteBatch";
      items: (({ type: "Quote" } & Quote) | ({ type: "Trade" } & Trade) | ({ type: "RecordedBookEvent" } & RecordedBookEvent))[];
    }>
  /** the machine's own timer: a command delayed by the venue's latency has arrived */
  | In<{ type: "CommandsArrived" }>
  /** its own journal record, read back by a restart (the runtime marks it `replay`); never taken live */
  | In<VenueBookChanged & { replay?: boolean }>;

/** The messages the venue publishes for one input, or why it has nothing to say to it. */
export type ExchangeDecision = { ok: true; events: Emitted[] } | { ok: false; reason: string };

/**
 * Runs one input against the session and returns what the venue publishes. The matching engines' books change in
 * place here, not in evolve: a book is pooled typed arrays on the hot path, and a copy per order would cost more
 * than the match itself. An order the venue refuses is an answer (a rejected ExecutionReport), not a refusal here.
 */
export function decide(session: SimulatedVenueSession, event: SimulatedVenueInput): ExchangeDecision {
  const out: Emitted[] = [];
  const now = event.nowUs;
  // an order's reports may come at a later input (its latency, a quote that fills it): they stay in its trace
  const trace = "clientOrderId" in event ? traceOf(event) : undefined;
  if (trace) session.traced((event as { clientOrderId: string }).clientOrderId, trace);
  switch (event.type) {
    case "OpenTradingSession":
      // A client still connected to the previous session (its venue connection outlived our restart) must log on
      // again and reconcile now, not at its next order: until then its open orders exist only on its side.
      session.disconnect(now, "venue restarted: a new trading session", out);
      break;
    case "AdapterConnect":
      session.connect(now, out);
      break;
    case "AdapterDisconnect":
      session.disconnect(now, event.reason, out);
      break;
    case "AdapterRequestState":
      session.requestState(now, event.sinceSeq, out);
      break;
    case "AdapterOrderStatusRequest":
      session.orderStatus(now, event.clientOrderId, out);
      break;
    case "VenueNewOrder":
      session.newOrder(event, now, out);
      break;
    case "VenueCancelOrder":
      session.cancel(event, now, out);
      break;
    case "VenueReplaceOrder":
      session.replace(event, now, out);
      break;
    case "Quote":
      session.quote(event, now, out);
      break;
    case "Trade":
      session.trade(event, now, out);
      break;
    case "RecordedBookEvent":
      session.recordedBook(event, now, out);
      break;
    case "QuoteBatch":
      for (const m of event.items) {
        if (m.type === "Quote") session.quote(m, now, out);
        else if (m.type === "Trade") session.trade(m, now, out);
        else if (m.type === "RecordedBookEvent") session.recordedBook(m, now, out);
      }
      break;
    case "CommandsArrived":
      session.arrive(now, out);
      break;
    case "VenueBookChanged":
      if (!event.replay) return { ok: false, reason: "VenueBookChanged is the venue's journal record: only a restart replays it" };
      session.replay(event);
      break;
    default: {
      // the machine takes every event ("*"): one outside the protocol reaches here at run time
      const other: { type: string } = event;
      return { ok: false, reason: `${other.type} is not a venue-adapter command or a quote` };
    }
  }
  return { ok: true, events: out };
}
