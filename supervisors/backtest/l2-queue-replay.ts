import { createHash } from "node:crypto";
import { L2QueueSimulator, type L2Event, type L2QueueEvent, type QueuedOrder } from "../../actors/exchange/index.ts";

/** What we do at a time: place a limit order, or cancel one. */
export type L2OrderAction = { atUs: number; place: QueuedOrder } | { atUs: number; cancel: string };

export interface L2QueueReplay {
  /** what the queue model did to our orders, in order */
  events: L2QueueEvent[];
  /** recorded events read */
  recorded: number;
  /** sha256 of the events as JSON lines: the same data and actions give the same hash */
  sha256: string;
}

/**
 * Replays recorded L2 events (l2-records.ts) with our orders placed and cancelled at their times through the L2
 * queue model (actors/exchange/l2-queue.ts). An action at t comes after the recorded events at t: an order sees
 * the book as recorded at its arrival. Actions are taken in time order, ties in the order given.
 */
export async function replayL2Queue(recorded: AsyncIterable<L2Event[]>, actions: readonly L2OrderAction[]): Promise<L2QueueReplay> {
  const queue = new L2QueueSimulator();
  const pending = actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.atUs - y.a.atUs || x.i - y.i);
  const events: L2QueueEvent[] = [];
  const hash = createHash("sha256");
  const note = (out: L2QueueEvent[]) => {
    for (const e of out) {
      events.push(e);
      hash.update(`${JSON.stringify(e)}\n`);
    }
  };
  let next = 0;
  const actUntil = (us: number) => {
    for (; next < pending.length && pending[next]!.a.atUs < us; next++) {
      const a = pending[next]!.a;
      note("place" in a ? queue.place(a.place, a.atUs) : queue.cancel(a.cancel, a.atUs));
    }
  };
  let count = 0;
  for await (const chunk of recorded) {
    for (const e of chunk) {
      actUntil(e.tsUs);
      note(queue.apply(e));
      count++;
    }
  }
  actUntil(Number.POSITIVE_INFINITY);
  return { events, recorded: count, sha256: hash.digest("hex") };
}
