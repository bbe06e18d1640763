/** Steps the mutable simulated market in place (its books and random streams are its state; copying them per step would cost the feed its rate). */
import { parseInstrumentId, type Emitted, subjects } from "../../contract/index.ts";
import { afterStep, startMarket } from "./evolve.ts";
import type { Outcome, SimulatorFeedContext } from "./state.ts";

/** A step: the market runs up to `nowUs` and what happened goes out as raw feed messages (the first step starts it). */
export function decideStep(c: SimulatorFeedContext, nowUs: number): Outcome {
  if (!c.sim) return { patch: startMarket(c, nowUs), emitted: [] };
  const events = c.sim.step(nowUs);
  const emitted: Emitted[] = events.map((e) => ({
    type: "publish",
    subject: subjects.feed(c.source, parseInstrumentId(e.instrument)),
    message: e,
  }));
  return { patch: afterStep(c, events.length), emitted };
}

/** An instrument's BookSnapshotRequest: the venue book as a snapshot on its feed subject (nothing before the market starts). */
export function decideSnapshot(c: SimulatorFeedContext, instrument: string, nowUs: number): Emitted[] {
  if (!c.sim) return [];
  return [{ type: "publish", subject: subjects.feed(c.source, parseInstrumentId(instrument)), message: c.sim.snapshot(instrument, nowUs) }];
}

/** GetFeedStatus: what has been published, over how many instruments. */
export const feedStatus = (c: SimulatorFeedContext): Emitted => ({
  type: "reply",
  ok: true,
  result: { published: c.published, instruments: c.config.instruments.length },
});
