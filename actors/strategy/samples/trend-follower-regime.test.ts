import t from "tap";
import { createActor } from "xstate";
import { toNumber } from "../../domain/index.ts";
import { type RegimeEstimated, regimeMachine, regimeSettings } from "../../regime/index.ts";
import { regimeBars } from "../../regime/testing.ts";
import { regimeScale, trendFollower } from "./trend-follower.ts";
import { drive, INSTRUMENT } from "./testing.ts";

const params = { fastPeriod: 5, slowPeriod: 20, atrPeriod: 10, riskPerTrade: 100, atrMultiple: 2, maxPosition: 1000, regimeFloor: 0.2 };

t.test("the regime scale is 1 − changeProbability, floored", async (t) => {
  t.equal(regimeScale(0, 0.2), 1);
  t.equal(regimeScale(0.5, 0.2), 0.5);
  t.equal(regimeScale(0.95, 0.2), 0.2);
});

t.test("a change point in the series shrinks the trend follower's target while the one without regimes holds", async (t) => {
  // a steady uptrend, then a jump in volatility with the drift gone: the detector sees the change within a few bars
  const { bars, changes } = regimeBars(INSTRUMENT, 3, [
    [120, 0.002, 0.001],
    [12, 0.0, 0.006],
  ]);
  const change = changes[0]!;
  const plain = drive(trendFollower, params, ["bar"]);
  const heard = drive(trendFollower, params, ["bar"], 1, [], [INSTRUMENT], true);
  const regime = createActor(regimeMachine, { input: { instrument: INSTRUMENT, settings: regimeSettings({ warmupBars: 20 }) } });
  const estimates: RegimeEstimated[] = [];
  regime.on("*", (e) => {
    if (e.type === "domain") estimates.push(e.event as unknown as RegimeEstimated);
  });
  regime.start();
  const positions: { bar: number; plain: number; heard: number; p: number }[] = [];
  for (const [k, b] of bars.entries()) {
    const seen = estimates.length;
    plain.send({ type: "Bar", ...b }, 60_000_000);
    heard.send({ type: "Bar", ...b }, 60_000_000);
    plain.fillAll(toNumber(b.close));
    heard.fillAll(toNumber(b.close));
    regime.send({ type: "Bar", ...b, nowUs: b.tsEvent });
    for (const e of estimates.slice(seen)) {
      heard.send({ type: "RegimeEstimated", ...e });
      heard.fillAll(toNumber(b.close));
    }
    positions.push({
      bar: k,
      plain: toNumber(plain.position()),
      heard: toNumber(heard.position()),
      p: estimates.at(-1)?.changeProbability ?? 0,
    });
  }
  const before = positions[change - 1]!;
  t.ok(before.plain > 0 && before.heard >= before.plain * 0.9, `long and about as large before the change: ${JSON.stringify(before)}`);
  const signalled = positions.slice(change, change + 6).find((x) => x.p > 0.5);
  t.ok(
    signalled,
    `the change is signalled within 5 bars: ${positions
      .slice(change, change + 6)
      .map((x) => x.p.toFixed(2))
      .join(" ")}`,
  );
  t.ok(
    signalled!.heard <= Math.ceil(signalled!.plain * regimeScale(signalled!.p, params.regimeFloor)) && signalled!.heard < signalled!.plain,
    `the strategy hearing regimes holds ≤ max(floor, 1 − p) of the other's position: ${JSON.stringify(signalled)}`,
  );
  const sells = heard.orders().filter((o) => o.side === "SELL");
  t.ok(sells.length > 0, "it sold to shrink its target");
});
