import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseFixed, asPrice, asQuantity, type Price, type Quantity } from "../../domain/index.ts";
import { parseInstrumentId, errorMessage } from "../../contract/index.ts";
import type { ReplayRecord } from "./records.ts";

/**
 * CSV replay files: a header line names the columns (any order), one record a line, blank lines skipped. The kind
 * follows from the header:
 *   quotes: ts, instrument, bid, bid_size, ask, ask_size [, seq] [, ts_init]
 *   trades: ts, instrument, price, size, aggressor, trade_id [, ts_init]
 *   bars:   ts_open, ts, instrument, bar_type, open, high, low, close, volume, vwap, trades [, ts_init]  (ts = close)
 * Times are integer microseconds since the epoch or ISO 8601 UTC with up to 6 decimals; prices and sizes are
 * decimals with up to 8 decimals. Quoted fields are not supported (no value needs a comma).
 */
export class CsvError extends Error {
  override name = "CsvError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | undefined,
    reason: string,
  ) {
    super(`${file} line ${line}${column ? `, column ${column}` : ""}: ${reason}`);
  }
}

const KINDS = {
  quote: { required: ["ts", "instrument", "bid", "bid_size", "ask", "ask_size"], optional: ["seq", "ts_init"] },
  trade: { required: ["ts", "instrument", "price", "size", "aggressor", "trade_id"], optional: ["ts_init"] },
  bar: {
    required: ["ts_open", "ts", "instrument", "bar_type", "open", "high", "low", "close", "volume", "vwap", "trades"],
    optional: ["ts_init"],
  },
} as const;
type Kind = keyof typeof KINDS;

const ISO_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/;
const INT_RE = /^\d+$/;
const BAR_TYPE_RE = /^\d+(ms|s|m|h|d|t|v)$/;

/** Reads one CSV file line by line: the header first, then records. */
export class CsvRecordReader {
  private kind: Kind | undefined;
  private index = new Map<string, number>();
  private fields: string[] = [];
  private lineNo = 0;

  constructor(readonly file: string) {}

  /** The record of the next line, or undefined for the header and blank lines. */
  line(text: string): ReplayRecord | undefined {
    this.lineNo++;
    const trimmed = text.replace(/\r$/, "");
    if (trimmed.trim() === "") return undefined;
    if (trimmed.includes('"')) throw this.error(undefined, "quoted fields are not supported");
    const fields = trimmed.split(",").map((f) => f.trim());
    if (!this.kind) {
      this.header(fields);
      return undefined;
    }
    if (fields.length !== this.index.size) throw this.error(undefined, `has ${fields.length} fields, the header has ${this.index.size}`);
    this.fields = fields;
    const instrument = this.get("instrument");
    try {
      parseInstrumentId(instrument);
    } catch (e) {
      throw this.error("instrument", errorMessage(e));
    }
    const tsEvent = this.time("ts");
    const tsInit = this.index.has("ts_init") ? this.time("ts_init") : tsEvent;
    switch (this.kind) {
      case "quote":
        return {
          type: "RawQuote",
          instrument,
          bid: this.price("bid"),
          bidSize: this.quantity("bid_size"),
          ask: this.price("ask"),
          askSize: this.quantity("ask_size"),
          ...(this.index.has("seq") ? { seq: this.int("seq") } : {}),
          tsEvent,
          tsInit,
        };
      case "trade": {
        const aggressor = this.get("aggressor").toUpperCase();
        if (aggressor !== "BUY" && aggressor !== "SELL" && aggressor !== "NONE")
          throw this.error("aggressor", `${JSON.stringify(aggressor)} is not BUY, SELL or NONE`);
        const tradeId = this.get("trade_id");
        if (tradeId.length < 1 || tradeId.length > 64) throw this.error("trade_id", "must be 1 to 64 characters");
        return {
          type: "RawTrade",
          instrument,
          price: this.price("price"),
          size: this.quantity("size"),
          aggressor,
          tradeId,
          tsEvent,
          tsInit,
        };
      }
      case "bar": {
        const barType = this.get("bar_type");
        if (!BAR_TYPE_RE.test(barType))
          throw this.error("bar_type", `${JSON.stringify(barType)} is not a number and a unit (ms s m h d t v)`);
        const tsOpen = this.time("ts_open");
        if (tsOpen > tsEvent) throw this.error("ts_open", `open time ${tsOpen} is after the close time ${tsEvent}`);
        return {
          type: "Bar",
          instrument,
          barType,
          tsOpen,
          open: this.price("open"),
          high: this.price("high"),
          low: this.price("low"),
          close: this.price("close"),
          volume: this.quantity("volume"),
          vwap: this.price("vwap"),
          trades: this.int("trades"),
          tsEvent,
          tsInit,
        };
      }
    }
  }

