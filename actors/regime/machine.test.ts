import t from "tap";
import { createActor } from "xstate";
import type { DomainEvent, Emitted } from "../contract/index.ts";
import type { Bar } from "../domain/index.ts";
import { regimeSettings } from "./kind.ts";
import { regimeMachine } from "./machine.ts";
import { regimeBars } from "./testing.ts";

function start(over: Parameters<typeof regimeSettings>[0] = {}) {
  const actor = createActor(regimeMachine, { input: { instrument: "SIM001.SIMX", settings: regimeSettings(over) } });
  const estimates: DomainEvent[] = [];
  actor.on("*", (e: Emitted) => {
    if (e.type === "domain") estimates.push(e.event);
  });
  actor.start();
  const send = (b: Bar): void => actor.send({ type: "Bar", ...b, nowUs: b.tsEvent + 5 });
  return { actor, estimates, send };
}

t.test("after its warm-up the actor publishes one estimate per bar and finds the change within a few bars", async (t) => {
  const m = start({ warmupBars: 30 });
  // 1-minute returns: calm (0.05%), then a selloff regime with drift −0.2% and volatility 0.3%
  const { bars, changes } = regimeBars("SIM001.SIMX", 4, [
    [250, 0, 0.0005],
    [80, -0.002, 0.003],
  ]);
  for (const b of bars) m.send(b);
  // the first bar sets the close, 30 returns warm up, the detector observes each bar after
  t.equal(m.estimates.length, bars.length - 31);
  t.equal(m.actor.getSnapshot().value, "tracking");
  const first = m.estimates[0]!;
  t.match(first, {
    type: "RegimeEstimated",
    instrument: "SIM001.SIMX",
    barType: "1m",
    window: 5,
    observations: 1,
    tsEvent: bars[31]!.tsEvent,
  });
  t.equal(first.tsInit, bars[31]!.tsEvent + 5, "tsInit is the actor's clock");
  const at = (i: number) => m.estimates[i - 31]! as unknown as { runLength: number; changeProbability: number; regimeVolatility: number };
  const change = changes[0]!;
  t.ok(at(change - 1).changeProbability < 0.2, `no alarm before the change (${at(change - 1).changeProbability})`);
  t.ok(Math.abs(at(change - 1).regimeVolatility - 0.0005) < 0.0002, `calm volatility ${at(change - 1).regimeVolatility}`);
  const found = Array.from({ length: 10 }, (_, k) => change + k).find((i) => at(i).changeProbability > 0.5);
  t.ok(found !== undefined && found - change <= 5, `change at bar ${change} signalled at bar ${found}`);
  const last = at(bars.length - 1);
  t.ok(Math.abs(last.runLength - (bars.length - change)) <= 3, `run length ${last.runLength} counts the bars since the change`);
  t.ok(Math.abs(last.regimeVolatility - 0.003) < 0.001, `the new regime's volatility ${last.regimeVolatility}`);
});

t.test("bars of another type and bars not after the last one change nothing", async (t) => {
  const m = start({ warmupBars: 5 });
  const { bars } = regimeBars("SIM001.SIMX", 9, [[20, 0, 0.001]]);
  const { bars: seconds } = regimeBars("SIM001.SIMX", 10, [[20, 0, 0.01]], { barType: "1s", barUs: 1_000_000 });
  for (const b of bars.slice(0, 10)) m.send(b);
  const before = m.actor.getSnapshot().context;
  for (const b of seconds) m.send(b);
  m.send(bars[9]!);
  m.send(bars[3]!);
  t.same(m.actor.getSnapshot().context, before);
  t.equal(m.estimates.length, 10 - 6);
});

t.test("a warm-up with no price change keeps warming until the returns have a spread", async (t) => {
  const m = start({ warmupBars: 5 });
  const { bars } = regimeBars("SIM001.SIMX", 3, [
    [12, 0, 0],
    [10, 0, 0.001],
  ]);
  for (const b of bars) m.send(b);
  t.equal(m.actor.getSnapshot().value, "tracking");
  t.ok(m.estimates.length > 0 && m.estimates.length < 10, `${m.estimates.length} estimates once prices moved`);
});

t.test("settings out of range are refused naming the field", async (t) => {
  t.throws(() => regimeSettings({ warmupBars: 1 }), /warmupBars must be an integer ≥ 2/);
  t.throws(() => regimeSettings({ barType: "minute" }), /barType "minute"/);
  t.throws(() => regimeSettings({ hazard: 2 }), /hazard must be in \(0, 1\)/);
  t.throws(() => regimeSettings({ prior: { mu: 0, kappa: 1, alpha: -1, beta: 1 } }), /prior.alpha must be positive/);
});
