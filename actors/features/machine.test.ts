import t from "tap";
import { createActor, type SnapshotFrom } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { BAR_FACTORS, type Bar, type BarFactors, barFactorSeries, toNumber } from "../domain/index.ts";
import { featuresMachine } from "./machine.ts";
import { factorFixture, fixtureBars } from "./testing.ts";

const INSTRUMENT = "BRK.B.XNYS";
const bars = fixtureBars(INSTRUMENT);

function start(snapshot?: SnapshotFrom<typeof featuresMachine>, models: string[] = []) {
  const actor = createActor(featuresMachine, {
    input: { instrument: INSTRUMENT, barType: "1m", models },
    ...(snapshot ? { snapshot } : {}),
  });
  const published: { subject: string; message: BarFactors }[] = [];
  actor.on("*", (e: Emitted) => {
    if (e.type === "publish" && e.message.type === "BarFactors")
      published.push({ subject: e.subject, message: e.message as unknown as BarFactors });
  });
  actor.start();
  const predicts: { subject: string; message: Record<string, unknown> }[] = [];
  actor.on("*", (e: Emitted) => {
    if (e.type === "publish" && e.message.type === "Predict") predicts.push({ subject: e.subject, message: e.message });
  });
  const send = (b: Bar) => actor.send({ type: "Bar", ...b, nowUs: b.tsEvent + 7 });
  return { actor, published, predicts, send };
}

const offline = barFactorSeries(
  bars.map((b) => ({ high: toNumber(b.high), low: toNumber(b.low), close: toNumber(b.close), volume: toNumber(b.volume) })),
);

t.test("the actor's factors, bar by bar, are the offline series' to the last bit, and train.py's", async (t) => {
  const a = start();
  for (const b of bars) a.send(b);
  const expected = offline.flatMap((f, i) => (f ? [{ f, bar: bars[i]! }] : []));
  t.equal(a.published.length, bars.length - 20, "one row per bar from the 21st on");
  t.equal(a.published[0]?.subject, "am.md.features.XNYS.BRK~2EB");
  let mismatches = 0;
  for (const [i, { message }] of a.published.entries()) {
    const { f, bar } = expected[i]!;
    t.equal(message.tsOpen, bar.tsOpen);
    t.equal(message.tsEvent, bar.tsEvent, "stamped at the bar's close: it exists from then on");
    const fromPython = factorFixture.expected[(message.tsOpen - factorFixture.fromUs) / factorFixture.barUs]!;
    for (const [k, name] of BAR_FACTORS.features.entries()) {
      if (!Object.is(message.factors[name], f[name]) || !Object.is(message.factors[name], fromPython[k])) mismatches++;
    }
  }
  t.equal(mismatches, 0, "no factor differs in any bit");
  t.match(a.actor.getSnapshot().context, { bars: bars.length, published: bars.length - 20 });
});

t.test("a restored actor goes on from its window as if it had never stopped", async (t) => {
  const a = start();
  for (const b of bars.slice(0, 50)) a.send(b);
  const snapshot = JSON.parse(JSON.stringify(a.actor.getPersistedSnapshot()));
  a.actor.stop();
  const b = start(snapshot);
  for (const bar of bars.slice(50)) b.send(bar);
  const whole = start();
  for (const bar of bars) whole.send(bar);
  t.same([...a.published, ...b.published], whole.published);
});

t.test("a redelivered or late bar, another bar type or instrument changes nothing", async (t) => {
  const a = start();
  for (const b of bars.slice(0, 30)) a.send(b);
  const before = a.actor.getSnapshot().context;
  a.send(bars[29]!);
  a.send(bars[10]!);
  a.send({ ...bars[30]!, barType: "1s" });
  a.send({ ...bars[30]!, instrument: "AAPL.XNAS" });
  t.equal(a.actor.getSnapshot().context, before, "the same context object: nothing assigned");
  t.equal(a.published.length, 10);
});

t.test("each bar's factors go to the models that take them, answered on the instrument's signal subject", async (t) => {
  const a = start(undefined, ["gbt-return-5f", "other"]);
  for (const b of bars.slice(0, 22)) a.send(b);
  t.equal(a.predicts.length, 4, "two bars with factors, two models each");
  const first = a.predicts[0]!;
  t.equal(first.subject, "am.cmd.model.gbt-return-5f");
  t.match(first.message, {
    replyTo: "am.signal.gbt-return-5f.XNYS.BRK~2EB",
    features: a.published[0]!.message.factors,
    forecastFor: { instrument: INSTRUMENT, barType: "1m", tsEvent: bars[20]!.tsEvent },
  });
  t.equal(a.predicts[1]!.subject, "am.cmd.model.other");
  t.not(a.predicts[0]!.message.requestId, a.predicts[2]!.message.requestId, "one request id per bar");
});
