import ort from "onnxruntime-node";
import t from "tap";
import { readModelFile } from "../../actors/model/index.ts";
import { estimate, evaluatePolicy, HELD_OUT_SEED_BASE, OBSERVATION_WIDTH } from "./index.ts";

const dir = new URL("../../models/rl/", import.meta.url).pathname;

t.test("the committed DDPG policy matches its card and takes the environment's observation", async (t) => {
  const { card, bytes } = readModelFile("exec-ddpg-liquidation", dir);
  t.equal(card.inputs[0]!.shape[1], OBSERVATION_WIDTH);
  t.ok(bytes.length < 64 * 1024, `kilobytes (${bytes.length} bytes)`);
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    state: new ort.Tensor("float32", new Float32Array(2 * OBSERVATION_WIDTH).fill(0.5), [2, OBSERVATION_WIDTH]),
  });
  const actions = [...(out.action!.data as Float32Array)];
  t.equal(actions.length, 2);
  t.ok(
    actions.every((a) => a >= 0 && a <= 1),
    "actions in [0, 1]",
  );
  await session.release();
  t.ok(card.validation.heldOutSeeds! >= 300, "the card carries its held-out evaluation");
});

t.test("on held-out seeds the policy beats TWAP on the objective it learned (paired, 95 % CI above zero)", async (t) => {
  const { bytes } = readModelFile("exec-ddpg-liquidation", dir);
  const r = await evaluatePolicy(bytes, { seeds: 30 });
  t.same(r.seeds, [HELD_OUT_SEED_BASE, HELD_OUT_SEED_BASE + 29]);
  t.ok(r.difference.objective.ci95[0] > 0, `objective gain ${r.difference.objective.mean} CI ${r.difference.objective.ci95}`);
  t.ok(
    r.policy.shortfallBps.stdev < r.twap.shortfallBps.stdev,
    `less shortfall risk: sd ${r.policy.shortfallBps.stdev} vs TWAP ${r.twap.shortfallBps.stdev}`,
  );
  await t.rejects(evaluatePolicy(bytes, { seeds: 5 }), /seeds: 5 must be an integer of at least 30/);
});

t.test("estimate gives the mean and its normal 95 % interval", async (t) => {
  const e = estimate([1, 2, 3, 4, 5]);
  t.equal(e.mean, 3);
  t.ok(Math.abs(e.stdev - Math.sqrt(2.5)) < 1e-12);
  t.ok(Math.abs(e.ci95[1] - e.mean - (1.959964 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-9);
  t.throws(() => estimate([1]), /at least 2 samples/);
});