  private header(fields: string[]): void {
    const names = fields.map((f) => f.toLowerCase());
    const kind = names.includes("bid") ? "quote" : names.includes("open") ? "bar" : names.includes("price") ? "trade" : undefined;
    if (!kind)
      throw this.error(undefined, `header ${JSON.stringify(fields.join(","))} is not of quotes (bid), trades (price) or bars (open)`);
    const spec = KINDS[kind];
    const known = new Set<string>([...spec.required, ...spec.optional]);
    names.forEach((n, i) => {
      if (!known.has(n)) throw this.error(n, `unknown column for ${kind}s; expected ${[...known].join(", ")}`);
      if (this.index.has(n)) throw this.error(n, "appears twice in the header");
      this.index.set(n, i);
    });
    const missing = spec.required.filter((c) => !this.index.has(c));
    if (missing.length) throw this.error(undefined, `the header lacks ${missing.join(", ")}`);
    this.kind = kind;
  }

  private get(column: string): string {
    return this.fields[this.index.get(column)!] ?? "";
  }

  private error(column: string | undefined, reason: string): CsvError {
    return new CsvError(this.file, this.lineNo, column, reason);
  }

  private price(column: string): Price {
    return asPrice(this.fixed(column));
  }

  private quantity(column: string): Quantity {
    return asQuantity(this.fixed(column));
  }

  private fixed(column: string): number {
    try {
      return parseFixed(this.get(column), column);
    } catch (e) {
      throw this.error(column, errorMessage(e));
    }
  }

  private int(column: string): number {
    const v = this.get(column);
    if (!INT_RE.test(v) || !Number.isSafeInteger(Number(v))) throw this.error(column, `${JSON.stringify(v)} is not a non-negative integer`);
    return Number(v);
  }

  private time(column: string): number {
    const v = this.get(column);
    if (INT_RE.test(v)) {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) throw this.error(column, `${v} is out of range`);
      return n;
    }
    const m = ISO_RE.exec(v);
    const ms = m ? Date.parse(`${m[1]}Z`) : Number.NaN;
    if (!m || Number.isNaN(ms)) throw this.error(column, `${JSON.stringify(v)} is neither integer microseconds nor an ISO 8601 UTC time`);
    return ms * 1000 + Number((m[2] ?? "").padEnd(6, "0"));
  }
}

/** All records of a CSV text (a small file, or a test). */
export function parseReplayCsv(text: string, file = "<csv>"): ReplayRecord[] {
  const reader = new CsvRecordReader(file);
  const out: ReplayRecord[] = [];
  for (const line of text.split("\n")) {
    const r = reader.line(line);
    if (r) out.push(r);
  }
  return out;
}

/** The records of a CSV file, read as a stream (a replay file may be larger than memory). */
export async function* csvFileRecords(path: string): AsyncGenerator<ReplayRecord> {
  const reader = new CsvRecordReader(path);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const r = reader.line(line);
      if (r) yield r;
    }
  } finally {
    lines.close();
  }
}
