import { createReadStream } from "node:fs";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { asPrice, asQuantity, parseFixed, SCALE } from "../../actors/domain/index.ts";
import type { BookSide, L2Event } from "../../actors/exchange/index.ts";
import { type RecordedBookEvent, Side } from "../../actors/domain/index.ts";
import { mergeInTimeOrder } from "./market-data.ts";

/**
 * L2 book files (CSV with a header line, or Parquet with the same column names), one row a recorded event, in time
 * order:
 *
 *   ts,instrument,event,side,price,size
 *   1704067200000000,SIM001.SIMX,level,BID,100.00,300
 *   1704067200500000,SIM001.SIMX,trade,SELL,100.00,100
 *   1704067200500000,SIM001.SIMX,level,BID,100.00,200
 *
 * - ts: integer µs since the epoch (Parquet: INT64 or an integer DOUBLE);
 * - event `level`: side BID or ASK, `size` the whole size shown at `price` as of ts (0 removes the level);
 * - event `trade`: a print of `size` at `price`; side the aggressor (BUY or SELL) or empty where unknown;
 * - price and size: decimals of at most 8 places (Parquet: text or DOUBLE, rounded to 1e-8).
 * A print comes before the level row that shows its effect at the same ts: the queue model tells trades from
 * cancels by it (actors/exchange/l2-queue.ts).
 */
export const L2_COLUMNS = ["ts", "instrument", "event", "side", "price", "size"] as const;

export class L2RecordError extends Error {
  override name = "L2RecordError";
  constructor(file: string, row: number | undefined, reason: string) {
    super(`${file}${row === undefined ? "" : ` row ${row}`}: ${reason}`);
  }
}

type Cell = string | number | bigint | null | undefined;

/** One row as an event; the error names the file, the row and the column. */
function l2Event(file: string, row: number, cell: (name: (typeof L2_COLUMNS)[number]) => Cell): L2Event {
  const fail = (reason: string) => new L2RecordError(file, row, reason);
  const tsCell = cell("ts");
  const ts = typeof tsCell === "bigint" ? Number(tsCell) : typeof tsCell === "string" ? Number(tsCell.trim()) : tsCell;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) throw fail(`ts ${String(tsCell)} is not integer µs since the epoch`);
  const instrument = String(cell("instrument") ?? "").trim();
  if (!instrument) throw fail("instrument is empty");
  const fixed = (name: "price" | "size"): number => {
    const v = cell(name);
    if (typeof v === "number") {
      if (!Number.isFinite(v) || v < 0) throw fail(`${name} ${v} is not a non-negative number`);
      return Math.round(v * SCALE);
    }
    try {
      const units = parseFixed(String(v ?? ""), name);
      if (units < 0) throw fail(`${name} ${String(v)} is negative`);
      return units;
    } catch (e) {
      throw e instanceof L2RecordError ? e : fail((e as Error).message);
    }
  };
  const price = fixed("price");
  if (price === 0) throw fail("price must be more than 0");
  const size = asQuantity(fixed("size"));
  const event = String(cell("event") ?? "").trim();
  const side = String(cell("side") ?? "").trim();
  if (event === "level") {
    if (side !== "BID" && side !== "ASK") throw fail(`side ${JSON.stringify(side)} of a level must be BID or ASK`);
    return { type: "level", tsUs: ts, instrument, side: side as BookSide, price: asPrice(price), size };
  }
  if (event === "trade") {
    if (side !== "" && side !== Side.Buy && side !== Side.Sell)
      throw fail(`side ${JSON.stringify(side)} of a trade must be BUY, SELL or empty`);
    return { type: "trade", tsUs: ts, instrument, price: asPrice(price), size, ...(side ? { aggressor: side as Side } : {}) };
  }
  throw fail(`event ${JSON.stringify(event)} must be level or trade`);
}

/** Reads an L2 CSV file in chunks of events: one file chunk at a time is in memory. */
export async function* csvL2Chunks(path: string, chunkBytes = 1 << 20): AsyncGenerator<L2Event[]> {
  let rest = "";
  let row = 0;
  let at: Record<string, number> | undefined;
  const parse = (line: string): L2Event | undefined => {
    row++;
    if (!line.trim()) return undefined;
    const cells = line.replace(/\r$/, "").split(",");
    if (!at) {
      at = Object.fromEntries(cells.map((c, i) => [c.trim(), i]));
      const missing = L2_COLUMNS.filter((c) => !(c in at!));
      if (missing.length) throw new L2RecordError(path, row, `the header lacks ${missing.join(", ")} (columns: ${L2_COLUMNS.join(",")})`);
      return undefined;
    }
    const columns = at;
    return l2Event(path, row, (name) => cells[columns[name]!]);
  };
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: chunkBytes })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop() ?? "";
    const out: L2Event[] = [];
    for (const line of lines) {
      const e = parse(line);
      if (e) out.push(e);
    }
    if (out.length) yield out;
  }
  const last = rest ? parse(rest) : undefined;
  if (last) yield [last];
}

/** Reads an L2 Parquet file `batchRows` rows at a time: one batch is in memory. */
export async function* parquetL2Chunks(path: string, batchRows = 65_536): AsyncGenerator<L2Event[]> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const names = new Set(metadata.schema.map((s) => s.name));
  const missing = L2_COLUMNS.filter((c) => !names.has(c));
  if (missing.length) throw new L2RecordError(path, undefined, `the schema lacks ${missing.join(", ")} (columns: ${L2_COLUMNS.join(",")})`);
  const rows = Number(metadata.num_rows);
  for (let start = 0; start < rows; start += batchRows) {
    const end = Math.min(rows, start + batchRows);
    const objects = await parquetReadObjects({ file, metadata, columns: [...L2_COLUMNS], rowStart: start, rowEnd: end });
    yield objects.map((o, i) => l2Event(path, start + i + 1, (name) => o[name] as Cell));
  }
}

/** The reader for a file by its extension (.parquet, else CSV). */
export const l2Chunks = (path: string): AsyncGenerator<L2Event[]> =>
  path.endsWith(".parquet") ? parquetL2Chunks(path) : csvL2Chunks(path);

/** A recorded L2 event as the exchange's `l2` queue model hears it (am.md.book.<venue>.<symbol>). */
export type RecordedBookRecord = { type: "RecordedBookEvent" } & RecordedBookEvent;

export const recordedBookRecord = (e: L2Event): RecordedBookRecord => ({
  type: "RecordedBookEvent",
  instrument: e.instrument,
  event: e.type,
  side: e.type === "level" ? e.side : (e.aggressor ?? "NONE"),
  price: e.price,
  size: e.size,
  tsEvent: e.tsUs,
  tsInit: e.tsUs,
});

/** L2 files (CSV or Parquet) merged in event-time order, as the messages the exchange hears. */
export function recordedBookChunks(paths: readonly string[]): AsyncGenerator<RecordedBookRecord[]> {
  return mergeInTimeOrder(paths.map((p) => mapChunks(l2Chunks(p), recordedBookRecord)));
}

async function* mapChunks<A, B>(source: AsyncIterable<A[]>, map: (a: A) => B): AsyncGenerator<B[]> {
  for await (const chunk of source) yield chunk.map(map);
}
