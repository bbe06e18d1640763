import t from "tap";
import type { Bar } from "../../actors/domain/index.ts";
import { declareTables, openIlpWriter } from "../../infra/questdb/index.ts";
import { barRow } from "../../infra/questdb/rows.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { startTestServers } from "../../test/testing.ts";
import { csvRecordChunks, mergeInTimeOrder } from "./market-data.ts";
import { runBacktest } from "./runner.ts";
import { barsRun } from "./testing.ts";

t.test("bars recorded in QuestDB backtest exactly as the same bars from CSV files: the same event journal", async (t) => {
  const { infra } = await startTestServers(t, { questdb: true, declare: false });
  const url = infra.questdbUrl ?? "";
  await declareTables(url);
  const { config } = await barsRun(t, { minutes: 180 });
  if (config.data.kind !== "csv") throw new Error("barsRun makes a CSV run");
  const writer = await openIlpWriter(url);
  for await (const chunk of mergeInTimeOrder(config.data.files.map((f) => csvRecordChunks(f))))
    for (const r of chunk) if (r.type === "Bar") writer.row(barRow(r as Bar));
  await writer.flush();
  await writer.close();
  await walApplied(url, "bars", { written: true });
  const fromCsv = await runBacktest(config);
  // the same (already validated) run with QuestDB as its data
  const fromQuestdb = await runBacktest({
    ...config,
    data: { kind: "questdb", url, quotes: false, trades: false, barType: "1m", halfSpreadTicks: 1, pageSize: 500 },
  });
  t.ok(fromCsv.fills > 0, "the strategy traded");
  t.equal(fromQuestdb.records, fromCsv.records, "every bar came back");
  t.equal(fromQuestdb.journal.sha256, fromCsv.journal.sha256, "the same journal");
});
