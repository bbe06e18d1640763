import { eventually } from "../../test/testing.ts";
import { questdbSql, rowsOf } from "./sql.ts";

export interface WalWait {
  /** default 30 s */
  timeoutMs?: number;
  /** wait for a first transaction too (a writer at 0 of 0 has not seen the rows just sent) */
  written?: boolean;
}

/**
 * WAL tables apply committed transactions asynchronously: wait (bounded) until the writer has caught up with the
 * sequencer, so what a query sees is everything that was flushed. For tests.
 */
export async function walApplied(url: string, table: string, { timeoutMs = 30_000, written = false }: WalWait = {}): Promise<void> {
  const caughtUp = (row: Record<string, unknown>) => row.writerTxn === row.sequencerTxn && (!written || row.sequencerTxn !== 0);
  const row = await eventually(
    `the WAL of ${table} to be applied`,
    async () => rowsOf(await questdbSql(url, `SELECT suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = '${table}'`))[0],
    // a suspended WAL never catches up: stop at once and say so
    {
      timeoutMs,
      everyMs: 100,
      until: (row: Record<string, unknown> | undefined) => row !== undefined && (row.suspended === true || caughtUp(row)),
    },
  );
  if (row?.suspended === true) throw new Error(`WAL of ${table} is suspended`);
}
