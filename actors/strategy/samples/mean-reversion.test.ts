import t from "tap";
import { fromNumber } from "../../domain/index.ts";
import { meanReversion, zScore } from "./mean-reversion.ts";
import { drive } from "./testing.ts";

const params = { lookback: 20, entryZ: 2, exitZ: 0.5, maxPosition: 50 };
/** a calm series around 100: ±0.1 alternating */
const calm = (i: number) => 100 + (i % 2 === 0 ? 0.1 : -0.1);

t.test("z-score is the distance from the mean in standard deviations", async (t) => {
  t.equal(zScore(98, 100, 1), -2);
  t.ok(Number.isNaN(zScore(100, 100, 0)));
});

t.test("stays flat while the price stays near its mean", async (t) => {
  const d = drive(meanReversion, params, ["bar"]);
  for (let i = 0; i < 40; i++) d.bar(calm(i));
  t.equal(d.state(), "running");
  t.equal(d.orders().length, 0);
});

t.test("buys when the price falls below −k σ and exits near the mean", async (t) => {
  const d = drive(meanReversion, params, ["bar"]);
  for (let i = 0; i < 30; i++) d.bar(calm(i));
  d.bar(99);
  t.equal(d.orders().length, 1, "one order on the drop");
  t.match(d.orders()[0], { side: "BUY", quantity: fromNumber(50), orderType: "MARKET" });
  d.fillAll(99);
  t.equal(d.position(), fromNumber(50));
  d.bar(99.2);
  t.equal(d.orders().length, 1, "holds between the exit and entry bands");
  for (let i = 0; i < 30 && d.position() !== 0; i++) {
    d.bar(calm(i));
    d.fillAll(100);
  }
  t.equal(d.position(), 0, "flat again near the mean");
  t.match(d.orders().at(-1), { side: "SELL", quantity: fromNumber(50) });
});

t.test("sells short above +k σ", async (t) => {
  const d = drive(meanReversion, params, ["bar"]);
  for (let i = 0; i < 30; i++) d.bar(calm(i));
  d.bar(101);
  t.match(d.orders()[0], { side: "SELL", quantity: fromNumber(50) });
});

t.test("can trade the quote mid instead of bars", async (t) => {
  const d = drive(meanReversion, { ...params, source: "mid" }, ["quote"]);
  for (let i = 0; i < 30; i++) d.quote(calm(i) - 0.01, calm(i) + 0.01);
  d.quote(98.99, 99.01);
  t.match(d.orders()[0], { side: "BUY" });
});

t.test("rejects an exit band not inside the entry band, naming the field", async (t) => {
  const r = meanReversion.parameters.safeParse({ entryZ: 1, exitZ: 1 });
  t.same(r.error?.issues[0]?.path, ["exitZ"]);
});
