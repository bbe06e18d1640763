/**
 * Alternative data as dataset features, joined point in time: a row at bar close t0 sees only events whose event
 * time (a filing's acceptance, a headline's publication, an observation's time) is at or before t0, within the
 * feature's window. An event stamped after the close belongs to the next bar's row, never to this one.
 */
import { z } from "zod";
import { formatInstrumentId } from "../../actors/contract/index.ts";
import { questdbSql, rowsOf, sqlLiteral } from "../../infra/questdb/index.ts";
import type { DatasetRow } from "./dataset.ts";

const name = z.string().regex(/^alt_[a-z0-9_]{1,60}$/, "alt_ then lower-case letters, digits or _");
const windowMs = z
  .number()
  .int()
  .positive()
  .max(366 * 86_400_000);

/** One feature column; its value is 0 where its window holds no event. */
export const altFeatureSpec = z.discriminatedUnion("kind", [
  /** 1 when a filing (with one of `items`, where given) was accepted within the window, else 0 */
  z.strictObject({ kind: z.literal("filing"), name, windowMs, items: z.array(z.string().regex(/^\d{1,2}\.\d{2}$/)).optional() }),
  /** mean sentiment of the headlines published within the window */
  z.strictObject({ kind: z.literal("news"), name, windowMs }),
  /** the latest value of a series within the window */
  z.strictObject({ kind: z.literal("series"), name, windowMs, source: z.string().min(1), series: z.string().min(1) }),
]);
export type AltFeatureSpec = z.output<typeof altFeatureSpec>;

/** One recorded event, as the join needs it. */
export type AltEvent =
  | { kind: "filing"; instrument: string; tsEvent: number; items: string[] }
  | { kind: "news"; instrument: string; tsEvent: number; sentiment: number }
  | { kind: "series"; instrument: string; tsEvent: number; source: string; series: string; value: number };

const US_PER_MS = 1000;

/** The value of one feature for a row from the events of its instrument (sorted by tsEvent). */
function featureAt(spec: AltFeatureSpec, events: readonly AltEvent[], t0: number): number {
  const from = t0 - spec.windowMs * US_PER_MS;
  // events at or before t0 (as of the close), after the window's start
  let hi = events.length;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.tsEvent <= t0) lo = mid + 1;
    else hi = mid;
  }
  let sum = 0;
  let n = 0;
  for (let i = lo - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.tsEvent <= from) break;
    if (spec.kind === "filing" && e.kind === "filing") {
      if (!spec.items || e.items.some((it) => spec.items!.includes(it))) return 1;
    } else if (spec.kind === "news" && e.kind === "news") {
      sum += e.sentiment;
      n += 1;
    } else if (spec.kind === "series" && e.kind === "series" && e.source === spec.source && e.series === spec.series) return e.value;
  }
  return spec.kind === "news" && n > 0 ? sum / n : 0;
}

/** Each row with its alternative data features, in the order of `specs`. */
export function joinAltFeatures(rows: readonly DatasetRow[], events: readonly AltEvent[], specs: readonly AltFeatureSpec[]): DatasetRow[] {
  if (!specs.length) return [...rows];
  const byInstrument = new Map<string, AltEvent[]>();
  for (const e of events) {
    const list = byInstrument.get(e.instrument);
    if (list) list.push(e);
    else byInstrument.set(e.instrument, [e]);
  }
  for (const list of byInstrument.values()) list.sort((a, b) => a.tsEvent - b.tsEvent);
  return rows.map((r) => {
    const mine = byInstrument.get(r.instrument) ?? [];
    const alt: Record<string, number> = {};
    for (const s of specs) alt[s.name] = featureAt(s, mine, r.t0);
    return { ...r, alt };
  });
}

const micros = (ts: unknown): number => {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(String(ts));
  if (!m) throw new Error(`QuestDB timestamp ${JSON.stringify(ts)} is not ISO`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? "").padEnd(6, "0"));
};

/**
 * The recorded events the specs read for `instruments` with event time in [fromUs, toUs): the filings, news and
 * alt_series tables, only those some spec needs.
 */
export async function questdbAltEvents(
  url: string,
  q: { instruments: readonly string[]; fromUs: number; toUs: number; specs: readonly AltFeatureSpec[] },
): Promise<AltEvent[]> {
  const kinds = new Set(q.specs.map((s) => s.kind));
  const range = `ts >= ${q.fromUs} AND ts < ${q.toUs}`;
  const out: AltEvent[] = [];
  const id = (r: Record<string, unknown>) => formatInstrumentId({ symbol: String(r.symbol), venue: String(r.venue) });
  const wanted = new Set(q.instruments);
  const symbols = [...new Set(q.instruments.map((i) => i.slice(0, i.lastIndexOf("."))))].map(sqlLiteral).join(", ");
  const where = `${range} AND symbol IN (${symbols})`;
  if (kinds.has("filing"))
    for (const r of rowsOf(await questdbSql(url, `SELECT ts, venue, symbol, items FROM filings WHERE ${where}`)))
      out.push({
        kind: "filing",
        instrument: id(r),
        tsEvent: micros(r.ts),
        items: String(r.items ?? "")
          .split(",")
          .filter(Boolean),
      });
  if (kinds.has("news"))
    for (const r of rowsOf(await questdbSql(url, `SELECT ts, venue, symbol, sentiment FROM news WHERE ${where}`)))
      out.push({ kind: "news", instrument: id(r), tsEvent: micros(r.ts), sentiment: Number(r.sentiment) });
  if (kinds.has("series"))
    for (const r of rowsOf(await questdbSql(url, `SELECT ts, venue, symbol, source, series, value FROM alt_series WHERE ${where}`)))
      out.push({
        kind: "series",
        instrument: id(r),
        tsEvent: micros(r.ts),
        source: String(r.source),
        series: String(r.series),
        value: Number(r.value),
      });
  return out.filter((e) => wanted.has(e.instrument));
}
