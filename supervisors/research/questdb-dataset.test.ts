import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { declareTables, openIlpWriter } from "../../infra/questdb/index.ts";
import { barRow } from "../../infra/questdb/rows.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { startTestServers } from "../../test/testing.ts";
import { simulatedBars } from "./bar-sources.ts";
import { buildDataset } from "./build-dataset.ts";
import { parseDatasetConfig } from "./dataset-config.ts";

t.test("a dataset from bars recorded in QuestDB has the same rows as from the same bars simulated", async (t) => {
  const { infra } = await startTestServers(t, { questdb: true, declare: false });
  const url = infra.questdbUrl ?? "";
  await declareTables(url);
  const dir = mkdtempSync(join(tmpdir(), "dataset-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    name: "recorded",
    instruments: ["SIM001.SIMX", "SIM002.SIMX"],
    from: "2024-03-04T00:00:00Z",
    to: "2024-03-04T02:00:00Z",
    barType: "1m",
    label: { kind: "fixed-horizon", horizonBars: 5 },
  };
  const simulated = parseDatasetConfig({ ...base, out: "sim", source: { kind: "simulator", seed: 3 } });
  const writer = await openIlpWriter(url);
  for await (const bar of simulatedBars({ instruments: simulated.instruments, seed: 3, fromUs: simulated.from, toUs: simulated.to }))
    writer.row(barRow(bar));
  await writer.flush();
  await writer.close();
  await walApplied(url, "bars", { written: true });

  const fromSim = await buildDataset(simulated, { baseDir: dir });
  // a small page size so the read crosses pages
  const recorded = parseDatasetConfig({ ...base, out: "qdb", source: { kind: "questdb", url, pageSize: 17 } });
  const fromQuestdb = await buildDataset(recorded, { baseDir: dir });
  t.ok(fromSim.manifest.rows > 150, `${fromSim.manifest.rows} rows`);
  t.equal(fromQuestdb.manifest.rows, fromSim.manifest.rows);
  t.equal(fromQuestdb.manifest.sha256, fromSim.manifest.sha256, "the same rows, byte for byte");
  t.same(fromQuestdb.manifest.source, { kind: "questdb", url });
});
