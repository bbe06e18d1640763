import { parseInstrumentId } from "../../actors/contract/index.ts";
import { asPrice, asQuantity, parseFixed, SCALE } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import {
  asyncBufferFromFile,
  type DecodedArray,
  type FileMetaData,
  parquetMetadataAsync,
  parquetScan,
  type SchemaElement,
} from "hyparquet";

/**
 * Parquet replay files: one record a row, with the columns of the CSV replay files (actors/feed/replay/csv.ts):
 *   quotes: ts, instrument, bid, bid_size, ask, ask_size [, seq] [, ts_init]
 *   trades: ts, instrument, price, size, aggressor, trade_id [, ts_init]
 *   bars:   ts_open, ts, instrument, bar_type, open, high, low, close, volume, vwap, trades [, ts_init]  (ts = close)
 * Times are INT64 microseconds since the epoch, or TIMESTAMP of any unit (nanoseconds are floored to µs). Prices
 * and sizes are DECIMAL (scale ≤ 8), DOUBLE or FLOAT (rounded to 1e-8, the platform's fixed point), integers (whole
 * units) or decimal text. Other columns are not read: a columnar file is read only where it is needed.
 */
export class ParquetRecordError extends Error {
  override name = "ParquetRecordError";
  constructor(
    readonly file: string,
    readonly column: string | undefined,
    reason: string,
    readonly row?: number,
  ) {
    super(`${file}${row !== undefined ? ` row ${row}` : ""}${column ? `, column ${column}` : ""}: ${reason}`);
  }
}

type Kind = "quote" | "trade" | "bar";
type ColumnClass = "time" | "text" | "decimal" | "integer";

const COLUMNS: Record<Kind, { required: Record<string, ColumnClass>; optional: Record<string, ColumnClass> }> = {
  quote: {
    required: { ts: "time", instrument: "text", bid: "decimal", bid_size: "decimal", ask: "decimal", ask_size: "decimal" },
    optional: { seq: "integer", ts_init: "time" },
  },
  trade: {
    required: { ts: "time", instrument: "text", price: "decimal", size: "decimal", aggressor: "text", trade_id: "text" },
    optional: { ts_init: "time" },
  },
  bar: {
    required: {
      ts_open: "time",
      ts: "time",
      instrument: "text",
      bar_type: "text",
      open: "decimal",
      high: "decimal",
      low: "decimal",
      close: "decimal",
      volume: "decimal",
      vwap: "decimal",
      trades: "integer",
    },
    optional: { ts_init: "time" },
  },
};

const BAR_TYPE_RE = /^\d+(ms|s|m|h|d|t|v)$/;

/** Timestamps arrive as integer µs (hyparquet's default would make Dates, losing the microseconds). */
const parsers = {
  timestampFromMilliseconds: (ms: bigint): number => Number(ms) * 1000,
  timestampFromMicroseconds: (us: bigint): number => Number(us),
  timestampFromNanoseconds: (ns: bigint): number => Number(ns / 1000n),
};

/** Whether a top-level column's physical and logical types fit what the record needs; the reason if not. */
function typeProblem(e: SchemaElement, cls: ColumnClass): string | undefined {
  if (e.num_children) return "is a group; a flat column is needed";
  if (e.repetition_type === "REPEATED") return "is repeated; one value a row is needed";
  const physical = e.type;
  const logical = e.logical_type?.type ?? e.converted_type;
  const describe = `${physical}${logical ? ` (${logical})` : ""}`;
  switch (cls) {
    case "time":
      if (
        physical === "INT64" &&
        (logical === undefined || logical === "TIMESTAMP" || logical === "TIMESTAMP_MILLIS" || logical === "TIMESTAMP_MICROS")
      )
        return undefined;
      if (physical === "INT64" && logical === "INTEGER") return undefined;
      return `is ${describe}; a time must be INT64 microseconds or a TIMESTAMP`;
    case "text":
      if (physical === "BYTE_ARRAY" && (logical === undefined || logical === "STRING" || logical === "UTF8" || logical === "ENUM"))
        return undefined;
      return `is ${describe}; text (a STRING) is needed`;
    case "integer":
      if ((physical === "INT32" || physical === "INT64") && (logical === undefined || logical === "INTEGER")) return undefined;
      return `is ${describe}; an integer (INT32 or INT64) is needed`;
    case "decimal":
      if (logical === "DECIMAL") return (e.scale ?? 0) <= 8 ? undefined : `is DECIMAL with scale ${e.scale}; at most 8 decimals are kept`;
      if (physical === "DOUBLE" || physical === "FLOAT") return undefined;
      if ((physical === "INT32" || physical === "INT64") && (logical === undefined || logical === "INTEGER")) return undefined;
      if (physical === "BYTE_ARRAY" && (logical === "STRING" || logical === "UTF8")) return undefined;
      return `is ${describe}; a price or size must be DECIMAL, DOUBLE, FLOAT, an integer or decimal text`;
  }
}

