import type { ImpactSlice, ImpactTrade } from "../../actors/execution-algo/index.ts";
import { IdError, parseInstrumentId } from "../../actors/contract/index.ts";
import { HistoryQueryError } from "./history.ts";
import { questdbSql, rowsOf, sqlLiteral } from "./sql.ts";

/** What an implementation-shortfall parent asks of history to estimate its impact parameters. */
export interface ImpactHistoryQuery {
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** the parent's slice length: the estimate's unit of time */
  sliceUs: number;
  /** recorded days before nowUs */
  days: number;
  nowUs: number;
}

const DAY_US = 86_400_000_000;
const MAX_DAYS = 366;
/** the latest slices and trades taken, whatever the window holds (QuestDB caps a "last n" LIMIT at 10 000) */
export const MAX_IMPACT_ROWS = 10_000;

export interface ImpactHistory {
  slices: ImpactSlice[];
  trades: ImpactTrade[];
  /** the slice length sampled: the asked one to the millisecond */
  sliceUs: number;
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));

/**
 * The recorded market an impact estimate is made from (see estimateImpact): per slice of `sliceUs` (sampled in
 * QuestDB to the millisecond, aligned to the calendar) the last mid, the mean quoted spread and the signed and total volume traded;
 * and each trade with the mid quoted at or before it (ASOF JOIN). At most MAX_IMPACT_ROWS of each, the latest.
 * Only a validated id and checked integers reach the SQL.
 */
export async function impactHistoryOf(url: string, q: ImpactHistoryQuery): Promise<ImpactHistory> {
  let id: { venue: string; symbol: string };
  try {
    id = parseInstrumentId(q.instrument);
  } catch (e) {
    throw new HistoryQueryError(e instanceof IdError ? e.message : `instrument ${JSON.stringify(q.instrument)} is invalid`);
  }
  if (!Number.isSafeInteger(q.sliceUs) || q.sliceUs < 1_000 || q.sliceUs > DAY_US)
    throw new HistoryQueryError(`sliceUs ${q.sliceUs} must be an integer from 1 000 (1 ms) to ${DAY_US} (a day)`);
  if (!Number.isInteger(q.days) || q.days < 1 || q.days > MAX_DAYS)
    throw new HistoryQueryError(`days ${q.days} must be an integer from 1 to ${MAX_DAYS}`);
  if (!Number.isSafeInteger(q.nowUs) || q.nowUs < 0) throw new HistoryQueryError(`nowUs ${q.nowUs} must be µs since the epoch`);
  const where = `venue = ${sqlLiteral(id.venue)} AND symbol = ${sqlLiteral(id.symbol)} AND ts >= ${Math.max(0, q.nowUs - q.days * DAY_US)} AND ts < ${q.nowUs}`;
  const sliceMs = Math.max(1, Math.round(q.sliceUs / 1_000));
  const [quotes, flow, trades] = await Promise.all([
    questdbSql(
      url,
      `SELECT ts, last((cast(bid AS DOUBLE) + cast(ask AS DOUBLE)) / 2) mid, avg(cast(ask AS DOUBLE) - cast(bid AS DOUBLE)) spread ` +
        `FROM quotes WHERE ${where} AND bid > 0 AND ask > 0 SAMPLE BY ${sliceMs}T ALIGN TO CALENDAR ORDER BY ts LIMIT -${MAX_IMPACT_ROWS}`,
    ),
    questdbSql(
      url,
      `SELECT ts, sum(CASE WHEN aggressor = 'BUY' THEN cast(size AS DOUBLE) WHEN aggressor = 'SELL' THEN -cast(size AS DOUBLE) ELSE 0.0 END) net, ` +
        `sum(cast(size AS DOUBLE)) volume FROM trades WHERE ${where} SAMPLE BY ${sliceMs}T ALIGN TO CALENDAR ORDER BY ts LIMIT -${MAX_IMPACT_ROWS}`,
    ),
    questdbSql(
      url,
      `SELECT cast(t.price AS DOUBLE) price, cast(t.size AS DOUBLE) size, t.aggressor aggressor, ` +
        `(cast(q.bid AS DOUBLE) + cast(q.ask AS DOUBLE)) / 2 mid ` +
        `FROM (SELECT * FROM trades WHERE ${where} AND aggressor IN ('BUY', 'SELL') LIMIT -${MAX_IMPACT_ROWS}) t ` +
        `ASOF JOIN (SELECT * FROM quotes WHERE ${where} AND bid > 0 AND ask > 0) q`,
    ),
  ]);
  const flowAt = new Map(rowsOf(flow).map((r) => [String(r.ts), { net: num(r.net), volume: num(r.volume) }]));
  const slices = rowsOf(quotes).map((r) => {
    const f = flowAt.get(String(r.ts));
    return {
      atUs: Date.parse(String(r.ts)) * 1_000 + microsOf(String(r.ts)),
      mid: num(r.mid),
      spread: num(r.spread),
      netVolume: f?.net ?? 0,
      volume: f?.volume ?? 0,
    };
  });
  const traded = rowsOf(trades)
    .filter((r) => r.mid !== null && Number.isFinite(num(r.mid)))
    .map((r) => ({ price: num(r.price), size: num(r.size), aggressor: r.aggressor as "BUY" | "SELL", mid: num(r.mid) }));
  return { slices, trades: traded, sliceUs: sliceMs * 1_000 };
}

/** The microseconds past the millisecond of a QuestDB timestamp (`…T12:00:00.123456Z`). */
function microsOf(ts: string): number {
  const m = /\.\d{3}(\d{3})/.exec(ts);
  return m ? Number(m[1]) : 0;
}
