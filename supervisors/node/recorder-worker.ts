/** Entry of the recorder thread (recorder-thread.ts): its own NATS connection, the Recorder, a clean stop. */
import { parentPort, workerData } from "node:worker_threads";
import { connectNats } from "../../infra/nats/index.ts";
import { Recorder, type RecorderStats } from "../../infra/questdb/index.ts";
import {
  collectThreadFigures,
  createLogger,
  observeGauge,
  startThreadTelemetry,
  stopThreadTelemetry,
} from "../../infra/telemetry/index.ts";
import type { RecorderThreadOptions } from "./recorder-thread.ts";
import { errorMessage } from "../../actors/contract/index.ts";

const o = workerData as RecorderThreadOptions;
const log = createLogger({ level: o.logLevel, base: { node: o.node, component: "recorder" } });
const port = parentPort!;

startThreadTelemetry(o.telemetry, o.node, "recorder");
try {
  const nc = await connectNats(o.natsUrl, `alphamind-recorder-${o.node}`, { role: "recorder" });
  const recorder = new Recorder({ nc, questdbUrl: o.questdbUrl, archiveClosedOrdersAfterMs: o.archiveClosedOrdersAfterMs, log });
  await recorder.start();
  // Lag is read from the server at scrape time only (a consumer lookup per lane, shared by both gauges of one
  // scrape), nothing per message.
  let reading: { at: number; stats: Promise<RecorderStats> } | undefined;
  const lanes = async () => {
    if (!reading || Date.now() - reading.at > 1_000) reading = { at: Date.now(), stats: recorder.stats() };
    return Object.entries(await reading.stats);
  };
  observeGauge("am.recorder.lag", "Messages of a lane's stream not yet written to QuestDB (pending and unacknowledged)", async () =>
    (await lanes()).map(([lane, l]) => [l.numPending + l.numAckPending, { "am.lane": lane }]),
  );
  observeGauge(
    "am.recorder.oldest_unwritten_age",
    "Age of the oldest message of a lane not yet written to QuestDB",
    async () => (await lanes()).map(([lane, l]) => [l.oldestUnackedAgeMs, { "am.lane": lane }]),
    "ms",
  );
  port.on("message", (m: { t: string; rid?: number }) => {
    if (m.t === "metrics") {
      void collectThreadFigures().then(
        (figures) => port.postMessage({ t: "metrics", rid: m.rid, figures }),
        (e: unknown) => log.warn("recorder figures unavailable", { error: errorMessage(e) }),
      );
      return;
    }
    if (m.t !== "stop") return;
    void (async () => {
      await recorder.stop().catch((e: Error) => log.warn("recorder stop failed", { error: e.message }));
      await nc.drain().catch(() => nc.close());
      await stopThreadTelemetry();
      process.exit(0);
    })();
  });
  port.postMessage({ t: "ready" });
} catch (e) {
  port.postMessage({ t: "failed", error: errorMessage(e) });
  process.exit(1);
}
