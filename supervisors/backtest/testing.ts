import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

/** A column of a Parquet test file: values as JSON; INT64 become bigints and TIMESTAMP values are milliseconds. */
export interface ParquetFixtureColumn {
  name: string;
  type: "INT32" | "INT64" | "DOUBLE" | "STRING" | "BOOLEAN" | "TIMESTAMP";
  values: (number | string | boolean | null)[];
  nullable?: boolean;
}

/**
 * Writes a Parquet file with hyparquet-writer in a child process: the writer imports hyparquet through a subpath
 * pattern (`hyparquet/src/*.js`) that the test runner's TypeScript resolver cannot resolve, plain Node can.
 */
export function writeParquetFixture(path: string, columns: ParquetFixtureColumn[], rowGroupSize?: number): void {
  const script = `
    import { parquetWriteFile } from "hyparquet-writer";
    const { path, columns, rowGroupSize } = JSON.parse(process.argv[1]);
    const data = (c) => c.type === "INT64" ? c.values.map((v) => v === null ? null : BigInt(v))
      : c.type === "TIMESTAMP" ? c.values.map((v) => new Date(v)) : c.values;
    parquetWriteFile({
      filename: path,
      columnData: columns.map((c) => ({ name: c.name, data: data(c), type: c.type, nullable: c.nullable ?? false })),
      ...(rowGroupSize ? { rowGroupSize } : {}),
    });`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify({ path, columns, rowGroupSize })], {
    env,
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "ignore", "inherit"],
  });
}
