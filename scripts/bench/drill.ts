/**
 * `npm run bench -- drill`: the chaos drill on a three-server NATS cluster (infra/deploy/cluster). Starts the cluster
 * (three nats-servers, one QuestDB, three node processes with the demo market) on free ports in a throwaway var dir,
 * then under the demo strategies' order flow kill -9s a nats-server, the node hosting the demo risk book, the
 * JetStream meta leader and the server leading the event stream AM_EVT, each restarted after half a phase. Prints
 * progress to stderr and one JSON line:
 * {"bench":"drill","faults":[…],"lost":…,"doubled":…,"maxResumeMs":…,"fillsAgree":…, …}.
 * DRILL_PHASE_SECONDS (default 20): the flow before the first fault and after each; DRILL_INSTRUMENTS (default 50,
 * the demo's): instruments of the demo market; DRILL_FAULTS (default nats-server,node,meta-leader,event-leader).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../actors/contract/index.ts";
import { type RunningCluster, startCluster } from "../../infra/deploy/cluster/cluster.ts";
import { type FaultKind, faultKinds, runDrill } from "../../infra/deploy/cluster/drill.ts";
import { cpuMsOf } from "./support/process-cpu.ts";

const progress = (line: string) => process.stderr.write(`[drill] ${line}\n`);
const phaseMs = Number(process.env.DRILL_PHASE_SECONDS ?? 20) * 1000;
const instruments = Number(process.env.DRILL_INSTRUMENTS ?? 50);
const faults = (process.env.DRILL_FAULTS ?? faultKinds.join(",")).split(",") as FaultKind[];
for (const f of faults) if (!faultKinds.includes(f)) throw new Error(`DRILL_FAULTS: ${f} is not one of ${faultKinds.join(", ")}`);

const varDir = mkdtempSync(join(tmpdir(), "am-drill-"));
let cluster: RunningCluster | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => void (cluster?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));

/** CPU of every process of the cluster still running (the killed ones' CPU went with them). */
const clusterCpuMs = (c: RunningCluster) =>
  Math.round(
    [...c.servers.map((s) => s.pid()), ...c.nodes.map((n) => n.pid())]
      .filter((p): p is number => p !== undefined)
      .reduce((sum, p) => sum + (cpuMsOf(p) || 0), 0),
  );

const t0 = Date.now();
const load0 = loadavg()[0]!;
try {
  progress(`var dir ${varDir}; ${instruments} demo instruments, phases of ${phaseMs / 1000} s; load average ${load0.toFixed(2)}`);
  cluster = await startCluster({ varDir, demoInstruments: instruments, progress, nodeEnv: { AM_LOG_LEVEL: "info" } });
  const report = await runDrill(cluster, { faults, instruments, phaseMs, progress });
  const cpuMs = clusterCpuMs(cluster);
  await cluster.stop();
  console.log(
    JSON.stringify({
      bench: "drill",
      faults: report.faults,
      lost: report.lost,
      doubled: report.doubled,
      maxResumeMs: report.maxResumeMs,
      fillsAgree: report.fillsAgree,
      orders: report.orders,
      approved: report.approved,
      probe: report.probe,
      fills: report.fills,
      findings: report.findings,
      instruments,
      wallMs: Date.now() - t0,
      clusterCpuMs: cpuMs,
      loadAvg1m: { start: Math.round(load0 * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 },
    }),
  );
  // a drill that found a loss, a double or a disagreement keeps its servers' and nodes' data and logs to read
  if (report.lost || report.doubled || !report.fillsAgree) progress(`kept ${varDir} (data and logs) for diagnosis`);
  else rmSync(varDir, { recursive: true, force: true });
} catch (e) {
  progress(`failed: ${errorMessage(e)}; logs under ${join(varDir, "log")}`);
  await cluster?.stop().catch(() => {});
  process.exitCode = 1;
}
process.exit();
