import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bar } from "../../actors/domain/index.ts";
import { demoUniverse, type InstrumentDefinition } from "../../actors/instrument/index.ts";
import { questdbReplaySource } from "../../infra/questdb/index.ts";
import { csvRecordChunks, mergeInTimeOrder, writeSimulatedBars } from "../backtest/index.ts";
import { DatasetError } from "./dataset.ts";

const MINUTE_US = 60_000_000;

/** Recorded bars from QuestDB in time order, read the way the backtester reads them (paged, merged by close time). */
export async function* questdbBars(
  url: string,
  q: { instruments: string[]; barType: string; fromUs: number; toUs: number; pageSize: number },
): AsyncGenerator<Bar> {
  for await (const r of questdbReplaySource(url, { ...q, quotes: false, trades: false }))
    if (r.type === "Bar") {
      const { type: _, ...bar } = r;
      yield bar;
    }
}

/** The simulator knows the demo universe: each id must be one of it. */
export function simulatedInstruments(ids: readonly string[]): InstrumentDefinition[] {
  const universe = new Map(demoUniverse(999).map((d) => [d.id, d]));
  return ids.map((id) => {
    const d = universe.get(id);
    if (!d) throw new DatasetError(`instrument ${id} is not in the simulator's demo universe (SIM001.SIMX to SIM999.SIMX)`);
    return d;
  });
}

/**
 * One-minute bars of the seeded market simulator over [fromUs, toUs), made as the backtester makes them (bar files
 * in a temporary folder, removed after), in time order. Same seed, same bars.
 */
export async function* simulatedBars(q: { instruments: string[]; seed: number; fromUs: number; toUs: number }): AsyncGenerator<Bar> {
  const instruments = simulatedInstruments(q.instruments);
  const dir = mkdtempSync(join(tmpdir(), "research-bars-"));
  try {
    const minutes = Math.floor((q.toUs - q.fromUs) / MINUTE_US);
    const files = await writeSimulatedBars(dir, instruments, { seed: q.seed, startUs: q.fromUs, minutes });
    for await (const chunk of mergeInTimeOrder(files.map((f) => csvRecordChunks(f))))
      for (const r of chunk)
        if (r.type === "Bar") {
          const { type: _, ...bar } = r;
          yield bar;
        }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
