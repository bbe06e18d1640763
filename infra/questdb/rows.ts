import type { Bar, BarFactors, Filing, NewsHeadline, OrderEvent, Quote, SeriesObservation, Trade } from "../../actors/domain/index.ts";
import { parseInstrumentId } from "../../actors/contract/index.ts";
import type { OrderState } from "../../actors/order/index.ts";

/**
 * One QuestDB row, fully computed before it touches the ILP buffer: a value that cannot be written is found while
 * mapping (one message), never half-way through a row in the shared buffer. Undefined values are left null.
 * Prices and quantities are 1e-8 units and go out as DECIMAL(18,8) without passing through a float (ilp-writer.ts).
 */
export interface Row {
  table:
    | "quotes"
    | "trades"
    | "bars"
    | "bar_factors"
    | "filings"
    | "news"
    | "alt_series"
    | "orders"
    | "fills"
    | "risk_events"
    | "backtest_runs"
    | "backtest_equity";
  /** designated timestamp, µs */
  ts: number;
  symbols: [name: string, value: string | undefined][];
  decimals: [name: string, units: number | undefined][];
  longs: [name: string, value: number | undefined][];
  strings: [name: string, value: string | undefined][];
  /** binary floats (statistics such as factors; never money) */
  doubles?: [name: string, value: number | undefined][];
  /** other timestamp columns, µs */
  times: [name: string, us: number | undefined][];
}

/** The recorded universe is small next to its rows: each id is parsed once (bounded, so hostile ids cannot grow it). */
const parsedIds = new Map<string, ReturnType<typeof parseInstrumentId>>();
function instrumentOf(id: string): ReturnType<typeof parseInstrumentId> {
  let i = parsedIds.get(id);
  if (!i) {
    i = parseInstrumentId(id);
    if (parsedIds.size >= 100_000) parsedIds.clear();
    parsedIds.set(id, i);
  }
  return i;
}

export const quoteRow = (q: Quote): Row => {
  const i = instrumentOf(q.instrument);
  return {
    table: "quotes",
    ts: q.tsEvent,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
    ],
    decimals: [
      ["bid", q.bid],
      ["bid_size", q.bidSize],
      ["ask", q.ask],
      ["ask_size", q.askSize],
    ],
    longs: [["seq", q.seq]],
    strings: [],
    times: [["ts_init", q.tsInit]],
  };
};

export const tradeRow = (x: Trade): Row => {
  const i = instrumentOf(x.instrument);
  return {
    table: "trades",
    ts: x.tsEvent,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["aggressor", x.aggressor],
    ],
    decimals: [
      ["price", x.price],
      ["size", x.size],
    ],
    longs: [["seq", x.seq]],
    strings: [["trade_id", x.tradeId]],
    times: [["ts_init", x.tsInit]],
  };
};

/** A bar's factors are keyed like the bar (open time, bar type) and the factor set's version. */
export const barFactorsRow = (x: BarFactors): Row => {
  const i = instrumentOf(x.instrument);
  const f = x.factors;
  return {
    table: "bar_factors",
    ts: x.tsOpen,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["bar_type", x.barType],
    ],
    decimals: [],
    longs: [["version", x.version]],
    strings: [],
    doubles: [
      ["ret1", f.ret1],
      ["ret5", f.ret5],
      ["vol20", f.vol20],
      ["hl_range", f.range],
      ["volume_ratio", f.volumeRatio],
    ],
    times: [
      ["ts_close", x.tsEvent],
      ["ts_init", x.tsInit],
    ],
  };
};

/** A bar is keyed by its open time; its tsEvent (close time) goes to ts_close. */
export const barRow = (b: Bar): Row => {
  const i = instrumentOf(b.instrument);
  return {
    table: "bars",
    ts: b.tsOpen,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["bar_type", b.barType],
    ],
    decimals: [
      ["open", b.open],
      ["high", b.high],
      ["low", b.low],
      ["close", b.close],
      ["volume", b.volume],
      ["vwap", b.vwap],
    ],
    longs: [["trades", b.trades]],
    strings: [],
    times: [
      ["ts_close", b.tsEvent],
      ["ts_init", b.tsInit],
    ],
  };
};

function reasonOf(e: OrderEvent, o: OrderState | null): string | undefined {
  switch (e.type) {
    case "OrderRejected":
      return `${e.reason}: ${e.message}`;
    case "OrderCancelRejected":
      return `${e.request} rejected: ${e.reason}`;
    case "OrderCancelPending":
    case "OrderCanceled":
      return e.cause;
    default:
      return o?.rejectReason;
  }
}