/** The kind of records a file holds and the columns to read, from its schema; a wrong schema names the column. */
export function parquetRecordSchema(file: string, metadata: FileMetaData): { kind: Kind; columns: Map<string, string> } {
  // the root element is first; top-level columns are its direct children (nested ones are refused by type)
  const top = new Map<string, SchemaElement>();
  let i = 1;
  while (i < metadata.schema.length) {
    const e = metadata.schema[i]!;
    top.set(e.name.toLowerCase(), e);
    i += 1 + countDescendants(metadata.schema, i);
  }
  const kind: Kind | undefined = top.has("bid") ? "quote" : top.has("open") ? "bar" : top.has("price") ? "trade" : undefined;
  if (!kind)
    throw new ParquetRecordError(
      file,
      undefined,
      `columns ${[...top.keys()].join(", ")} are not of quotes (bid), trades (price) or bars (open)`,
    );
  const spec = COLUMNS[kind];
  const missing = Object.keys(spec.required).filter((c) => !top.has(c));
  if (missing.length) throw new ParquetRecordError(file, undefined, `${kind}s need the column(s) ${missing.join(", ")}`);
  // the record's column name → the file's (names match in any case)
  const columns = new Map<string, string>();
  for (const [name, cls] of [...Object.entries(spec.required), ...Object.entries(spec.optional)]) {
    const e = top.get(name);
    if (!e) continue;
    const problem = typeProblem(e, cls);
    if (problem) throw new ParquetRecordError(file, e.name, problem);
    columns.set(name, e.name);
  }
  return { kind, columns };
}

function countDescendants(schema: SchemaElement[], at: number): number {
  let n = 0;
  for (let k = 0; k < (schema[at]!.num_children ?? 0); k++) n += 1 + countDescendants(schema, at + 1 + n);
  return n;
}

/**
 * Reads a Parquet replay file in batches of at most `batchRows` rows: a row group at a time, and within one, the
 * pages of a row range through the offset index where the column has one. Memory is one batch of the needed
 * columns (a whole column chunk where it has no offset index), whatever the file's size. The rows must be in time
 * order, as CSV files' lines must.
 */
export async function* parquetRecordChunks(path: string, batchRows = 65_536): AsyncGenerator<ReplayRecord[]> {
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { parsers });
  } catch (e) {
    throw new ParquetRecordError(path, undefined, `is not a readable Parquet file (${(e as Error).message})`);
  }
  const { kind, columns } = parquetRecordSchema(path, metadata);
  const names = [...columns.values()];
  const scan = await parquetScan({ file, metadata, columns: names, parsers });
  const reader = new RowReader(path, kind, [...columns.keys()]);
  for (const [g, range] of scan.ranges.entries()) {
    // a column chunk without an offset index (one page, or an older writer) is decoded once for its whole group and
    // sliced, instead of again for every batch
    for (const c of metadata.row_groups[g]?.columns ?? []) {
      const column = c.meta_data?.path_in_schema[0];
      if (column && names.includes(column) && c.offset_index_offset === undefined)
        await scan.readColumn({ column, rowStart: range.rowStart, rowEnd: range.rowEnd });
    }
    for (let start = range.rowStart; start < range.rowEnd; start += batchRows) {
      const end = Math.min(range.rowEnd, start + batchRows);
      const data = await Promise.all(names.map((column) => scan.readColumn({ column, rowStart: start, rowEnd: end })));
      yield reader.records(data, start, end - start);
    }
  }
}

/** Turns column slices into records, checking every value; one reader per file keeps the instrument ids seen. */
class RowReader {
  private readonly instruments = new Set<string>();
  private readonly at: Record<string, number> = {};
  private cols: DecodedArray[] = [];
  private row = 0;

