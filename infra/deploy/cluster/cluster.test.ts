import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import t from "tap";
import { connectNats } from "../../nats/index.ts";
import { startCluster } from "./cluster.ts";
import { runDrill } from "./drill.ts";

// Three nats-servers, QuestDB and three node processes started one after another on a loaded 2-core machine
t.setTimeout(300_000);

t.test("a nats-server killed under the demo's order flow: nothing acknowledged lost or doubled, trading resumes", async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), "am-cluster-test-"));
  const cluster = await startCluster({ varDir, demoInstruments: 5 });
  t.teardown(async () => {
    await cluster.stop();
    // a failed drill keeps its servers' data and every process's log: a lost fill can only be traced from them
    if (t.passing()) rmSync(varDir, { recursive: true, force: true });
    else console.error(`cluster test failed: kept ${varDir} (data and logs) for diagnosis`);
  });
  t.equal(cluster.natsUrl.split(",").length, 3, "clients get the three servers as seeds");
  t.ok(await cluster.metaLeader(), "the cluster has a JetStream meta leader");
  const nc = await connectNats(cluster.natsUrl, "cluster-test", { role: "node", credentialsDir: cluster.credentialsDir });
  const jsm = await jetstreamManager(nc);
  for (const stream of ["KV_am-model-cards", "OBJ_am-models", "AM_EVT"])
    t.equal((await jsm.streams.info(stream)).config.num_replicas, 3, `${stream} has three replicas`);
  await nc.close();

  const report = await runDrill(cluster, {
    faults: ["nats-server"],
    instruments: 5,
    phaseMs: 6_000,
    resumeLimitMs: 30_000,
    // the drill's steps and its reckoning's rounds, in the test's output
    progress: (line) => t.comment(line),
  });
  const [fault] = report.faults;
  // what the killed server led and how long its elections took: where a slow resume's time went
  t.comment(JSON.stringify(fault));
  t.equal(fault?.fault, "nats-server");
  t.not(fault?.resumeMs, null, `a new order filled after ${fault?.target} was killed (${fault?.resumeMs} ms)`);
  t.ok(report.approved > 0 && report.fills.journal > 0, `orders flowed (${report.approved} approved, ${report.fills.journal} fills)`);
  t.equal(report.lost, 0, `no acknowledged order or fill lost (${report.findings.join("; ")})`);
  t.equal(report.doubled, 0, "no order or fill doubled");
  t.ok(
    report.fillsAgree,
    `fills agree (journal = book = QuestDB, every fill the exchange sent among them): ${JSON.stringify(report.fills)}`,
  );
});
