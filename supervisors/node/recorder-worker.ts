/** Entry of the recorder thread (recorder-thread.ts): its own NATS connection, the Recorder, a clean stop. */
import { parentPort, workerData } from "node:worker_threads";
import { connectNats } from "../../infra/nats/index.ts";
import { Recorder } from "../../infra/questdb/index.ts";
import { createLogger } from "../../infra/telemetry/index.ts";
import type { RecorderThreadOptions } from "./recorder-thread.ts";
import { errorMessage } from "../../actors/contract/index.ts";

const o = workerData as RecorderThreadOptions;
const log = createLogger({ level: o.logLevel, base: { node: o.node, component: "recorder" } });
const port = parentPort!;

try {
  const nc = await connectNats(o.natsUrl, `alphamind-recorder-${o.node}`);
  const recorder = new Recorder({ nc, questdbUrl: o.questdbUrl, log });
  await recorder.start();
  port.on("message", (m: { t: string }) => {
    if (m.t !== "stop") return;
    void (async () => {
      await recorder.stop().catch((e: Error) => log.warn("recorder stop failed", { error: e.message }));
      await nc.drain().catch(() => nc.close());
      process.exit(0);
    })();
  });
  port.postMessage({ t: "ready" });
} catch (e) {
  port.postMessage({ t: "failed", error: errorMessage(e) });
  process.exit(1);
}
