import t from "tap";
import { createActor } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { MarketSimulator } from "../feed/simulator/index.ts";
import { type BookView, demoUniverse, instrumentMachine } from "./index.ts";

const defs = demoUniverse(1);
const def = defs[0]!;
const startUs = 1_700_000_000_000_000;

function start() {
  const actor = createActor(instrumentMachine, { input: { definition: def, feedSource: "sim" } });
  const emitted: Emitted[] = [];
  actor.on("*", (e) => emitted.push(e as Emitted));
  actor.start();
  const ask = (depth?: number): BookView => {
    const from = emitted.length;
    actor.send({ type: "GetBook", ...(depth !== undefined ? { depth } : {}), tsEvent: startUs, tsInit: startUs, nowUs: startUs });
    const out = emitted.slice(from);
    const reply = out.find((e) => e.type === "reply") as { ok: true; result: BookView } | undefined;
    if (!reply || out.length !== 1) throw new Error(`GetBook emitted ${JSON.stringify(out)}`);
    return reply.result;
  };
  return { actor, ask };
}

t.test("GetBook before any input answers an empty book, then the last quote while there is no L2 book", async (t) => {
  const { actor, ask } = start();
  const b = ask();
  t.same([b.bids, b.asks, b.seq], [[], [], 0]);
  const sim = new MarketSimulator({ seed: 5, startUs, instruments: defs, eventsPerSecond: 200 });
  let e = sim.next();
  while (e.type !== "RawQuote") e = sim.next();
  actor.send({ ...e, nowUs: e.tsEvent });
  const q = ask();
  t.equal(q.source, "QUOTE");
  t.same([q.bids, q.asks], [[[e.bid, e.bidSize]], [[e.ask, e.askSize]]]);
  t.equal(b.instrument, def.id);
});

t.test("GetBook answers the top of book and at most `depth` L2 levels per side, best first", async (t) => {
  const { actor, ask } = start();
  const sim = new MarketSimulator({ seed: 5, startUs, instruments: defs, eventsPerSecond: 200 });
  // The feed sends deltas until asked for a snapshot: answer the instrument's snapshot request from the simulator.
  for (let i = 0; i < 3_000; i++) {
    const e = sim.next();
    actor.send({ ...e, nowUs: e.tsEvent });
    if (i === 10) actor.send({ ...sim.snapshot(def.id, e.tsEvent), nowUs: e.tsEvent });
  }
  const b = ask(3);
  t.equal(b.source, "L2", "the book feed's levels");
  t.equal(b.synced, true);
  t.ok(b.top.bid > 0 && b.top.ask > b.top.bid, "a two-sided top of book");
  t.ok(b.bids.length > 0 && b.bids.length <= 3 && b.asks.length > 0 && b.asks.length <= 3, "levels capped at depth");
  for (let i = 1; i < b.bids.length; i++) t.ok(b.bids[i]![0] < b.bids[i - 1]![0], "bids descend");
  for (let i = 1; i < b.asks.length; i++) t.ok(b.asks[i]![0] > b.asks[i - 1]![0], "asks ascend");
  t.ok(b.seq > 0 && b.tsEvent > 0);
});
