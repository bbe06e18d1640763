import { setTimeout as sleep } from "node:timers/promises";
import { questdbSql, rowsOf } from "./sql.ts";

/**
 * WAL tables apply committed transactions asynchronously: wait (bounded) until the writer has caught up with the
 * sequencer, so what a query sees is everything that was flushed. For tests.
 */
export async function walApplied(url: string, table: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = rowsOf(await questdbSql(url, `SELECT suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = '${table}'`))[0];
    if (row?.suspended === true) throw new Error(`WAL of ${table} is suspended`);
    if (row && row.writerTxn === row.sequencerTxn) return;
    if (Date.now() > deadline) throw new Error(`WAL of ${table} not applied within ${timeoutMs} ms: ${JSON.stringify(row)}`);
    await sleep(100);
  }
}

/** Polls until `check` returns a value other than undefined; fails naming `what` after the timeout. For tests. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(50);
  }
}
