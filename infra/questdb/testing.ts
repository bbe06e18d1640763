import { asPrice, asQuantity, type OrderEvent } from "../../actors/domain/index.ts";
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

/** An order's OrderSubmitted: a GTC limit buy of 3 at 101.25 in book main. */
export const submitted = (id: string, instrument: string, ts: number): OrderEvent => ({
  type: "OrderSubmitted",
  clientOrderId: id,
  instrument,
  side: "BUY",
  orderType: "LIMIT",
  quantity: asQuantity(3_00000000),
  price: asPrice(101_25000000),
  timeInForce: "GTC",
  postOnly: false,
  reduceOnly: false,
  strategy: "trend-1",
  book: "main",
  emulatedStop: false,
  emulatedGtd: false,
  tsEvent: ts,
  tsInit: ts,
});
/** A fill of the order submitted above, at its price: `lastQty` now, `cumQty` in all (1e-8 units). */
export const filled = (id: string, execId: string, lastQty: number, cumQty: number, ts: number): OrderEvent => ({
  type: "OrderFilled",
  clientOrderId: id,
  venueOrderId: `V-${id}`,
  execId,
  side: "BUY",
  lastQty: asQuantity(lastQty),
  lastPx: asPrice(101_25000000),
  fee: -12345,
  liquidity: "MAKER",
  cumQty: asQuantity(cumQty),
  leavesQty: asQuantity(3_00000000 - cumQty),
  avgPx: asPrice(101_25000000),
  venueSeq: cumQty,
  tsEvent: ts,
  tsInit: ts + 1,
});
