import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  Bar,
  BarFactors,
  Filing,
  NewsHeadline,
  type OrderEvent,
  type OrderEventType,
  orderEventDefs,
  orderEventTypes,
  Quote,
  RecordRejectReason,
  SeriesObservation,
  Trade,
} from "../../actors/domain/index.ts";
import { errorMessage, parseSubject, subjects } from "../../actors/contract/index.ts";
import { evolve, isTerminal, type OrderState } from "../../actors/order/index.ts";
import { DecodeError, decodeAs, decodeMessage, envelopeOf, Header, headersOf, Journal, streams } from "../nats/index.ts";
import {
  barFactorsRow,
  barRow,
  filingRow,
  newsRow,
  orderEventRows,
  quoteRow,
  type Row,
  riskEventRow,
  seriesRow,
  tradeRow,
} from "./rows.ts";

/** Where refused messages go, with the reason (RecordRejected). */
export const recorderDlq = {
  marketData: subjects.dlq("recorder", "md"),
  orders: subjects.dlq("recorder", "orders"),
  riskBooks: subjects.dlq("recorder", "risk-books"),
} as const;

/** The prefix of a node's recorder's durable consumers. */
export const DEFAULT_RECORDER_DURABLE = "am-recorder";

/** Each lane's durable consumer, named after the recorder's prefix (DEFAULT_RECORDER_DURABLE on a node). */
export const laneDurable = (prefix: string, key: Lane["key"]): string =>
  `${prefix}-${key === "marketData" ? "md" : key === "orders" ? "orders" : "risk-books"}`;

/**
 * A message with its rows, the reason it is refused (then dead-lettered, never written), or a message of the
 * stream that the lane does not record (acknowledged as it is, nothing written).
 */
export type Prepared =
  | { msg: JsMsg; rows: Row[] }
  | { msg: JsMsg; reject: RecordRejectReason; detail: string; inputType?: string }
  | { msg: JsMsg; unrecorded: true };

/** How one consumer turns its messages into rows. */
export interface Lane {
  key: "marketData" | "orders" | "riskBooks";
  stream: string;
  /** the consumer's filter subjects; one, and the stream's own subject where the lane takes the whole stream */
  filters: string[];
  dlq: string;
  prepare(msgs: JsMsg[]): Promise<Prepared[]>;
}

/** The refusal of a message that does not decode. */
function rejectOf(msg: JsMsg, e: unknown): Prepared {
  const inputType = msg.headers?.get(Header.Type) || undefined;
  const detail = e instanceof DecodeError ? `${e.reason}: ${e.message}` : errorMessage(e);
  return { msg, reject: RecordRejectReason.Decode, detail, ...(inputType ? { inputType } : {}) };
}

// the channel token of am.md.<channel>.<venue>.<symbol>, matched without splitting the subject per message
const channelPrefix = (c: "quote" | "trade" | "bar" | "features" | "filing" | "news" | "series"): string => subjects.mdAll(c).slice(0, -1);
const QUOTES = channelPrefix("quote");
const TRADES = channelPrefix("trade");
const BARS = channelPrefix("bar");
const FEATURES = channelPrefix("features");
const FILINGS = channelPrefix("filing");
const NEWS = channelPrefix("news");
const SERIES = channelPrefix("series");

/** The channels of AM_MD that the recorder writes; status changes, also kept there, are acknowledged unread. */
const recordedChannels = [QUOTES, TRADES, BARS, FEATURES, FILINGS, NEWS, SERIES];

/**
 * Quotes, trades, bars, bar factors and alternative data on AM_MD: one row each, on the table of its channel.
 * The consumer takes the whole stream rather than filtering the recorded channels: with several filter subjects
 * nats-server looks up the next message by intersecting each message block's subjects (thousands: one per
 * instrument and channel) with the filters, about 100 µs per delivered message and most of its CPU at market
 * data rates; unfiltered, it reads the block in order.
 */
