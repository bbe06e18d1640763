import t from "tap";
import { fromNumber } from "../../domain/index.ts";
import { confidence, modelForecast } from "./model-forecast.ts";
import { drive } from "./testing.ts";

const params = { lookback: 10, entryConfidence: 1.5, exitConfidence: 0.25, maxPosition: 50 };
const calm = (i: number) => (i % 2 ? 0.001 : -0.001);

function primed() {
  const d = drive(modelForecast, params, ["bar"], 1, ["gbt-return-5f"]);
  for (let i = 0; i < 10; i++) {
    d.bar(100);
    d.forecast(calm(i));
  }
  return d;
}

t.test("trades nothing until it has lookback forecasts, then nothing on an unconfident one", async (t) => {
  const d = drive(modelForecast, params, ["bar"], 1, ["gbt-return-5f"]);
  for (let i = 0; i < 9; i++) d.forecast(calm(i));
  t.equal(d.state(), "warmingUp");
  d.forecast(calm(9));
  t.equal(d.state(), "running");
  t.same(d.orders(), [], "a forecast of its usual size holds the flat position");
});

t.test("goes long on a confident positive forecast, short on a confident negative one, flat on a weak one", async (t) => {
  const d = primed();
  d.forecast(0.004);
  t.match(d.orders(), [{ side: "BUY", quantity: fromNumber(50) }]);
  d.settle();
  d.fillAll(100);
  t.equal(d.position(), fromNumber(50));
  d.forecast(-0.006);
  t.match(d.orders()[1], { side: "SELL", quantity: fromNumber(100) }, "from +50 to −50");
  d.settle();
  d.fillAll(100);
  d.forecast(0.0001);
  t.match(d.orders()[2], { side: "BUY", quantity: fromNumber(50) }, "a forecast near zero goes flat");
});

t.test("hears only the model it is set to trade", async (t) => {
  const d = primed();
  d.forecast(0.05, "seq-return-16");
  t.same(d.orders(), []);
});

t.test("confidence is the forecast in units of the recent forecasts' spread, undefined while they do not vary", async (t) => {
  t.equal(confidence(0.002, [0.001, -0.001, 0.001, -0.001]), 2);
  t.ok(Number.isNaN(confidence(0.001, [0.001, 0.001])));
});

t.test("refuses an exit threshold not below the entry, naming the field", async (t) => {
  const r = modelForecast.parameters.safeParse({ entryConfidence: 1, exitConfidence: 1 });
  t.same(r.error?.issues[0]?.path, ["exitConfidence"]);
});
