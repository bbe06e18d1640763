import { parseFixed } from "../../actors/domain/index.ts";
import { IdError, parseInstrumentId } from "../../actors/contract/index.ts";
import { HistoryQueryError } from "./history.ts";
import { questdbSql, rowsOf, sqlLiteral } from "./sql.ts";

/** What a VWAP schedule asks of history: the volume curve of `instrument` over the times of day of [fromUs, toUs). */
export interface VolumeProfileQuery {
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** the horizon: its times of day are the curve's window (it may cross midnight UTC, not last a day) */
  fromUs: number;
  toUs: number;
  /** equal-time buckets of the window: one weight each (a VWAP's slices) */
  buckets: number;
  /** recorded days before fromUs the curve is taken from */
  days: number;
}

const DAY_US = 86_400_000_000;
const MAX_DAYS = 366;
const MAX_BUCKETS = 10_000;

function checked(q: VolumeProfileQuery): { venue: string; symbol: string; span: number } {
  let id: { venue: string; symbol: string };
  try {
    id = parseInstrumentId(q.instrument);
  } catch (e) {
    throw new HistoryQueryError(e instanceof IdError ? e.message : `instrument ${JSON.stringify(q.instrument)} is invalid`);
  }
  if (!Number.isSafeInteger(q.fromUs) || q.fromUs < 0) throw new HistoryQueryError(`fromUs ${q.fromUs} must be µs since the epoch`);
  const span = q.toUs - q.fromUs;
  if (!Number.isSafeInteger(q.toUs) || !(span > 0) || span > DAY_US)
    throw new HistoryQueryError(`toUs ${q.toUs} must be after fromUs ${q.fromUs} and at most a day later`);
  if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > MAX_BUCKETS)
    throw new HistoryQueryError(`buckets ${q.buckets} must be an integer from 1 to ${MAX_BUCKETS}`);
  if (!Number.isInteger(q.days) || q.days < 1 || q.days > MAX_DAYS)
    throw new HistoryQueryError(`days ${q.days} must be an integer from 1 to ${MAX_DAYS}`);
  return { ...id, span };
}

/**
 * The intraday volume curve of an instrument from its recorded trades: over the `days` days before `fromUs`, the
 * volume traded at each time of day of the horizon, summed per bucket in QuestDB (a trade's offset into the
 * horizon's window is its time since `fromUs` modulo a day), then as shares of the total. A window that never traded
 * is flat: with no history, VWAP is TWAP. Only validated ids and checked integers reach the SQL.
 */
export async function volumeProfileOf(url: string, q: VolumeProfileQuery): Promise<number[]> {
  const { venue, symbol, span } = checked(q);
  const since = q.fromUs - q.days * DAY_US;
  // offset of a trade into the window, 0 <= offset < a day; those within the horizon's span fall in a bucket
  const offset = `(((cast(ts AS LONG) - ${q.fromUs}) % ${DAY_US}) + ${DAY_US}) % ${DAY_US}`;
  const sql =
    `SELECT bucket, sum(size) volume FROM (` +
    `SELECT cast(floor((${offset}) * ${q.buckets}.0 / ${span}) AS LONG) bucket, size FROM trades ` +
    `WHERE venue = ${sqlLiteral(venue)} AND symbol = ${sqlLiteral(symbol)} AND ts >= ${Math.max(0, since)} AND ts < ${q.fromUs}` +
    `) WHERE bucket < ${q.buckets} GROUP BY bucket ORDER BY bucket`;
  const volume = new Array<number>(q.buckets).fill(0);
  for (const r of rowsOf(await questdbSql(url, sql))) {
    const b = Number(r.bucket);
    const v = r.volume;
    if (!Number.isInteger(b) || b < 0 || b >= q.buckets) continue;
    volume[b] = typeof v === "string" ? parseFixed(v, "trades.size") : typeof v === "number" ? parseFixed(v.toFixed(8), "trades.size") : 0;
  }
  const total = volume.reduce((s, v) => s + v, 0);
  return total > 0 ? volume.map((v) => v / total) : new Array<number>(q.buckets).fill(1 / q.buckets);
}
