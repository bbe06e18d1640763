import { jetstreamManager } from "@nats-io/jetstream";
import t from "tap";
import { loadConfig } from "../../infra/config/load.ts";
import { buckets } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { startTestServers } from "../../test/testing.ts";
import { createKinds } from "./kinds.ts";
import { readModelFile } from "../../actors/model/index.ts";
import { ModelRegistry, registryBuckets } from "../../infra/models/index.ts";

t.setTimeout(120_000);
const quiet = createLogger({ level: "error" });

t.test("the platform's kinds open their watches at start and delete them at close", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  const count = async () => {
    let n = 0;
    for (const b of [buckets.config, buckets.instruments]) n += (await jsm.streams.info(`KV_${b}`)).state.consumer_count;
    return n;
  };
  const config = loadConfig({ AM_NODE_ID: "kinds-test", AM_DEMO_INSTRUMENTS: "0" });
  for (let start = 0; start < 3; start++) {
    const kinds = await createKinds({ nc, config, log: quiet });
    t.equal(await count(), 2, `start ${start + 1}: one watch on each bucket`);
    await kinds.close();
    t.equal(await count(), 0, `start ${start + 1}: none left after close`);
  }
});

t.test("with a model registry, the kinds follow it with one watch, deleted at close", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  const registry = await ModelRegistry.open(nc);
  const gbt = readModelFile("gbt-return-5f");
  await registry.register(gbt.card, gbt.bytes, "alice");
  await registry.promote(gbt.card.name, gbt.card.version);
  const count = async () => (await jsm.streams.info(`KV_${registryBuckets.cards}`)).state.consumer_count;
  const config = loadConfig({ AM_NODE_ID: "kinds-test", AM_DEMO_INSTRUMENTS: "0" });
  const kinds = await createKinds({ nc, config, log: quiet });
  t.equal(await count(), 1, "one watch of the model cards");
  await kinds.close();
  t.equal(await count(), 0, "none left after close");
});