export function marketDataLane(): Lane {
  return {
    key: "marketData",
    stream: streams.marketData,
    filters: [],
    dlq: recorderDlq.marketData,
    prepare: async (msgs) =>
      msgs.map((msg): Prepared => {
        const subject = msg.subject;
        if (!recordedChannels.some((c) => subject.startsWith(c))) return { msg, unrecorded: true };
        try {
          const headers = headersOf(msg);
          // the type alone: decodeAs reads the whole envelope once it knows which definition to expect
          const type = headers?.get(Header.Type);
          if (type === "Quote" && subject.startsWith(QUOTES)) return { msg, rows: [quoteRow(decodeAs(Quote, msg.data, headers))] };
          if (type === "Trade" && subject.startsWith(TRADES)) return { msg, rows: [tradeRow(decodeAs(Trade, msg.data, headers))] };
          if (type === "Bar" && subject.startsWith(BARS)) return { msg, rows: [barRow(decodeAs(Bar, msg.data, headers))] };
          if (type === "BarFactors" && subject.startsWith(FEATURES))
            return { msg, rows: [barFactorsRow(decodeAs(BarFactors, msg.data, headers))] };
          if (type === "Filing" && subject.startsWith(FILINGS)) return { msg, rows: [filingRow(decodeAs(Filing, msg.data, headers))] };
          if (type === "NewsHeadline" && subject.startsWith(NEWS))
            return { msg, rows: [newsRow(decodeAs(NewsHeadline, msg.data, headers))] };
          if (type === "SeriesObservation" && subject.startsWith(SERIES))
            return { msg, rows: [seriesRow(decodeAs(SeriesObservation, msg.data, headers))] };
          const { message } = decodeMessage(msg.data, headers, true);
          return { msg, reject: RecordRejectReason.UnexpectedType, detail: `${message.type} on ${msg.subject}`, inputType: message.type };
        } catch (e) {
          return rejectOf(msg, e);
        }
      }),
  };
}

const orderTypesSet: ReadonlySet<string> = new Set(orderEventTypes);

/** How many closed orders' states the lane keeps for the rare late event (a fill that raced a cancel). */
const recentClosedOrders = 1_000;

/**
 * Order rows need the order as it stands (instrument, side, status): the lane keeps each open order's state, folded
 * with the order actor's own `evolve`, and rebuilds a missing one (after a restart) from the order's journal. A
 * closed order's state moves to a short list of recent ones, so the lane's memory follows the open orders.
 */
export function orderLane(nc: NatsConnection, cacheSize: number): Lane {
  type Known = { state: OrderState | null; seq: number };
  const open = new Map<string, Known>();
  const closed = new Map<string, Known>();
  const remember = (id: string, state: OrderState | null, seq: number): void => {
    open.delete(id);
    closed.delete(id);
    const into = state && isTerminal(state.status) ? closed : open;
    into.set(id, { state, seq });
    const bound = into === closed ? recentClosedOrders : cacheSize;
    if (into.size > bound) into.delete(into.keys().next().value as string);
  };
  const rebuild = async (id: string, beforeSeq: number): Promise<OrderState | null> => {
    const journal = new Journal(nc, subjects.evtOf("order", id), () => "", "");
    let state: OrderState | null = null;
    for await (const r of journal.read()) {
      if (r.seq >= beforeSeq) break;
      if (orderTypesSet.has(r.event.type)) state = evolve(state, r.event as OrderEvent);
    }
    return state;
  };
  return {
    key: "orders",
    stream: streams.events,
    filters: [subjects.evtAll("order")],
    dlq: recorderDlq.orders,
    prepare: async (msgs) => {
      const out: Prepared[] = [];
      for (const msg of msgs) {
        let event: OrderEvent;
        try {
          const headers = headersOf(msg);
          if (!orderTypesSet.has(envelopeOf(headers)?.type ?? "")) {
            const { message } = decodeMessage(msg.data, headers, true);
            out.push({
              msg,
              reject: RecordRejectReason.UnexpectedType,
              detail: `${message.type} on ${msg.subject}`,
              inputType: message.type,
            });
            continue;
          }
          event = decodeAs(orderEventDefs, msg.data, headers);
        } catch (e) {
          out.push(rejectOf(msg, e));
          continue;
        }
        const id = event.clientOrderId;
        let before: OrderState | null = null;
        if ((event.type as OrderEventType) !== "OrderSubmitted") {
          const known = open.get(id) ?? closed.get(id);
          before = known && known.seq < msg.seq ? known.state : await rebuild(id, msg.seq);
        }
        const after = evolve(before, event);
        remember(id, after, msg.seq);
        out.push({ msg, rows: orderEventRows(event, after, msg.seq) });
      }
      return out;
    },
  };
}

/**
 * Every risk book's journaled events on AM_EVT, one row each in risk_events: the archive that lets a book's
 * journal be compacted (actors/risk-book/kind.ts purges only what this consumer has acknowledged).
 */
export function riskBookLane(): Lane {
  return {
    key: "riskBooks",
    stream: streams.events,
    filters: [subjects.evtAll("risk-book")],
    dlq: recorderDlq.riskBooks,
    prepare: async (msgs) =>
      msgs.map((msg): Prepared => {
        try {
          const { message } = decodeMessage(msg.data, headersOf(msg), true);
          return { msg, rows: [riskEventRow(parseSubject(msg.subject).id ?? "", message, msg.seq)] };
        } catch (e) {
          return rejectOf(msg, e);
        }
      }),
  };
}
