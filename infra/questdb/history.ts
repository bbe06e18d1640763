import { asPrice, asQuantity, type Bar, type Price, parseFixed, type Quantity, type Quote, type Trade } from "../../actors/domain/index.ts";
import { IdError, type InstrumentId, parseInstrumentId } from "../../actors/contract/index.ts";
import { questdbSql, rowsOf, sqlLiteral } from "./sql.ts";

/**
 * History queries over the recorded tables. Statements are built only from constants (table and column names come
 * from the fixed lists below), validated instrument ids and bar types passed through `sqlLiteral`, and integers
 * checked to be safe integers; no caller text is ever pasted. DECIMAL columns come back from /exec as strings and
 * are parsed into 1e-8 units with parseFixed, so no price passes through a float.
 */
export class HistoryQueryError extends Error {
  override name = "HistoryQueryError";
}

export const TickKind = { Quote: "quote", Trade: "trade" } as const;
export type TickKind = (typeof TickKind)[keyof typeof TickKind];

/** The most rows one query returns. */
export const maxHistoryRows = 100_000;

const BAR_TYPE_RE = /^\d+(ms|s|m|h|d|t|v)$/;

function instrumentOf(text: unknown): InstrumentId {
  if (typeof text !== "string") throw new HistoryQueryError(`instrument must be a string of the form SYMBOL.VENUE, got ${typeof text}`);
  try {
    return parseInstrumentId(text);
  } catch (e) {
    throw new HistoryQueryError(e instanceof IdError ? e.message : `instrument id ${JSON.stringify(text)} is invalid`);
  }
}

function micros(name: string, v: unknown): string {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new HistoryQueryError(`${name} must be a non-negative integer of microseconds since the epoch, got ${JSON.stringify(v)}`);
  }
  return String(v);
}

