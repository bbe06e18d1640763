import fc from "fast-check";
import t from "tap";
import { createActor } from "xstate";
import { MarketSimulator, type SimulatedEvent } from "../feed/simulator/index.ts";
import { demoUniverse, instrumentMachine, type TradingHours, US_PER_DAY, US_PER_MINUTE } from "./index.ts";

const defs = demoUniverse(2);
const startUs = 1_700_000_000_000_000;

function events(id: string, n: number): SimulatedEvent[] {
  const sim = new MarketSimulator({ seed: 3, startUs, instruments: defs, eventsPerSecond: 200 });
  const out: SimulatedEvent[] = [];
  while (out.length < n) {
    const e = sim.next();
    if (e.instrument === id) out.push(e);
  }
  return out;
}

function start(def = defs[0]!) {
  const actor = createActor(instrumentMachine, { input: { definition: def, feedSource: "sim", barTypes: ["1s", "10t"] } });
  const emitted: unknown[] = [];
  actor.on("*", (e) => emitted.push(e));
  actor.start();
  return { actor, emitted };
}

t.test("a RawBatch gives the same output as its items delivered one by one", async (t) => {
  const evs = events(defs[0]!.id, 2_000);
  const one = start();
  const many = start();
  for (let i = 0; i < evs.length; i += 50) {
    const batch = evs.slice(i, i + 50);
    const nowUs = batch[batch.length - 1]!.tsEvent;
    for (const e of batch) one.actor.send({ ...e, nowUs });
    many.actor.send({ type: "RawBatch", items: batch, nowUs });
  }
  one.actor.send({ type: "Tick", nowUs: startUs + 3_600_000_000 });
  many.actor.send({ type: "Tick", nowUs: startUs + 3_600_000_000 });
  t.same(many.emitted, one.emitted);
  t.equal(one.actor.getSnapshot().value, "open");
  t.same(one.actor.getSnapshot().context.handler.toJSON(), many.actor.getSnapshot().context.handler.toJSON());
});

t.test("a batch closes time bars by event time, whatever its delivery time", async (t) => {
  const evs = events(defs[0]!.id, 3_000);
  const { actor, emitted } = start();
  for (let i = 0; i < evs.length; i += 500) {
    const batch = evs.slice(i, i + 500);
    actor.send({ type: "RawBatch", items: batch, nowUs: batch[batch.length - 1]!.tsEvent });
  }
  t.ok(emitted.length > 0);
  t.equal(actor.getSnapshot().context.handler.counters.lateTrades, 0);
});

t.test("garbage fed to one instrument leaves another instrument's output unchanged", async (t) => {
  const evsB = events(defs[1]!.id, 1_000);
  const alone = start(defs[1]);
  for (const e of evsB) alone.actor.send({ type: "RawBatch", items: [e], nowUs: e.tsEvent });

  fc.assert(
    fc.property(fc.array(fc.anything(), { maxLength: 40 }), fc.array(fc.anything(), { maxLength: 10 }), (junk, junkBatch) => {
      const a = start(defs[0]);
      const b = start(defs[1]);
      evsB.forEach((e, i) => {
        a.actor.send({ type: "RawBatch", items: junk as never[], nowUs: e.tsEvent });
        if (i % 100 === 0) a.actor.send({ type: "RawBatch", items: junkBatch as never, nowUs: e.tsEvent });
        a.actor.send({ ...(junk[i % Math.max(1, junk.length)] as object), type: "RawQuote", nowUs: e.tsEvent } as never);
        b.actor.send({ type: "RawBatch", items: [e], nowUs: e.tsEvent });
      });
      t.equal(a.actor.getSnapshot().status, "active", "the garbage-fed actor keeps running");
      t.same(b.emitted, alone.emitted);
    }),
    { numRuns: 15 },
  );
});

t.test("the state value follows the trading status: the calendar on ticks, a halt and its resumption on the feed", async (t) => {
  const hours: TradingHours = { weekdays: [1, 2, 3, 4, 5], sessions: [{ open: 870, close: 1260 }], preOpenMinutes: 30 };
  const monday = 4 * US_PER_DAY;
  const at = (m: number) => monday + m * US_PER_MINUTE;
  const def = { ...defs[0]!, tradingHours: hours };
  const actor = createActor(instrumentMachine, { input: { definition: def, feedSource: "sim" } });
  actor.start();
  const seen = [String(actor.getSnapshot().value)];
  actor.send({ type: "Tick", nowUs: at(100) });
  seen.push(String(actor.getSnapshot().value));
  const status = (action: string, m: number) =>
    actor.send({ type: "RawStatus", instrument: def.id, action, tsEvent: at(m), tsInit: at(m), nowUs: at(m) } as never);
  actor.send({ type: "Tick", nowUs: at(845) });
  seen.push(String(actor.getSnapshot().value));
  actor.send({ type: "Tick", nowUs: at(880) });
  seen.push(String(actor.getSnapshot().value));
  status("HALT", 900);
  seen.push(String(actor.getSnapshot().value));
  actor.send({ type: "Tick", nowUs: at(910) });
  seen.push(String(actor.getSnapshot().value));
  status("RESUME", 920);
  seen.push(String(actor.getSnapshot().value));
  actor.send({ type: "Tick", nowUs: at(1270) });
  seen.push(String(actor.getSnapshot().value));
  t.same(seen, ["starting", "closed", "preOpen", "open", "halted", "halted", "open", "closed"]);
});
