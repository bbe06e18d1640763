import { questdbSql, rowsOf } from "./sql.ts";

/**
 * The platform's QuestDB tables. Prices and quantities are DECIMAL (fixed point, never binary float); every
 * table has a designated timestamp, daily partitions, WAL, and DEDUP UPSERT KEYS so redelivery never duplicates.
 * Bars are keyed by their open time (`ts`, the bar's identity) and carry the close time (the Bar's tsEvent) in
 * `ts_close`. Orders are keyed by the platform's order id (the order actor's clientOrderId); the venue's id is apart.
 */
export interface TableSpec {
  name: string;
  columns: [name: string, type: string][];
  timestamp: string;
  upsertKeys: string[];
  /** a tick table: kept `tickRetentionDays` when that is set (the bulk of the data, a row per quote or trade) */
  ticks?: true;
}

export interface TableOptions {
  /** days the tick tables keep (QuestDB's TTL, whole daily partitions); 0 or absent: kept for good */
  tickRetentionDays?: number;
}

const PX = "DECIMAL(18,8)";

export const tables: TableSpec[] = [
  {
    name: "quotes",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["bid", PX],
      ["bid_size", PX],
      ["ask", PX],
      ["ask_size", PX],
      ["seq", "LONG"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "seq"],
    ticks: true,
  },
  {
    name: "trades",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["price", PX],
      ["size", PX],
      ["aggressor", "SYMBOL"],
      ["trade_id", "VARCHAR"],
      ["seq", "LONG"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "seq"],
    ticks: true,
  },
  {
    name: "bars",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["bar_type", "SYMBOL"],
      ["open", PX],
      ["high", PX],
      ["low", PX],
      ["close", PX],
      ["volume", PX],
      ["vwap", PX],
      ["trades", "LONG"],
      ["ts_close", "TIMESTAMP"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "bar_type"],
  },
  {
    // the feature actors' factors ("bar-factors" v1), keyed like the bar they come from; binary floats, as statistics
    name: "bar_factors",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["bar_type", "SYMBOL"],
      ["version", "LONG"],
      ["ret1", "DOUBLE"],
      ["ret5", "DOUBLE"],
      ["vol20", "DOUBLE"],
      ["hl_range", "DOUBLE"],
      ["volume_ratio", "DOUBLE"],
      ["ts_close", "TIMESTAMP"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "bar_type", "version"],
  },
  // Alternative data (actors/domain/messages/alt-data.ts), keyed by when it became public (tsEvent); ts_init is
  // when it reached the platform, so a study can tell what was knowable from what was merely true.
  {
    name: "filings",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["cik", "SYMBOL"],
      ["accession", "VARCHAR"],
      ["form", "SYMBOL"],
      ["items", "VARCHAR"],
      ["filing_date", "VARCHAR"],
      ["url", "VARCHAR"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "accession"],
  },
  {
    name: "news",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["article_id", "VARCHAR"],
      ["publisher", "SYMBOL"],
      ["title", "VARCHAR"],
      ["url", "VARCHAR"],
      ["sentiment", "DOUBLE"],
      ["positive", "LONG"],
      ["negative", "LONG"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "article_id"],
  },
  {
    name: "alt_series",
    columns: [
      ["ts", "TIMESTAMP"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["source", "SYMBOL"],
      ["series", "SYMBOL"],
      ["value", "DOUBLE"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "venue", "symbol", "source", "series"],
  },
  {
    name: "fills",
    columns: [
      ["ts", "TIMESTAMP"],
      ["fill_id", "VARCHAR"],
      ["order_id", "VARCHAR"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["side", "SYMBOL"],
      ["price", PX],
      ["qty", PX],
      ["fee", PX],
      ["liquidity", "SYMBOL"],
      ["strategy", "SYMBOL"],
      ["book", "SYMBOL"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "fill_id"],
  },
  {
    name: "orders",
    columns: [
      ["ts", "TIMESTAMP"],
      ["order_id", "VARCHAR"],
      ["client_order_id", "VARCHAR"],
      ["venue_order_id", "VARCHAR"],
      ["event", "SYMBOL"],
      ["status", "SYMBOL"],
      ["venue", "SYMBOL"],
      ["symbol", "SYMBOL"],
      ["side", "SYMBOL"],
      ["order_type", "SYMBOL"],
      ["tif", "SYMBOL"],
      ["price", PX],
      ["stop_price", PX],
      ["qty", PX],
      ["filled_qty", PX],
      ["avg_price", PX],
      ["reason", "VARCHAR"],
      ["book", "SYMBOL"],
      ["strategy", "SYMBOL"],
      ["seq", "LONG"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "order_id", "seq"],
  },
  // Each risk book's journal (am.evt.risk-book.<book>.<Event>), one row per event with the event whole as JSON: the
  // record of its decisions (approvals, denials with their reason, kill switches) once its compacted journal drops them
  {
    name: "risk_events",
    columns: [
      ["ts", "TIMESTAMP"],
      ["book", "SYMBOL"],
      ["event", "SYMBOL"],
      ["seq", "LONG"],
      ["order_id", "VARCHAR"],
      ["instrument", "SYMBOL"],
      ["body", "VARCHAR"],
      ["ts_init", "TIMESTAMP"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "book", "seq"],
  },
  // One row per finished backtest (supervisors/backtest/report-tables.ts), keyed by its run id; money as DECIMAL,
  // statistics as DOUBLE, the whole report (without its samples) as JSON text.
  {
    name: "backtest_runs",
    columns: [
      ["ts", "TIMESTAMP"],
      ["run_id", "VARCHAR"],
      ["name", "SYMBOL"],
      ["start_ts", "TIMESTAMP"],
      ["end_ts", "TIMESTAMP"],
      ["records", "LONG"],
      ["orders", "LONG"],
      ["fills", "LONG"],
      ["fees", PX],
      ["initial_equity", PX],
      ["final_equity", PX],
      ["pnl", PX],
      ["total_return", "DOUBLE"],
      ["annualised_return", "DOUBLE"],
      ["volatility", "DOUBLE"],
      ["sharpe", "DOUBLE"],
      ["sortino", "DOUBLE"],
      ["calmar", "DOUBLE"],
      ["max_drawdown", "DOUBLE"],
      ["hit_rate", "DOUBLE"],
      ["profit_factor", "DOUBLE"],
      ["turnover", "DOUBLE"],
      ["exposure", "DOUBLE"],
      ["journal_sha256", "VARCHAR"],
      ["wall_ms", "LONG"],
      ["cpu_ms", "LONG"],
      ["report", "VARCHAR"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "run_id"],
  },
  // a run's sampled equity curve, at simulated time
  {
    name: "backtest_equity",
    columns: [
      ["ts", "TIMESTAMP"],
      ["run_id", "VARCHAR"],
      ["equity", PX],
      ["drawdown", "DOUBLE"],
      ["exposure", "DOUBLE"],
    ],
    timestamp: "ts",
    upsertKeys: ["ts", "run_id"],
  },
];

/** The days a table keeps: the tick retention for tick tables, 0 (for good) for the rest. */
const retentionDays = (t: TableSpec, o: TableOptions): number => (t.ticks ? (o.tickRetentionDays ?? 0) : 0);

export const createTableSql = (t: TableSpec, o: TableOptions = {}): string => {
  const days = retentionDays(t, o);
  return (
    `CREATE TABLE IF NOT EXISTS ${t.name} (${t.columns.map(([n, ty]) => `${n} ${ty}`).join(", ")}) ` +
    `TIMESTAMP(${t.timestamp}) PARTITION BY DAY${days ? ` TTL ${days} DAYS` : ""} WAL DEDUP UPSERT KEYS(${t.upsertKeys.join(", ")})`
  );
};

/** Sets a table's TTL to its declared retention where it differs: how long to keep data is the operator's setting. */
async function applyRetention(url: string, t: TableSpec, o: TableOptions): Promise<void> {
  const days = retentionDays(t, o);
  const meta = rowsOf(await questdbSql(url, `SELECT ttlValue, ttlUnit FROM tables() WHERE table_name = '${t.name}'`))[0];
  const now = meta && Number(meta.ttlValue) > 0 ? `${meta.ttlValue} ${meta.ttlUnit}` : "";
  const want = days ? `${days} DAY` : "";
  if (now.replace(/S$/, "") !== want) await questdbSql(url, `ALTER TABLE ${t.name} SET TTL ${days} DAYS`);
}

export class TableConflictError extends Error {
  override name = "TableConflictError";
}

/** Differences between an existing table and its declaration, one line each. */
async function tableConflicts(url: string, t: TableSpec): Promise<string[]> {
  const out: string[] = [];
  const meta = rowsOf(
    await questdbSql(url, `SELECT designatedTimestamp, partitionBy, walEnabled, dedup FROM tables() WHERE table_name = '${t.name}'`),
  )[0];
  if (!meta) return [`table ${t.name}: not found after creation`];
  if (meta.designatedTimestamp !== t.timestamp)
    out.push(`table ${t.name}: designated timestamp is ${meta.designatedTimestamp}, declared ${t.timestamp}`);
  if (meta.partitionBy !== "DAY") out.push(`table ${t.name}: partitioned by ${meta.partitionBy}, declared DAY`);
  if (meta.walEnabled !== true) out.push(`table ${t.name}: WAL is off, declared on`);
  const cols = new Map(
    rowsOf(await questdbSql(url, `SELECT "column", type, upsertKey FROM table_columns('${t.name}')`)).map((c) => [c.column as string, c]),
  );
  for (const [name, type] of t.columns) {
    const c = cols.get(name);
    if (!c) {
      // A column added to the declaration since the table was made: adding it loses nothing (old rows read null).
      if (t.upsertKeys.includes(name)) out.push(`table ${t.name}: upsert key column ${name} is missing`);
      else await questdbSql(url, `ALTER TABLE ${t.name} ADD COLUMN ${name} ${type}`);
    } else if (c.type !== type) out.push(`table ${t.name}: column ${name} is ${c.type}, declared ${type}`);
    else if (Boolean(c.upsertKey) !== t.upsertKeys.includes(name)) {
      out.push(
        `table ${t.name}: column ${name} ${c.upsertKey ? "is" : "is not"} an upsert key, declared ${t.upsertKeys.includes(name) ? "is" : "is not"}`,
      );
    }
  }
  return out;
}

/**
 * Creates the tables when missing, adds declared columns a table lacks and sets the tick tables' retention; reports
 * (and changes nothing for) a table whose definition otherwise differs.
 */
export async function declareTables(url: string, o: TableOptions = {}): Promise<{ tables: string[] }> {
  const problems: string[] = [];
  for (const t of tables) {
    await questdbSql(url, createTableSql(t, o));
    const conflicts = await tableConflicts(url, t);
    problems.push(...conflicts);
    if (!conflicts.length) await applyRetention(url, t, o);
  }
  if (problems.length) throw new TableConflictError(`existing QuestDB tables differ from the declared ones:\n  ${problems.join("\n  ")}`);
  return { tables: tables.map((t) => t.name) };
}