function limitOf(v: unknown): number {
  if (v === undefined) return maxHistoryRows;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1 || v > maxHistoryRows) {
    throw new HistoryQueryError(`limit must be an integer from 1 to ${maxHistoryRows}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function rangeOf(q: { fromUs: unknown; toUs: unknown }, column: "ts" | "ts_close" = "ts"): string {
  const from = micros("fromUs", q.fromUs);
  const to = micros("toUs", q.toUs);
  if (Number(to) < Number(from)) throw new HistoryQueryError(`toUs ${to} is before fromUs ${from}`);
  // A bar opens before it closes: bounding the designated timestamp too lets QuestDB skip partitions.
  if (column === "ts_close") return `ts_close >= ${from} AND ts_close < ${to} AND ts < ${to}`;
  return `ts >= ${from} AND ts < ${to}`;
}

const instrumentFilter = (i: InstrumentId): string => `venue = ${sqlLiteral(i.venue)} AND symbol = ${sqlLiteral(i.symbol)}`;

function fixed(row: Record<string, unknown>, column: string, table: string): number {
  const v = row[column];
  if (typeof v === "string") return parseFixed(v, `${table}.${column}`);
  // /exec returns DECIMAL as a string (checked on QuestDB 9); a number would only come from a cast in the query.
  if (typeof v === "number" && Number.isFinite(v)) return parseFixed(v.toFixed(8), `${table}.${column}`);
  throw new HistoryQueryError(`${table}.${column} at ts ${String(row.ts)} is ${v === null ? "null" : typeof v}, expected a decimal`);
}

const priceColumn = (row: Record<string, unknown>, column: string, table: string): Price => asPrice(fixed(row, column, table));
const quantityColumn = (row: Record<string, unknown>, column: string, table: string): Quantity => asQuantity(fixed(row, column, table));

function integer(row: Record<string, unknown>, column: string, table: string): number {
  const v = row[column];
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  throw new HistoryQueryError(`${table}.${column} at ts ${String(row.ts)} is ${JSON.stringify(v)}, expected an integer`);
}

const QUOTE_COLUMNS = "cast(ts AS LONG) ts, bid, bid_size, ask, ask_size, seq, cast(ts_init AS LONG) ts_init";
const TRADE_COLUMNS = "cast(ts AS LONG) ts, price, size, aggressor, trade_id, seq, cast(ts_init AS LONG) ts_init";
const BAR_COLUMNS =
  "cast(ts AS LONG) ts, open, high, low, close, volume, vwap, trades, cast(ts_close AS LONG) ts_close, cast(ts_init AS LONG) ts_init";

function quoteOf(instrument: string, r: Record<string, unknown>): Quote {
  const bid = priceColumn(r, "bid", "quotes");
  const ask = priceColumn(r, "ask", "quotes");
  return {
    instrument,
    bid,
    bidSize: quantityColumn(r, "bid_size", "quotes"),
    ask,
    askSize: quantityColumn(r, "ask_size", "quotes"),
    seq: integer(r, "seq", "quotes"),
    ...(bid >= ask ? { crossed: true } : {}),
    tsEvent: integer(r, "ts", "quotes"),
    tsInit: integer(r, "ts_init", "quotes"),
  };
}

function tradeOf(instrument: string, r: Record<string, unknown>): Trade {
  const aggressor = r.aggressor;
  if (aggressor !== "BUY" && aggressor !== "SELL" && aggressor !== "NONE") {
    throw new HistoryQueryError(`trades.aggressor at ts ${String(r.ts)} is ${JSON.stringify(aggressor)}`);
  }
  return {
    instrument,
    price: priceColumn(r, "price", "trades"),
    size: quantityColumn(r, "size", "trades"),
    aggressor,
    tradeId: String(r.trade_id ?? ""),
    seq: integer(r, "seq", "trades"),
    tsEvent: integer(r, "ts", "trades"),
    tsInit: integer(r, "ts_init", "trades"),
  };
}

export interface BarQuery {
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** e.g. "1m", as in the Bar message */
  barType: string;
  /** open times (or close times, with `by: "close"`) in [fromUs, toUs) */
  fromUs: number;
  toUs: number;
  /** which time the range applies to (default "open") */
  by?: "open" | "close";
  limit?: number;
}

/** Bars of one instrument and bar type whose open (or close) time is in the range, oldest first. */
export async function barsOf(url: string, q: BarQuery): Promise<Bar[]> {
  const i = instrumentOf(q.instrument);
  if (typeof q.barType !== "string" || !BAR_TYPE_RE.test(q.barType)) {
    throw new HistoryQueryError(`barType ${JSON.stringify(q.barType)} must be a number and a unit (ms s m h d t v), e.g. "1m"`);
  }
  const sql =
    `SELECT ${BAR_COLUMNS} FROM bars WHERE ${instrumentFilter(i)} AND bar_type = ${sqlLiteral(q.barType)} AND ${rangeOf(q, q.by === "close" ? "ts_close" : "ts")} ` +
    `ORDER BY ts LIMIT ${limitOf(q.limit)}`;
  const instrument = `${i.symbol}.${i.venue}`;
  return rowsOf(await questdbSql(url, sql)).map((r) => ({
    instrument,
    barType: q.barType,
    tsOpen: integer(r, "ts", "bars"),
    open: priceColumn(r, "open", "bars"),
    high: priceColumn(r, "high", "bars"),
    low: priceColumn(r, "low", "bars"),
    close: priceColumn(r, "close", "bars"),
    volume: quantityColumn(r, "volume", "bars"),
    vwap: priceColumn(r, "vwap", "bars"),
    trades: integer(r, "trades", "bars"),
    tsEvent: integer(r, "ts_close", "bars"),
    tsInit: integer(r, "ts_init", "bars"),
  }));
}

export interface TickQuery<K extends TickKind = TickKind> {
  kind: K;
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** event times in [fromUs, toUs) */
  fromUs: number;
  toUs: number;
  limit: number;
  /** paging: only ticks after this (event time, sequence), as the last tick of the previous page */
  after?: { tsUs: number; seq: number };
}

/** Quotes or trades of one instrument in the range, in (event time, sequence) order. */
export async function ticksOf(url: string, q: TickQuery<"quote">): Promise<Quote[]>;
export async function ticksOf(url: string, q: TickQuery<"trade">): Promise<Trade[]>;
export async function ticksOf(url: string, q: TickQuery): Promise<Quote[] | Trade[]>;
export async function ticksOf(url: string, q: TickQuery): Promise<Quote[] | Trade[]> {
  const i = instrumentOf(q.instrument);
  const table = q.kind === TickKind.Quote ? "quotes" : q.kind === TickKind.Trade ? "trades" : undefined;
  if (!table) throw new HistoryQueryError(`kind must be "quote" or "trade", got ${JSON.stringify(q.kind)}`);
  let after = "";
  if (q.after !== undefined) {
    const ts = micros("after.tsUs", q.after.tsUs);
    const seq = q.after.seq;
    if (typeof seq !== "number" || !Number.isSafeInteger(seq))
      throw new HistoryQueryError(`after.seq must be an integer, got ${JSON.stringify(seq)}`);
    after = ` AND (ts > ${ts} OR (ts = ${ts} AND seq > ${seq}))`;
  }
  const columns = table === "quotes" ? QUOTE_COLUMNS : TRADE_COLUMNS;
  const sql = `SELECT ${columns} FROM ${table} WHERE ${instrumentFilter(i)} AND ${rangeOf(q)}${after} ORDER BY ts, seq LIMIT ${limitOf(q.limit)}`;
  const instrument = `${i.symbol}.${i.venue}`;
  const rows = rowsOf(await questdbSql(url, sql));
  return table === "quotes" ? rows.map((r) => quoteOf(instrument, r)) : rows.map((r) => tradeOf(instrument, r));
}

/** The most recent recorded quote of an instrument, or undefined when there is none. */
export async function latestQuote(url: string, instrument: string): Promise<Quote | undefined> {
  const i = instrumentOf(instrument);
  const sql = `SELECT ${QUOTE_COLUMNS} FROM quotes WHERE ${instrumentFilter(i)} LATEST ON ts PARTITION BY venue, symbol`;
  const row = rowsOf(await questdbSql(url, sql))[0];
  return row ? quoteOf(`${i.symbol}.${i.venue}`, row) : undefined;
}

/** An order as the `orders` table last recorded it (the row of its latest event). Values in 1e-8 units. */
export interface RecordedOrder {
  clientOrderId: string;
  venueOrderId?: string;
  /** `SYMBOL.VENUE`; absent when the recorder never saw the order's OrderSubmitted */
  instrument?: string;
  side?: string;
  orderType?: string;
  timeInForce?: string;
  /** FIX OrdStatus after the event (FILLED, CANCELED, ...) */
  status?: string;
  /** the event that wrote the row */
  event: string;
  quantity?: number;
  price?: number;
  stopPrice?: number;
  cumQty?: number;
  avgPx?: number;
  reason?: string;
  book?: string;
  strategy?: string;
  tsEvent: number;
}

const ORDER_COLUMNS =
  "cast(ts AS LONG) ts, client_order_id, venue_order_id, event, status, venue, symbol, side, order_type, tif, price, stop_price, qty, filled_qty, avg_price, reason, book, strategy, seq";
/** Order ids, books and strategies as the order schema allows them (no quote can reach SQL unescaped anyway). */
const PRINTABLE_ID_RE = /^[\x21-\x7e]{1,64}$/;
/** Statuses after which an order takes no more instructions (FIX OrdStatus, as the recorder writes them). */
const CLOSED_STATUSES = "'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'";

function recordedOrderOf(r: Record<string, unknown>): RecordedOrder {
  const text = (c: string): string | undefined => (typeof r[c] === "string" && r[c] !== "" ? (r[c] as string) : undefined);
  const optionalFixed = (c: string): number | undefined => (r[c] === null || r[c] === undefined ? undefined : fixed(r, c, "orders"));
  const venue = text("venue");
  const symbol = text("symbol");
  const out: RecordedOrder = {
    clientOrderId: text("client_order_id") ?? "",
    event: text("event") ?? "",
    tsEvent: integer(r, "ts", "orders"),
  };
  const set = <K extends keyof RecordedOrder>(k: K, v: RecordedOrder[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("venueOrderId", text("venue_order_id"));
  set("instrument", venue && symbol ? `${symbol}.${venue}` : undefined);
  set("side", text("side"));
  set("orderType", text("order_type"));
  set("timeInForce", text("tif"));
  set("status", text("status"));
  set("quantity", optionalFixed("qty"));
  set("price", optionalFixed("price"));
  set("stopPrice", optionalFixed("stop_price"));
  set("cumQty", optionalFixed("filled_qty"));
  set("avgPx", optionalFixed("avg_price"));
  set("reason", text("reason"));
  set("book", text("book"));
  set("strategy", text("strategy"));
  return out;
}

function printableId(field: string, v: unknown): string {
  if (typeof v !== "string" || !PRINTABLE_ID_RE.test(v)) {
    throw new HistoryQueryError(`${field} ${JSON.stringify(v)} must be 1 to 64 printable characters without spaces`);
  }
  return v;
}

/** The latest recorded row of an order (highest stream sequence), or undefined when the recorder has none (yet). */
export async function latestOrderOf(url: string, clientOrderId: string): Promise<RecordedOrder | undefined> {
  // Every event is its own row. Its stream sequence, not its event time, says which is latest: a fill the venue
  // stamped before the cancel request the order journaled first is the later state (ts read them as PENDING_CANCEL).
  const sql = `SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ${sqlLiteral(printableId("clientOrderId", clientOrderId))} ORDER BY seq DESC LIMIT 1`;
  const r = rowsOf(await questdbSql(url, sql))[0];
  return r ? recordedOrderOf(r) : undefined;
}

/** A closed order's journal as recorded: the stream sequence of its last recorded closing event. */
export interface ClosedJournal {
  clientOrderId: string;
  seq: number;
}

/**
 * Orders with a closing row (a terminal status) of event time in [fromUs, toUs), each once with the highest
 * sequence of those rows; at most `limit` (the archive halves its window when a window reaches it).
 */
export async function closedJournalsOf(url: string, fromUs: number, toUs: number, limit: number): Promise<ClosedJournal[]> {
  const sql = `SELECT order_id, max(seq) seq FROM orders WHERE status IN (${CLOSED_STATUSES}) AND ts >= ${Math.floor(fromUs)} AND ts < ${Math.floor(toUs)} LIMIT ${limit}`;
  return rowsOf(await questdbSql(url, sql)).map((r) => ({ clientOrderId: String(r.order_id), seq: integer(r, "seq", "orders") }));
}

/** A risk book's event as its archive holds it (risk_events): the stream sequence it had and the event whole. */
export interface ArchivedRiskEvent {
  seq: number;
  event: { type: string; [field: string]: unknown };
}

/**
 * A risk book's archived events of the given types, by stream sequence. With the events its journal still holds
 * (read first: an event purged since was archived before), they are the book's whole record.
 */
export async function riskEventsOf(url: string, book: string, types: readonly string[]): Promise<ArchivedRiskEvent[]> {
  const sql = `SELECT seq, body FROM risk_events WHERE book = ${sqlLiteral(book)} AND event IN (${types.map(sqlLiteral).join(", ")}) ORDER BY seq`;
  return rowsOf(await questdbSql(url, sql)).map((r) => ({ seq: integer(r, "seq", "risk_events"), event: JSON.parse(String(r.body)) }));
}

/** Event time of the oldest recorded order row, undefined when none is recorded. */
export async function oldestOrderTimeOf(url: string): Promise<number | undefined> {
  const r = rowsOf(await questdbSql(url, "SELECT cast(min(ts) AS LONG) ts FROM orders"))[0];
  return typeof r?.ts === "number" ? r.ts : undefined;
}

/** Which closed orders to list; every filter is optional. */
export interface ClosedOrderQuery {
  book?: string;
  strategy?: string;
  /** `SYMBOL.VENUE` */
  instrument?: string;
  limit: number;
}

/**
 * Closed orders, the most recently closed first: each order once, as its closing row recorded it (a fill that
 * raced a cancel is recorded after it, so of an order's closing rows the one of the highest sequence wins).
 */
export async function closedOrdersOf(url: string, q: ClosedOrderQuery): Promise<RecordedOrder[]> {
  const where = [`status IN (${CLOSED_STATUSES})`];
  for (const field of ["book", "strategy"] as const) {
    if (q[field] !== undefined) where.push(`${field} = ${sqlLiteral(printableId(field, q[field]))}`);
  }
  if (q.instrument !== undefined) where.push(instrumentFilter(instrumentOf(q.instrument)));
  const limit = limitOf(q.limit);
  // An order has more than one closing row only when a late fill follows its cancel: twice the limit covers that.
  // `LIMIT -n` (the last n by time) rather than `ORDER BY ts DESC LIMIT n`: QuestDB 9.3 answers the latter with
  // the wrong rows when a filter is on and rows arrived out of time order (questdb/questdb#6501 is one such case).
  const sql = `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${where.join(" AND ")} LIMIT -${Math.min(2 * limit, maxHistoryRows)}`;
  const latest = new Map<string, { seq: number; order: RecordedOrder }>();
  for (const r of rowsOf(await questdbSql(url, sql))) {
    const order = recordedOrderOf(r);
    const seq = integer(r, "seq", "orders");
    const known = latest.get(order.clientOrderId);
    if (!known || known.seq < seq) latest.set(order.clientOrderId, { seq, order });
  }
  return [...latest.values()]
    .map((x) => x.order)
    .sort((a, b) => b.tsEvent - a.tsEvent)
    .slice(0, limit);
}

/**
 * The shape of the gateway's history port (gateway/history.ts): bars whose close time is in [fromUs, toUs), and the
 * latest recorded state of an order (GetOrder of an order whose actor has retired).
 * Structural, so infra does not import the gateway.
 */
export function questdbBarHistory(url: string): {
  bars(instrument: string, barType: string, fromUs: number, toUs: number, limit: number): Promise<Bar[]>;
  latestOrder(clientOrderId: string): Promise<RecordedOrder | undefined>;
  closedOrders(q: ClosedOrderQuery): Promise<RecordedOrder[]>;
} {
  return {
    bars: (instrument, barType, fromUs, toUs, limit) => barsOf(url, { instrument, barType, fromUs, toUs, limit, by: "close" }),
    latestOrder: (clientOrderId) => latestOrderOf(url, clientOrderId),
    closedOrders: (q) => closedOrdersOf(url, q),
  };
}