  constructor(
    private readonly file: string,
    private readonly kind: Kind,
    columns: string[],
  ) {
    columns.forEach((name, i) => {
      this.at[name] = i;
    });
  }

  records(cols: DecodedArray[], firstRow: number, rows: number): ReplayRecord[] {
    this.cols = cols;
    const out: ReplayRecord[] = new Array(rows);
    for (let i = 0; i < rows; i++) {
      this.row = firstRow + i;
      out[i] = this.record(i);
    }
    return out;
  }

  private record(i: number): ReplayRecord {
    const instrument = this.text("instrument", i);
    if (!this.instruments.has(instrument)) {
      try {
        parseInstrumentId(instrument);
      } catch (e) {
        throw this.error("instrument", (e as Error).message);
      }
      this.instruments.add(instrument);
    }
    const tsEvent = this.time("ts", i);
    const tsInit = "ts_init" in this.at ? this.time("ts_init", i) : tsEvent;
    switch (this.kind) {
      case "quote":
        return {
          type: "RawQuote",
          instrument,
          bid: asPrice(this.fixed("bid", i)),
          bidSize: asQuantity(this.fixed("bid_size", i)),
          ask: asPrice(this.fixed("ask", i)),
          askSize: asQuantity(this.fixed("ask_size", i)),
          ...("seq" in this.at ? { seq: this.integer("seq", i) } : {}),
          tsEvent,
          tsInit,
        };
      case "trade": {
        const aggressor = this.text("aggressor", i).toUpperCase();
        if (aggressor !== "BUY" && aggressor !== "SELL" && aggressor !== "NONE")
          throw this.error("aggressor", `${JSON.stringify(aggressor)} is not BUY, SELL or NONE`);
        const tradeId = this.text("trade_id", i);
        if (tradeId.length < 1 || tradeId.length > 64) throw this.error("trade_id", "must be 1 to 64 characters");
        return {
          type: "RawTrade",
          instrument,
          price: asPrice(this.fixed("price", i)),
          size: asQuantity(this.fixed("size", i)),
          aggressor,
          tradeId,
          tsEvent,
          tsInit,
        };
      }
      case "bar": {
        const barType = this.text("bar_type", i);
        if (!BAR_TYPE_RE.test(barType))
          throw this.error("bar_type", `${JSON.stringify(barType)} is not a number and a unit (ms s m h d t v)`);
        const tsOpen = this.time("ts_open", i);
        if (tsOpen > tsEvent) throw this.error("ts_open", `open time ${tsOpen} is after the close time ${tsEvent}`);
        return {
          type: "Bar",
          instrument,
          barType,
          tsOpen,
          open: asPrice(this.fixed("open", i)),
          high: asPrice(this.fixed("high", i)),
          low: asPrice(this.fixed("low", i)),
          close: asPrice(this.fixed("close", i)),
          volume: asQuantity(this.fixed("volume", i)),
          vwap: asPrice(this.fixed("vwap", i)),
          trades: this.integer("trades", i),
          tsEvent,
          tsInit,
        };
      }
    }
  }

  private value(column: string, i: number): unknown {
    const v = this.cols[this.at[column]!]![i];
    if (v === null || v === undefined) throw this.error(column, "is null");
    return v;
  }

  private text(column: string, i: number): string {
    const v = this.value(column, i);
    if (typeof v !== "string") throw this.error(column, "is not text");
    return v;
  }

  private time(column: string, i: number): number {
    const n = Number(this.value(column, i));
    if (!Number.isSafeInteger(n) || n < 0) throw this.error(column, `${n} is not a time in µs since the epoch`);
    return n;
  }

  private integer(column: string, i: number): number {
    const n = Number(this.value(column, i));
    if (!Number.isSafeInteger(n) || n < 0) throw this.error(column, `${n} is not a non-negative integer`);
    return n;
  }

  private fixed(column: string, i: number): number {
    const v = this.value(column, i);
    if (typeof v === "string") {
      try {
        return parseFixed(v, column);
      } catch (e) {
        throw this.error(column, (e as Error).message);
      }
    }
    const units = Math.round(Number(v) * SCALE);
    if (!Number.isSafeInteger(units)) throw this.error(column, `${String(v)} is out of range for a fixed-point value`);
    return units;
  }

  private error(column: string, reason: string): ParquetRecordError {
    return new ParquetRecordError(this.file, column, reason, this.row);
  }
}
