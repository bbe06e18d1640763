import t from "tap";
import { createActor } from "xstate";
import type { Emitted } from "../../contract/index.ts";
import { demoUniverse, instrumentMachine } from "../../instrument/index.ts";
import { decideStep, initialContext, type SimulatorFeedContext } from "./index.ts";

const defs = demoUniverse(2);
const T0 = 1_700_000_000_000_000;
const SECOND = 1_000_000;

/** One run of the simulator feed, stepped by hand as its timer would, from its first step at `startUs`. */
function feedRun(startUs: number) {
  let c: SimulatorFeedContext = initialContext({
    source: "sim",
    stepMs: 20,
    simulator: { seed: 42, instruments: defs.map((d) => ({ id: d.id, priceIncrement: d.priceIncrement, lotSize: d.lotSize })) },
  });
  const step = (nowUs: number): Emitted[] => {
    const o = decideStep(c, nowUs);
    c = { ...c, ...o.patch };
    return o.emitted;
  };
  step(startUs);
  return step;
}

function instrument() {
  const def = defs[0]!;
  const actor = createActor(instrumentMachine, { input: { definition: def, feedSource: "sim", barTypes: ["1s"] } });
  const rejected: { reason: string }[] = [];
  actor.on("*", (e) => {
    const m = (e as Emitted).type === "publish" ? (e as Extract<Emitted, { type: "publish" }>).message : undefined;
    if (m?.type === "FeedRejected") rejected.push(m as unknown as { reason: string });
  });
  actor.start();
  const feed = (out: Emitted[], nowUs: number) => {
    const items = out.flatMap((e) =>
      e.type === "publish" && (e.message as { instrument?: string }).instrument === def.id ? [e.message] : [],
    );
    if (items.length > 0) actor.send({ type: "RawBatch", items, nowUs } as never);
  };
  return { actor, rejected, feed };
}

t.test("a restarted simulator feed numbers above its earlier run: instruments take its items, none refused as stale", async (t) => {
  const inst = instrument();
  const first = feedRun(T0);
  for (let now = T0 + 20_000; now <= T0 + 5 * SECOND; now += 20_000) inst.feed(first(now), now);
  const seqBefore = inst.actor.getSnapshot().context.handler.sync.seq;
  t.ok(seqBefore > 0, "the first run's book is applied");
  t.same(inst.rejected, [], "nothing refused in the first run");

  // the feed restarts (crash, cell or node restart): a fresh market from the restart time
  const restart = T0 + 6 * SECOND;
  const second = feedRun(restart);
  for (let now = restart + 20_000; now <= restart + 5 * SECOND; now += 20_000) inst.feed(second(now), now);
  t.same(
    inst.rejected.filter((r) => r.reason === "STALE_SEQUENCE"),
    [],
    "no item of the new run is refused as a stale sequence",
  );
  const sync = inst.actor.getSnapshot().context.handler.sync;
  t.ok(sync.synced && sync.seq > seqBefore, `the book follows the new run (seq ${sync.seq} > ${seqBefore})`);
});
