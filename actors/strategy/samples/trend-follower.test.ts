import t from "tap";
import { fromNumber } from "../../domain/index.ts";
import { trendFollower } from "./trend-follower.ts";
import { drive } from "./testing.ts";

const params = { fastPeriod: 5, slowPeriod: 20, atrPeriod: 10, riskPerTrade: 100, atrMultiple: 2, maxPosition: 1000 };

function trend(slope: number, range: number, bars = 40) {
  const d = drive(trendFollower, params, ["bar"]);
  for (let i = 0; i < bars; i++) {
    d.bar(100 + slope * i + (i % 2 === 0 ? range / 4 : -range / 4), range);
    d.fillAll();
  }
  return d;
}

t.test("warms up until the slow average and ATR are primed", async (t) => {
  const d = drive(trendFollower, params, ["bar"]);
  for (let i = 0; i < 10; i++) d.bar(100 + i);
  t.equal(d.state(), "warmingUp");
  t.equal(d.orders().length, 0);
  for (let i = 10; i < 25; i++) d.bar(100 + i);
  t.equal(d.state(), "running");
});

t.test("goes long in an uptrend", async (t) => {
  const d = trend(0.5, 1);
  t.ok(d.position() > 0, `position ${d.position()}`);
  t.equal(d.orders()[0]!.side, "BUY");
});

t.test("goes short in a downtrend", async (t) => {
  const d = trend(-0.5, 1);
  t.ok(d.position() < 0, `position ${d.position()}`);
  t.equal(d.orders()[0]!.side, "SELL");
});

t.test("sizes smaller when volatility doubles", async (t) => {
  const calm = trend(0.5, 1).position();
  const wild = trend(0.5, 2).position();
  t.ok(wild > 0 && wild < calm, `calm ${calm}, wild ${wild}`);
  t.ok(Math.abs(wild / calm - 0.5) < 0.1, `about half: ${wild / calm}`);
});

t.test("its orders are whole lots", async (t) => {
  const d = trend(0.5, 1);
  for (const o of d.orders()) t.equal(o.quantity % fromNumber(1), 0);
});

t.test("rejects a fast period not below the slow one, naming the field", async (t) => {
  const r = trendFollower.parameters.safeParse({ fastPeriod: 30, slowPeriod: 20 });
  t.equal(r.success, false);
  t.same(r.error?.issues[0]?.path, ["fastPeriod"]);
});
