import { pathToFileURL } from "node:url";
import t from "tap";
import { loadConfig } from "../../infra/config/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { startTestServers, type Teardown } from "../../test/testing.ts";
import { Cell } from "./cell.ts";

async function startCell(t: Teardown) {
  const s = await startTestServers(t);
  const cell = new Cell({
    cell: 0,
    node: "n1",
    natsUrl: s.infra.natsUrl,
    kindsModule: pathToFileURL(`${repoRoot}supervisors/runtime/testing/test-kinds.ts`).href,
    config: loadConfig(),
    hangBudgetMs: 5_000,
    logLevel: "error",
    onLifecycle: () => {},
  });
  await cell.start();
  t.teardown(() => cell.stop());
  return cell;
}

t.test("a request that timed out tells its asker whether the cell did it after all", async (t) => {
  const cell = await startCell(t);
  // a spawn restores the actor's snapshot from KV before the cell answers: far longer than no time at all
  let late: boolean | undefined;
  await t.rejects(
    cell.request({ op: "spawn", kind: "counter-snapshot", id: "slow" }, 0, (ok) => {
      late = ok;
    }),
    /cell 0 did not answer spawn within 0 ms/,
  );
  const deadline = Date.now() + 10_000;
  while (late === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(late, true, "the cell started the actor after the asker had given up");
  t.ok(await cell.request({ op: "describe", kind: "counter-snapshot", id: "slow" }), "and it runs there");

  let heard = false;
  await cell.request({ op: "describe", kind: "counter-snapshot", id: "slow" }, 10_000, () => {
    heard = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(heard, "an answer in time is not also told late");
});
