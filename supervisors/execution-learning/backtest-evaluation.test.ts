import t from "tap";
import { Backtest, parseRunConfig, runBacktest } from "../backtest/index.ts";
import { evaluateInBacktest, evaluationRun, HELD_OUT_SEED_BASE } from "./index.ts";

/** The committed policy working a parent as the `RL` algorithm in the backtester, beside TWAP on the same market. */

const POLICY = "exec-ddpg-liquidation";

t.test("a backtest with a learned parent completes it through its model actor, the same journal run after run", async (t) => {
  const config = parseRunConfig(evaluationRun(HELD_OUT_SEED_BASE, "RL", POLICY));
  const bt = new Backtest(config);
  const one = await bt.run();
  t.equal(one.deadLetters, 0, "nothing was dead-lettered");
  t.equal(one.actors.model, 1, "the policy is served by one model actor");
  const model = bt.actor(`model/${POLICY}`)!.context as { served: number; failures: number };
  t.equal(model.failures, 0);
  t.ok(model.served >= 1 && model.served <= 9, `the policy decided the slices before the last (${model.served} answers)`);
  const parent = one.algos?.[0];
  t.match(parent, { algo: "RL", status: "completed", filled: 2_000 * 1e8 }, `${parent?.children} children`);
  t.ok(parent?.tca && Number.isFinite(parent.tca.arrivalBps), `TCA in the report (${JSON.stringify(parent?.tca)})`);
  const two = await runBacktest(config);
  t.ok(one.journal.events > 0);
  t.equal(two.journal.sha256, one.journal.sha256, "the same journal hash");
  t.equal(two.fees, one.fees);
});

t.test("a learned parent whose policy is not committed is refused naming the field", async (t) => {
  const bad = evaluationRun(HELD_OUT_SEED_BASE, "RL", "no-such-policy");
  t.throws(
    () => new Backtest(parseRunConfig(bad)),
    /algos\.parent\.params\.model: no-such-policy is not a committed policy \(models\/rl: exec-ddpg-liquidation\)/,
  );
  const wrong = evaluationRun(HELD_OUT_SEED_BASE, "RL", POLICY);
  (wrong.algos![0]!.params as { tickSize: number }).tickSize = -1;
  t.throws(() => parseRunConfig(wrong), /algos\.0\.params\.tickSize/);
});

t.test("the evaluation asks for enough seeds and a committed policy, naming the field", async (t) => {
  await t.rejects(evaluateInBacktest({ seeds: 5 }), /seeds: 5 must be an integer of at least 30/);
  await t.rejects(evaluateInBacktest({ seeds: 30, model: "nope" }), /model: nope is not a committed policy/);
});
