import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { BAR_FACTORS, type Bar, barFactorSeries, factorRow } from "../../actors/domain/index.ts";
import { buildDataset } from "./build-dataset.ts";
import { parseDatasetConfig } from "./dataset-config.ts";
import { buildRows, DatasetError } from "./dataset.ts";
import { readDataset } from "./dataset-files.ts";

const START = Date.parse("2024-03-04T00:00:00Z") * 1000;
const MIN = 60_000_000;

const folder = (t: { teardown(f: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), "dataset-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** n one-minute bars of one instrument whose closes follow `close(i)` */
function barsOf(instrument: string, n: number, close: (i: number) => number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const c = close(i);
    return {
      instrument,
      barType: "1m",
      tsOpen: START + i * MIN,
      tsEvent: START + (i + 1) * MIN,
      tsInit: START + (i + 1) * MIN,
      open: c,
      high: c * 1.001,
      low: c * 0.999,
      close: c,
      volume: 100 + (i % 7),
      vwap: c,
      trades: 3,
    } as Bar;
  });
}

async function* streamOf(bars: Bar[]): AsyncGenerator<Bar> {
  yield* bars;
}

t.test("rows are point-in-time: features from the bar and earlier bars, the label from later bars only", async (t) => {
  const bars = barsOf("A.SIM", 60, (i) => 100 + Math.sin(i / 3) * 2 + i * 0.05);
  const rows = await buildRows(streamOf(bars), { kind: "fixed-horizon", horizonBars: 5 });
  // factors exist from the 21st bar; the last 5 bars have no 5-bar future
  t.equal(rows.length, 60 - 20 - 5);
  const factors = barFactorSeries(bars).map((f) => (f ? factorRow(f) : undefined));
  for (const r of rows) {
    const i = bars.findIndex((b) => b.tsEvent === r.t0);
    t.same(r.features, factors[i], `row at bar ${i}: the factors of that bar`);
    t.equal(r.t1, bars[i + 5]!.tsEvent, "the label ends 5 bars later");
    t.equal(r.ret, bars[i + 5]!.close / bars[i]!.close - 1);
  }
  // changing the bars after k changes no row whose span ends before k
  const k = 40;
  const changed = bars.map((b, i) => (i >= k ? ({ ...b, close: b.close * 3, high: b.high * 3, low: b.low * 3 } as Bar) : b));
  const again = await buildRows(streamOf(changed), { kind: "fixed-horizon", horizonBars: 5 });
  const before = (rs: typeof rows) => rs.filter((r) => r.t1 < bars[k]!.tsEvent);
  t.ok(before(rows).length > 0);
  t.same(before(again), before(rows), "rows that end before the change are the same");
});

t.test("rows of several instruments are in (t0, instrument) order; bars out of order are refused", async (t) => {
  const a = barsOf("B.SIM", 40, (i) => 50 + i * 0.1);
  const b = barsOf("A.SIM", 40, (i) => 80 - i * 0.1);
  const merged = a.flatMap((x, i) => [x, b[i]!]);
  const rows = await buildRows(streamOf(merged), { kind: "triple-barrier", horizonBars: 5, profitTaking: 1, stopLoss: 1 });
  for (let i = 1; i < rows.length; i++) {
    const p = rows[i - 1]!;
    const r = rows[i]!;
    t.ok(p.t0 < r.t0 || (p.t0 === r.t0 && p.instrument < r.instrument), `row ${i} in order`);
  }
  t.ok(rows.every((r) => r.label !== undefined && r.t1 > r.t0));
  await t.rejects(buildRows(streamOf([a[1]!, a[0]!]), { kind: "fixed-horizon", horizonBars: 1 }), DatasetError);
});

t.test("a dataset from the simulator is written with a manifest, reproducible, and read back checked", async (t) => {
  const dir = folder(t);
  const input = {
    name: "sim-5m",
    out: "ds",
    instruments: ["SIM001.SIMX", "SIM002.SIMX"],
    from: "2024-03-04T00:00:00Z",
    to: "2024-03-04T03:00:00Z",
    barType: "1m",
    source: { kind: "simulator", seed: 7 },
    label: { kind: "triple-barrier", horizonBars: 10, profitTaking: 1, stopLoss: 1 },
  };
  const progress: number[] = [];
  const { dir: out, manifest } = await buildDataset(parseDatasetConfig(input), { baseDir: dir, onProgress: (p) => progress.push(p.bars) });
  t.equal(out, join(dir, "ds"));
  t.ok(manifest.rows > 250, `${manifest.rows} rows`);
  t.match(manifest, {
    dataset: "sim-5m",
    instruments: input.instruments,
    range: { fromUs: START, toUs: START + 180 * MIN, from: "2024-03-04T00:00:00.000Z" },
    featureSet: { name: BAR_FACTORS.name, version: 1, features: [...BAR_FACTORS.features] },
    label: input.label,
    source: { kind: "simulator", seed: 7 },
  });
  t.match(manifest.sha256, /^[0-9a-f]{64}$/);
  t.equal(progress[progress.length - 1], 360, "progress counts every bar");
  const again = await buildDataset(parseDatasetConfig({ ...input, out: "ds2" }), { baseDir: dir });
  t.equal(again.manifest.sha256, manifest.sha256, "same seed, same rows");
  const { rows } = await readDataset(out);
  t.equal(rows.length, manifest.rows);
  // a changed byte is caught
  const file = join(out, "rows.jsonl");
  writeFileSync(file, readFileSync(file, "utf8").replace("SIM001.SIMX", "SIM003.SIMX"));
  await t.rejects(readDataset(out), /sha256 .* is not the manifest's/);
});

t.test("the example dataset config parses", async (t) => {
  const doc = JSON.parse(readFileSync(new URL("../../scripts/examples/research-dataset.json", import.meta.url), "utf8")) as unknown;
  t.match(parseDatasetConfig(doc), { source: { kind: "simulator" }, label: { kind: "triple-barrier" } });
});

t.test("a bad dataset config is refused with the field", async (t) => {
  const base = {
    name: "x",
    out: "x",
    instruments: ["SIM001.SIMX"],
    from: "2024-03-04T00:00:00Z",
    to: "2024-03-04T01:00:00Z",
    barType: "1m",
    source: { kind: "simulator", seed: 1 },
    label: { kind: "fixed-horizon", horizonBars: 1 },
  };
  t.throws(() => parseDatasetConfig({ ...base, to: "2024-03-03T00:00:00Z" }), /dataset config to: to must be after from/);
  t.throws(() => parseDatasetConfig({ ...base, barType: "1s" }), /barType: the simulator source makes 1m bars only/);
  t.throws(() => parseDatasetConfig({ ...base, label: { kind: "fixed-horizon", horizonBars: 0 } }), /label.horizonBars/);
  await t.rejects(
    buildDataset(parseDatasetConfig({ ...base, instruments: ["AAPL.XNAS"] }), { baseDir: folder(t) }),
    /AAPL.XNAS is not in the simulator/,
  );
});
