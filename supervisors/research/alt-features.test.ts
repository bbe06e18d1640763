import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Xoshiro128 } from "../../actors/feed/simulator/index.ts";
import { declareTables, openIlpWriter } from "../../infra/questdb/index.ts";
import { barRow, filingRow, newsRow } from "../../infra/questdb/rows.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { startTestServers } from "../../test/testing.ts";
import { type AltEvent, type AltFeatureSpec, joinAltFeatures } from "./alt-features.ts";
import { simulatedBars } from "./bar-sources.ts";
import { buildDataset } from "./build-dataset.ts";
import { parseDatasetConfig } from "./dataset-config.ts";
import type { DatasetRow } from "./dataset.ts";
import { readDataset } from "./dataset-files.ts";
import { validateRidge } from "./validation.ts";

const MIN = 60_000_000;
const T = Date.UTC(2024, 4, 2, 20) * 1000;
const row = (instrument: string, t0: number): DatasetRow => ({ instrument, t0, t1: t0 + 5 * MIN, features: [0, 0, 0, 0, 0], ret: 0 });

t.test("a filing accepted after a bar's close is not in that bar's row, only in the next", async (t) => {
  const rows = [row("AAPL.XNAS", T), row("AAPL.XNAS", T + MIN), row("MSFT.XNAS", T + MIN)];
  const events: AltEvent[] = [{ kind: "filing", instrument: "AAPL.XNAS", tsEvent: T + 30_000_000, items: ["2.02", "9.01"] }];
  const specs: AltFeatureSpec[] = [
    { kind: "filing", name: "alt_results_8k", windowMs: 86_400_000, items: ["2.02"] },
    { kind: "filing", name: "alt_officer_8k", windowMs: 86_400_000, items: ["5.02"] },
  ];
  const out = joinAltFeatures(rows, events, specs);
  t.same(out[0]!.alt, { alt_results_8k: 0, alt_officer_8k: 0 }, "the bar closing 30 s before the acceptance does not see it");
  t.same(out[1]!.alt, { alt_results_8k: 1, alt_officer_8k: 0 }, "the next bar does, and only for the items filed");
  t.same(out[2]!.alt, { alt_results_8k: 0, alt_officer_8k: 0 }, "another instrument does not");
  const atClose = joinAltFeatures([row("AAPL.XNAS", T)], [{ ...events[0]!, tsEvent: T } as AltEvent], specs);
  t.equal(atClose[0]!.alt!.alt_results_8k, 1, "an event stamped at the close itself is known at the close");
});

t.test("news averages the window's sentiment and series take the latest value, both forgetting what left the window", async (t) => {
  const events: AltEvent[] = [
    { kind: "news", instrument: "A.X", tsEvent: T - 10 * MIN, sentiment: 1 },
    { kind: "news", instrument: "A.X", tsEvent: T - 2 * MIN, sentiment: -0.5 },
    { kind: "news", instrument: "A.X", tsEvent: T + 1, sentiment: -1 },
    { kind: "series", instrument: "A.X", tsEvent: T - 3 * MIN, source: "lots", series: "cars", value: 10 },
    { kind: "series", instrument: "A.X", tsEvent: T - MIN, source: "lots", series: "cars", value: 12 },
    { kind: "series", instrument: "A.X", tsEvent: T - MIN, source: "lots", series: "fill", value: 0.5 },
  ];
  const specs: AltFeatureSpec[] = [
    { kind: "news", name: "alt_tone_15m", windowMs: 15 * 60_000 },
    { kind: "news", name: "alt_tone_5m", windowMs: 5 * 60_000 },
    { kind: "series", name: "alt_cars", windowMs: 60 * 60_000, source: "lots", series: "cars" },
  ];
  const [r] = joinAltFeatures([row("A.X", T)], events, specs);
  t.same(r!.alt, { alt_tone_15m: 0.25, alt_tone_5m: -0.5, alt_cars: 12 });
  const [later] = joinAltFeatures([row("A.X", T + 2 * 60 * MIN)], events, specs);
  t.same(later!.alt, { alt_tone_15m: 0, alt_tone_5m: 0, alt_cars: 0 }, "nothing within the windows: 0");
});

