import t from "tap";
import { createActor } from "xstate";
import { demoUniverse, instrumentMachine } from "../../instrument/index.ts";
import { asPrice } from "../../domain/index.ts";
import { MarketSimulator, type SimulatedEvent, Xoshiro128 } from "./index.ts";

const defs = demoUniverse(5);
const startUs = 1_700_000_000_000_000;
const run = (seed: number, seconds: number) => new MarketSimulator({ seed, startUs, instruments: defs }).step(startUs + seconds * 1e6);

t.test("the same seed gives the same stream, another seed another", async (t) => {
  t.same(run(11, 20), run(11, 20));
  t.notSame(run(11, 20).slice(0, 50), run(12, 20).slice(0, 50));
  const a = new Xoshiro128(1);
  const b = new Xoshiro128(1);
  t.same([a.nextU32(), a.nextU32()], [b.nextU32(), b.nextU32()]);
});

t.test("events come in time order with positive prices, bid below ask and sizes on the lot grid", async (t) => {
  const evs = run(5, 120);
  t.ok(evs.length > 5 * 120 * 50, `${evs.length} events`);
  let last = 0;
  let bad = 0;
  for (const e of evs) {
    if (e.tsEvent < last) bad++;
    last = e.tsEvent;
    if (e.type === "RawQuote" && !(e.bid > 0 && e.bid < e.ask && e.bidSize > 0 && e.askSize > 0 && e.bidSize % 1e8 === 0)) bad++;
    if (e.type === "RawTrade" && !(e.price > 0 && e.size > 0 && e.size % 1e8 === 0 && e.price % 1e6 === 0)) bad++;
  }
  t.equal(bad, 0);
});

t.test("arrivals cluster: counts per window are over-dispersed compared with Poisson", async (t) => {
  const evs = run(9, 600).filter((e) => e.type === "RawTrade" && e.instrument === defs[0]!.id);
  const counts = new Array(600).fill(0);
  for (const e of evs) counts[Math.min(599, Math.floor((e.tsEvent - startUs) / 1e6))]++;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (counts.length - 1);
  t.ok(variance / mean > 1.5, `variance/mean ${(variance / mean).toFixed(2)}`);
});

t.test("an instrument machine fed by the simulator accepts everything and rebuilds the venue book", async (t) => {
  const sim = new MarketSimulator({ seed: 21, startUs, instruments: defs.slice(0, 1) });
  const actor = createActor(instrumentMachine, { input: { definition: defs[0]!, feedSource: "sim" } });
  actor.start();
  const evs: SimulatedEvent[] = sim.step(startUs + 60e6);
  for (let i = 0; i < evs.length; i += 100)
    actor.send({ type: "RawBatch", items: evs.slice(i, i + 100), nowUs: evs[Math.min(i + 99, evs.length - 1)]!.tsEvent });
  const h = actor.getSnapshot().context.handler;
  t.equal(h.counters.accepted, evs.length);
  t.equal(h.book.checksum(), sim.venueBook(defs[0]!.id).checksum());
  t.equal(h.counters.checksumMismatches, 0);
});

t.test("listings of one symbol on several venues start at one price, each on its own tick", async (t) => {
  const [x] = demoUniverse(1);
  const y = { ...x!, id: "SIM001.SIMY", priceIncrement: asPrice(x!.priceIncrement * 5) };
  const alone = new MarketSimulator({ seed: 3, startUs, instruments: [x!] }).step(startUs + 600e6);
  const both = new MarketSimulator({ seed: 3, startUs, instruments: [x!, y] }).step(startUs + 600e6);
  const first = (id: string) => both.find((e) => e.type === "RawQuote" && e.instrument === id) as { bid: number; ask: number };
  const mid = (q: { bid: number; ask: number }) => (q.bid + q.ask) / 2;
  t.same(
    both.filter((e) => e.instrument === "SIM001.SIMX"),
    alone,
    "the first listing's stream is as it was alone",
  );
  t.ok(Math.abs(mid(first("SIM001.SIMY")) / mid(first("SIM001.SIMX")) - 1) < 0.002, "the second listing opens at the first's price");
  const ys = both.filter((e) => e.type === "RawQuote" && e.instrument === "SIM001.SIMY") as { bid: number }[];
  t.ok(
    ys.every((q) => q.bid % y.priceIncrement === 0),
    "on its own tick",
  );
});
