import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { formatFixed } from "../../actors/domain/index.ts";
import { MarketSimulator } from "../../actors/feed/simulator/index.ts";
import type { InstrumentDefinition } from "../../actors/instrument/index.ts";

const MINUTE_US = 60_000_000;
const HEADER = "ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n";

export interface SimulatedBarsOptions {
  seed: number;
  startUs: number;
  minutes: number;
  /** market events per instrument per minute the simulator draws (few: bars need only their OHLC) */
  eventsPerMinute?: number;
}

/**
 * One-minute bar CSV files (one per instrument, in `dir`) from the seeded market simulator: each minute's bar is
 * the OHLC of the touch's bid price and its trades' volume; a minute with no market event repeats the last close.
 * Same seed, same files. Returns the file paths.
 */
export async function writeSimulatedBars(
  dir: string,
  instruments: readonly InstrumentDefinition[],
  o: SimulatedBarsOptions,
): Promise<string[]> {
  const sim = new MarketSimulator({
    seed: o.seed,
    startUs: o.startUs,
    instruments,
    eventsPerSecond: (o.eventsPerMinute ?? 6) / 60,
    snapshotOnStart: false,
    checksums: false,
  });
  const index = new Map(instruments.map((d, i) => [d.id, i]));
  const n = instruments.length;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const trades = new Float64Array(n);
  const seen = new Uint8Array(n);
  const files = instruments.map((d) => join(dir, `${d.symbol}.${d.venue}.1m.csv`));
  const outs = files.map((f) => createWriteStream(f));
  const buffers: string[] = instruments.map(() => HEADER);
  const flush = async (force: boolean) => {
    for (let i = 0; i < n; i++) {
      if (!force && buffers[i]!.length < 1 << 16) continue;
      const chunk = buffers[i]!;
      buffers[i] = "";
      if (!outs[i]!.write(chunk)) await new Promise<void>((r) => outs[i]!.once("drain", () => r()));
    }
  };
  for (let m = 0; m < o.minutes; m++) {
    const from = o.startUs + m * MINUTE_US;
    const to = from + MINUTE_US;
    seen.fill(0);
    volume.fill(0);
    trades.fill(0);
    while (sim.peekUs() < to) {
      const e = sim.next();
      const i = index.get(e.instrument)!;
      let px: number;
      if (e.type === "RawQuote") px = e.bid;
      else if (e.type === "RawTrade") {
        px = e.price;
        volume[i]! += e.size;
        trades[i]!++;
      } else continue;
      if (!seen[i]) {
        seen[i] = 1;
        open[i] = close[i] ? close[i]! : px;
        high[i] = Math.max(open[i]!, px);
        low[i] = Math.min(open[i]!, px);
      }
      high[i] = Math.max(high[i]!, px);
      low[i] = Math.min(low[i]!, px);
      close[i] = px;
    }
    for (let i = 0; i < n; i++) {
      if (!close[i]) continue; // no price yet
      if (!seen[i]) open[i] = high[i] = low[i] = close[i]!;
      const c = formatFixed(close[i]!);
      buffers[i] +=
        `${from},${to},${instruments[i]!.id},1m,${formatFixed(open[i]!)},${formatFixed(high[i]!)},${formatFixed(low[i]!)},${c},` +
        `${formatFixed(volume[i]!)},${c},${trades[i]}\n`;
    }
    if ((m & 255) === 0) await flush(false);
  }
  await flush(true);
  await Promise.all(outs.map((s) => new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())))));
  return files;
}
