import t from "tap";
import { type BarFactorValues, fromNumber } from "../../domain/index.ts";
import { icWeights, signalBlend } from "./signal-blend.ts";
import { drive } from "./testing.ts";

const params = { signals: ["model:gbt-return-5f", "factor:ret1", "factor:vol20"], icWindow: 10, entry: 1, exit: 0.2, maxPosition: 20 };
const factors = (ret1: number, vol20: number): BarFactorValues => ({ ret1, ret5: 0, vol20, range: 0.001, volumeRatio: 1 });

/** closes whose next returns alternate in size and sign, deterministic */
const closes = Array.from({ length: 40 }, (_, i) => 100 * (1 + 0.002 * Math.sin(i * 1.7) + 0.001 * Math.cos(i * 0.9)));
const nextReturn = (i: number) => closes[i + 1]! / closes[i]! - 1;

/**
 * The model forecasts each next return exactly, ret1 is its mirror image, vol20 only drifts: after the IC window,
 * the model counts positively, ret1 inverted, and vol20 little.
 */
function run(bars: number) {
  const d = drive(signalBlend, params, ["bar", "features"], 1, ["gbt-return-5f"]);
  const strategy = () =>
    d.actor.getSnapshot().context.session as unknown as {
      strategy: ReturnType<typeof signalBlend.create> & {
        weights(i: string): { ic: Record<string, number>; weight: Record<string, number> };
        blend(i: string): number;
      };
    };
  for (let i = 0; i < bars; i++) {
    d.bar(closes[i]!);
    d.factors(factors(-nextReturn(i), 0.001 + i * 1e-6));
    d.forecast(nextReturn(i));
  }
  return { d, strategy };
}

t.test("weights each signal by its recent IC: a good one counts, a mirror one counts inverted", async (t) => {
  const { d, strategy } = run(12);
  t.equal(d.state(), "running", "every signal has icWindow pairs");
  const w = strategy().strategy.weights("ES.XCME");
  t.ok(w.ic["model:gbt-return-5f"]! > 0.99, `model IC ${w.ic["model:gbt-return-5f"]}`);
  t.ok(w.ic["factor:ret1"]! < -0.99, `ret1 IC ${w.ic["factor:ret1"]}`);
  t.ok(Math.abs(w.weight["factor:vol20"]!) < 0.4, "the drifting factor weighs less than the others");
  const total = Math.abs(w.weight["model:gbt-return-5f"]!) + Math.abs(w.weight["factor:ret1"]!) + Math.abs(w.weight["factor:vol20"]!);
  t.ok(Math.abs(total - 1) < 1e-12, "the weights' magnitudes add up to one");
});

t.test("the blend of agreeing signals trades; a signal against its IC adds to the blend", async (t) => {
  const { d, strategy } = run(12);
  const before = d.orders().length;
  d.bar(closes[12]!);
  d.factors(factors(-0.01, 0.001 + 12e-6));
  t.equal(d.orders().length, before, "no decision until the bar has all its signals");
  d.forecast(0.01);
  const blend = strategy().strategy.blend("ES.XCME");
  t.ok(blend >= 1, `blend ${blend}`);
  t.match(d.orders().at(-1), { side: "BUY", quantity: fromNumber(20) });
});

t.test("a signal's pair joins its record only once the next bar has closed (point in time)", async (t) => {
  const { d, strategy } = run(11);
  d.bar(closes[11]!);
  const ic = strategy().strategy.weights("ES.XCME").ic;
  d.factors(factors(5, 5));
  d.forecast(5);
  t.same(strategy().strategy.weights("ES.XCME").ic, ic, "this bar's values have no return yet");
  d.bar(closes[12]!);
  t.not(strategy().strategy.weights("ES.XCME").ic["model:gbt-return-5f"], ic["model:gbt-return-5f"], "the next close realises it");
});

t.test("a signal for a bar older than the latest closed one is dropped", async (t) => {
  const { d, strategy } = run(12);
  const orders = d.orders().length;
  d.bar(closes[12]!);
  const ic = strategy().strategy.weights("ES.XCME").ic;
  d.actor.send({
    type: "ModelForecast",
    model: "gbt-return-5f",
    version: 1,
    instrument: "ES.XCME",
    barType: "1m",
    forecast: 1,
    tsEvent: 1,
    tsInit: 1,
    nowUs: d.actor.getSnapshot().context.session.lastNowUs,
  });
  d.bar(closes[13]!);
  t.equal(d.orders().length, orders);
  t.equal(
    strategy().strategy.weights("ES.XCME").ic["model:gbt-return-5f"],
    ic["model:gbt-return-5f"],
    "no pair for a bar with no complete set",
  );
});

t.test("wᵢ = ICᵢ / Σ|ICⱼ|, all zero without skill", async (t) => {
  t.same(icWeights({ a: 0.375, b: -0.125 }), { a: 0.75, b: -0.25 });
  t.same(icWeights({ a: 0, b: 0 }), { a: 0, b: 0 });
});

t.test("refuses a signal that is neither a model nor a factor of the set, naming it", async (t) => {
  const r = signalBlend.parameters.safeParse({ signals: ["factor:rsi"] });
  t.same(r.error?.issues[0]?.path, ["signals", 0]);
  t.match(r.error?.issues[0]?.message, /ret1, ret5, vol20, range, volumeRatio/);
  t.same(signalBlend.parameters.safeParse({ signals: ["model:a", "model:a"] }).error?.issues[0]?.path, ["signals"]);
});
