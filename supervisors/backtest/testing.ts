import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoUniverse } from "../../actors/instrument/index.ts";
import { parseRunConfig, type RunConfig, type RunConfigInput } from "./run-config.ts";
import { writeSimulatedBars } from "./simulated-bars.ts";

export const TEST_START_US = Date.parse("2024-03-04T00:00:00Z") * 1000;

/**
 * A folder of simulated one-minute bars and a run configuration trading them with the trend follower, or with the
 * strategies (and features) of `run`; `input` is the configuration before parsing.
 */
export async function barsRun(
  t: { teardown(f: () => void): void },
  o: { instruments?: number; minutes?: number; seed?: number; run?: Partial<RunConfigInput> } = {},
): Promise<{ dir: string; config: RunConfig; input: RunConfigInput }> {
  const dir = mkdtempSync(join(tmpdir(), "backtest-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const minutes = o.minutes ?? 360;
  const instruments = demoUniverse(o.instruments ?? 2);
  const files = await writeSimulatedBars(dir, instruments, { seed: o.seed ?? 5, startUs: TEST_START_US, minutes });
  const input: RunConfigInput = {
    start: TEST_START_US,
    end: TEST_START_US + minutes * 60_000_000,
    instruments: instruments.map((d) => ({ id: d.id, assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" })),
    data: { kind: "csv", files },
    strategies: [
      {
        id: "trend",
        sample: "trend-follower",
        channels: ["bar"],
        barType: "1m",
        parameters: { fastPeriod: 5, slowPeriod: 15, atrPeriod: 10, riskPerTrade: 100, maxPosition: 40 },
      },
    ],
    venue: { makerFeeBps: 0, takerFeeBps: 1, latencyUs: 500, jitterUs: 200 },
    report: { sampleEveryMs: 600_000 },
    ...o.run,
  };
  // parsing fills the instrument definitions in place: the input handed back stays as written
  return { dir, config: parseRunConfig(structuredClone(input)), input };
}