/**
 * The rows of one order event: one `orders` row (the order as it stands after the event; `seq` is the event's
 * stream sequence, so every event is its own row) and, for a fill, one `fills` row keyed by the venue's execId.
 * `after` is the order state with this event applied (null when the order's OrderSubmitted is unknown: the row then
 * carries only what the event itself says).
 */
export function orderEventRows(e: OrderEvent, after: OrderState | null, streamSeq: number): Row[] {
  const inst = after ? parseInstrumentId(after.instrument) : undefined;
  const venueOrderId = "venueOrderId" in e ? e.venueOrderId : undefined;
  const rows: Row[] = [
    {
      table: "orders",
      ts: e.tsEvent,
      symbols: [
        ["event", e.type],
        ["status", after?.status],
        ["venue", inst?.venue],
        ["symbol", inst?.symbol],
        ["side", after?.side ?? ("side" in e ? e.side : undefined)],
        ["order_type", after?.orderType],
        ["tif", after?.timeInForce],
        ["book", after?.book],
        ["strategy", after?.strategy],
      ],
      decimals: [
        ["price", after?.price],
        ["stop_price", after?.stopPrice],
        ["qty", after?.quantity],
        ["filled_qty", after?.cumQty ?? ("cumQty" in e ? e.cumQty : undefined)],
        ["avg_price", after && after.cumQty > 0 ? after.avgPx : e.type === "OrderFilled" ? e.avgPx : undefined],
      ],
      longs: [["seq", streamSeq]],
      strings: [
        ["order_id", e.clientOrderId],
        ["client_order_id", e.clientOrderId],
        ["venue_order_id", venueOrderId ?? after?.venueOrderId],
        ["reason", reasonOf(e, after)],
      ],
      times: [["ts_init", e.tsInit]],
    },
  ];
  if (e.type === "OrderFilled") {
    rows.push({
      table: "fills",
      ts: e.tsEvent,
      symbols: [
        ["venue", inst?.venue],
        ["symbol", inst?.symbol],
        ["side", e.side],
        ["liquidity", e.liquidity],
        ["strategy", after?.strategy],
        ["book", after?.book],
      ],
      decimals: [
        ["price", e.lastPx],
        ["qty", e.lastQty],
        ["fee", e.fee],
      ],
      longs: [],
      strings: [
        ["fill_id", e.execId],
        ["order_id", e.clientOrderId],
      ],
      times: [["ts_init", e.tsInit]],
    });
  }
  return rows;
}

export const filingRow = (f: Filing): Row => {
  const i = instrumentOf(f.instrument);
  return {
    table: "filings",
    ts: f.tsEvent,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["cik", f.cik],
      ["form", f.form],
    ],
    decimals: [],
    longs: [],
    strings: [
      ["accession", f.accession],
      ["items", f.items.join(",")],
      ["filing_date", f.filingDate],
      ["url", f.url],
    ],
    times: [["ts_init", f.tsInit]],
  };
};

export const newsRow = (n: NewsHeadline): Row => {
  const i = instrumentOf(n.instrument);
  return {
    table: "news",
    ts: n.tsEvent,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["publisher", n.publisher || undefined],
    ],
    decimals: [],
    longs: [
      ["positive", n.positive],
      ["negative", n.negative],
    ],
    strings: [
      ["article_id", n.id],
      ["title", n.title],
      ["url", n.url],
    ],
    doubles: [["sentiment", n.sentiment]],
    times: [["ts_init", n.tsInit]],
  };
};

export const seriesRow = (o: SeriesObservation): Row => {
  const i = instrumentOf(o.instrument);
  return {
    table: "alt_series",
    ts: o.tsEvent,
    symbols: [
      ["venue", i.venue],
      ["symbol", i.symbol],
      ["source", o.source],
      ["series", o.series],
    ],
    decimals: [],
    longs: [],
    strings: [],
    doubles: [["value", o.value]],
    times: [["ts_init", o.tsInit]],
  };
};

/**
 * A risk book's journaled event as its archive row: what identifies it (book, type, stream sequence, the order and
 * instrument it concerns) in columns, and the event whole as JSON (bigints, such as money beyond 2^53, as decimal text).
 */
export function riskEventRow(book: string, e: { type: string; [field: string]: unknown }, streamSeq: number): Row {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const us = (v: unknown) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined);
  const ts = us(e.tsEvent);
  if (ts === undefined) throw new Error(`${e.type} of risk book ${book} (stream seq ${streamSeq}) has no tsEvent`);
  return {
    table: "risk_events",
    ts,
    symbols: [
      ["book", book],
      ["event", e.type],
      ["instrument", str(e.instrument)],
    ],
    decimals: [],
    longs: [["seq", streamSeq]],
    strings: [
      ["order_id", str(e.clientOrderId)],
      ["body", JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))],
    ],
    times: [["ts_init", us(e.tsInit)]],
  };
}