t.test("a dataset built from QuestDB joins the recorded filings and news as of each bar's close", async (t) => {
  const { infra } = await startTestServers(t, { questdb: true, declare: false });
  const url = infra.questdbUrl ?? "";
  await declareTables(url);
  const dir = mkdtempSync(join(tmpdir(), "alt-dataset-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const from = Date.UTC(2024, 2, 4) * 1000;
  const writer = await openIlpWriter(url);
  for await (const bar of simulatedBars({ instruments: ["SIM001.SIMX"], seed: 5, fromUs: from, toUs: from + 60 * MIN }))
    writer.row(barRow(bar));
  // accepted 20 s after the 00:40 bar closes (bars close at their open + 1 minute)
  const accepted = from + 40 * MIN + 20_000_000;
  writer.row(
    filingRow({
      instrument: "SIM001.SIMX",
      cik: "0000000001",
      accession: "0000000001-24-000001",
      form: "8-K",
      items: ["2.02"],
      filingDate: "2024-03-04",
      url: "",
      tsEvent: accepted,
      tsInit: accepted + 5_000_000,
    }),
  );
  writer.row(
    newsRow({
      instrument: "SIM001.SIMX",
      id: "n1",
      publisher: "Benzinga",
      title: "SIM001 beats",
      url: "",
      sentiment: 1,
      positive: 1,
      negative: 0,
      tsEvent: from + 30 * MIN,
      tsInit: from + 30 * MIN,
    }),
  );
  await writer.flush();
  await writer.close();
  for (const table of ["bars", "filings", "news"]) await walApplied(url, table, { written: true });
  const config = parseDatasetConfig({
    name: "alt",
    out: "alt",
    instruments: ["SIM001.SIMX"],
    from: "2024-03-04T00:00:00Z",
    to: "2024-03-04T01:00:00Z",
    barType: "1m",
    label: { kind: "fixed-horizon", horizonBars: 3 },
    source: { kind: "questdb", url, pageSize: 100 },
    alt: [
      { kind: "filing", name: "alt_results_8k", windowMs: 3_600_000, items: ["2.02"] },
      { kind: "news", name: "alt_tone_1h", windowMs: 3_600_000 },
    ],
  });
  const built = await buildDataset(config, { baseDir: dir });
  const { rows, manifest } = await readDataset(built.dir);
  t.same(
    manifest.alt?.map((a) => a.name),
    ["alt_results_8k", "alt_tone_1h"],
  );
  t.ok(manifest.columns.includes("alt_results_8k"));
  const at = (t0: number) => rows.find((r) => r.t0 === t0)!;
  const closeOf40 = from + 41 * MIN;
  t.equal(at(closeOf40 - MIN).alt!.alt_results_8k, 0, "the bar that closed before the acceptance");
  t.equal(at(closeOf40).alt!.alt_results_8k, 1, "the 00:40 bar closes at 00:41, after the filing at 00:40:20");
  t.equal(at(from + 30 * MIN).alt!.alt_tone_1h, 1, "a headline at the close is known at it");
  t.equal(at(from + 29 * MIN).alt!.alt_tone_1h, 0);
  t.throws(
    () =>
      parseDatasetConfig({ ...config, from: "2024-03-04T00:00:00Z", to: "2024-03-04T01:00:00Z", source: { kind: "simulator", seed: 1 } }),
    /dataset config alt: /,
  );
});

t.test("the validated forecaster takes a dataset's alternative data features as inputs beside the bar factors", async (t) => {
  const rng = new Xoshiro128(9);
  // the return follows a news tone the bar factors know nothing of
  const rows: DatasetRow[] = Array.from({ length: 900 }, (_, i) => {
    const tone = rng.normal();
    return {
      ...row("A.SIM", i * MIN),
      features: [rng.normal(), rng.normal(), rng.normal(), rng.normal(), 1],
      ret: (tone + rng.normal() * 0.5) * 1e-3,
      alt: { alt_tone: tone },
    };
  });
  const options = { folds: 5, groups: 6, testGroups: 2, embargoUs: 5 * MIN, lambda: 1e-3, walkForwardWindows: 3 };
  const withAlt = validateRidge(rows, options);
  const without = validateRidge(
    rows.map(({ alt: _, ...r }) => r),
    options,
  );
  t.ok(withAlt.kFold.pooled.ic > 0.5, `pooled IC with the tone ${withAlt.kFold.pooled.ic.toFixed(3)}`);
  t.ok(Math.abs(without.kFold.pooled.ic) < 0.2, `pooled IC without it ${without.kFold.pooled.ic.toFixed(3)}`);
});
