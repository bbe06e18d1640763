import { DataPointType, type MetricData, MetricReader } from "@opentelemetry/sdk-metrics";
import t from "tap";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { ActorHost } from "../../supervisors/runtime/actor-host.ts";
import { counterKind } from "../../supervisors/runtime/testing/counter-kind.ts";
import { startTestServers } from "../../test/testing.ts";
import { encodeMessage } from "../nats/codec.ts";
import { createLogger } from "./log.ts";
import { startMetrics, stopMetrics } from "./metrics.ts";

/** Figures read on demand, as a scrape would. */
class ReadOnDemand extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

t.test("an actor's messages, dead letters and handling times are counted per kind and node", async (t) => {
  const f = await startTestServers(t);
  const reader = new ReadOnDemand();
  startMetrics(reader, "n-test");
  t.teardown(stopMetrics);
  const h = new ActorHost(counterKind("event-sourced"), "measured", { ...f, clock: systemClock, log: createLogger({ level: "error" }) });
  await h.incarnate();
  t.teardown(() => h.stop());
  for (const by of [1, 2, -1]) {
    const { data, headers } = encodeMessage({ type: "Increment", by });
    await f.nc.request(subjects.cmd("counter-es", "measured"), data, { headers, timeout: 5_000 });
  }

  const { resourceMetrics } = await reader.collect();
  const byName = new Map<string, MetricData>(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => [m.descriptor.name, m])));
  const at = { "am.kind": "counter-es", "am.node": "n-test" };
  const messages = byName.get("am.actor.messages");
  t.same(
    messages?.dataPoints.map((p) => [p.attributes, p.value]),
    [[at, 2]],
    "the two valid increments handled",
  );
  t.same(
    byName.get("am.actor.dead_letters")?.dataPoints.map((p) => [p.attributes, p.value]),
    [[at, 1]],
    "the invalid one dead-lettered",
  );
  const handling = byName.get("am.actor.handling");
  t.equal(handling?.dataPointType, DataPointType.HISTOGRAM);
  t.equal((handling?.dataPoints[0]?.value as { count: number } | undefined)?.count, 2, "a handling time per handled message");
});
