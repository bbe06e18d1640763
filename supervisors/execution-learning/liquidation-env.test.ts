import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import t from "tap";
import { defaultLiquidationSettings, LiquidationEpisode } from "./index.ts";

t.test("TWAP sells the whole parent in equal children and the same seed gives the same episode", async (t) => {
  const env = new LiquidationEpisode();
  const a = await env.run(11, () => env.twapAction());
  const b = await env.run(11, () => env.twapAction());
  t.same(a, b, "seeded: the same market and the same fills");
  t.equal(a.soldLots, defaultLiquidationSettings.parentLots, "the book takes the whole parent");
  t.equal(a.children, defaultLiquidationSettings.steps, "one child a decision");
  t.ok(a.feesPaid > 0, "the venue's taker fee is charged");
  env.reset(11);
  t.equal(
    env.twapChildLots(),
    defaultLiquidationSettings.parentLots / defaultLiquidationSettings.steps,
    "TWAP's child is the platform schedule's",
  );
  t.equal(env.twapAction(), 0.5, "action 0.5 is TWAP's child");
});

t.test("a child that walks the book costs more than TWAP's slices against the mids of their decisions", async (t) => {
  const env = new LiquidationEpisode({ ...defaultLiquidationSettings, riskAversion: 0 });
  let worse = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const twap = await env.run(seed, () => env.twapAction());
    const dump = await env.run(seed, () => 1);
    if (dump.objective < twap.objective) worse += 1;
  }
  t.equal(worse, 5, "selling twice TWAP's child walks deeper levels of the simulated exchange's book on every seed");
});

t.test("bad actions and steps past the end are refused and change nothing", async (t) => {
  const env = new LiquidationEpisode();
  t.throws(() => env.step(0.5), /no episode yet/);
  const first = env.reset(3);
  t.throws(() => env.step(Number.NaN), /action: NaN/);
  t.same(env.step(0.5).observation[0], 0.9, "the refused step did not count");
  t.not(first, undefined);
  while (!env.done) env.step(0.5);
  t.throws(() => env.step(0.5), /episode is over/);
  t.throws(() => new LiquidationEpisode({ ...defaultLiquidationSettings, steps: 0 }), /liquidation\.steps/);
  t.throws(() => env.reset(-1), /seed: -1/);
});

t.test("the environment server answers a learner line by line", async (t) => {
  const child = spawn(process.execPath, ["--import", "tsx", new URL("./env-server.ts", import.meta.url).pathname, '{"steps":4}'], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  t.teardown(() => child.kill());
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (req: unknown) => {
    child.stdin.write(`${JSON.stringify(req)}\n`);
    return JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  };
  const info = await ask({ op: "settings" });
  t.equal((info.settings as { steps: number }).steps, 4, "settings over the defaults");
  t.equal(info.observationWidth, 5);
  t.equal(((await ask({ op: "reset", seed: 2 })).observation as number[]).length, 5);
  t.match(await ask({ op: "step" }), { error: /step\.action/ }, "a malformed request answers an error");
  let done = false;
  while (!done) done = (await ask({ op: "step", action: 0.5 })).done as boolean;
  t.match(await ask({ op: "outcome" }), { seed: 2, soldLots: defaultLiquidationSettings.parentLots });
  child.stdin.end();
});
