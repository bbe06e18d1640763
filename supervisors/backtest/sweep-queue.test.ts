import t from "tap";
import { connectNats } from "../../infra/nats/index.ts";
import { startTestServers } from "../../test/testing.ts";
import { runSweep } from "./optimiser.ts";
import { parseSweep } from "./sweep-config.ts";
import { declareSweepQueue, QueuedTrials, SweepWorker } from "./sweep-queue.ts";
import { barsRun } from "./testing.ts";

t.test(
  "a sweep over the JetStream work queue: a worker dies mid-trial, the other takes its trial, the report is the local sweep's",
  async (t) => {
    const { infra, nc } = await startTestServers(t, { declare: false });
    await declareSweepQueue(nc, { ackWaitMs: 2_000 });
    const { dir, config } = await barsRun(t, { instruments: 1, minutes: 120 });
    const sweep = parseSweep({
      run: "unused.json",
      parameters: { fastPeriod: { values: [3, 5] }, slowPeriod: { min: 10, max: 20, step: 5 } },
      search: { kind: "grid" },
      objective: "pnl",
      pboBlocks: 4,
    });
    const local = await runSweep(sweep, config, { baseDir: dir, workers: 1 });

    const ncA = await connectNats(infra.natsUrl, "sweep-worker-a");
    const ncB = await connectNats(infra.natsUrl, "sweep-worker-b");
    t.teardown(async () => {
      await ncA.close();
      await ncB.close();
    });
    const deliveries: { worker: string; id: number; delivery: number }[] = [];
    let aTook!: () => void;
    const aTookOne = new Promise<void>((resolve) => {
      aTook = resolve;
    });
    // worker a dies as soon as it holds a trial: nothing of it is acknowledged
    const a: SweepWorker = await SweepWorker.start(ncA, {
      slots: 1,
      name: "a",
      heartbeatMs: 200,
      onTrialStarted: (x) => {
        deliveries.push({ worker: "a", ...x });
        void a.abandon();
        aTook();
      },
    });
    const queued = runSweep(sweep, config, { baseDir: dir, trials: new QueuedTrials(nc, 2) });
    await aTookOne;
    const b = await SweepWorker.start(ncB, {
      slots: 2,
      name: "b",
      heartbeatMs: 200,
      onTrialStarted: (x) => deliveries.push({ worker: "b", ...x }),
    });
    t.teardown(() => b.stop());
    const report = await queued;
    const strip = (r: typeof local): unknown => ({ ...r, workers: 0, wallMs: 0 });
    t.same(strip(report), strip(local), "the same report as on this process's threads");
    const lost = deliveries.find((d) => d.worker === "a")!;
    t.ok(
      deliveries.some((d) => d.worker === "b" && d.id === lost.id && d.delivery === 2),
      `trial ${lost.id}, held by the dead worker, was delivered again to the other`,
    );
    t.equal(deliveries.filter((d) => d.worker === "b").length, 6, "the other worker ran all six trials");
  },
);
