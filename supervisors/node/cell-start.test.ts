import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { eventually, startTestServers } from "../../test/testing.ts";
import { command, startTestNode } from "./testing.ts";

t.test("a cell whose start-up timed out is started again, and its actors run", async (t) => {
  const f = await startTestServers(t);
  const marker = join(t.testdir(), "timed-out-once");
  process.env.FLAKY_START_MARKER = marker;
  t.teardown(() => {
    delete process.env.FLAKY_START_MARKER;
  });
  const node = await startTestNode(t, f, { node: "c1", kinds: "supervisors/node/flaky-start-test-kinds.ts" });
  t.ok(existsSync(marker), "the first start of the cell timed out");
  await node.ensure({ kind: "counter-none", id: "after-retry" });
  const answer = await eventually("the actor answers", async () =>
    (await command(f.nc, "counter-none", "after-retry", { type: "Increment", by: 2 }, 500).catch(() => undefined))?.ok ? true : undefined,
  );
  t.ok(answer, "an actor placed on the node runs in the cell started again");
});
