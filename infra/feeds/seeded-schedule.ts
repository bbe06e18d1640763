/**
 * A seeded stream of events on a time grid, for the local providers' demo content: slot i (from i·slotMs) holds one
 * event, at a seeded offset in its first third (so consecutive events are 2/3 to 4/3 of a slot apart), drawn from a
 * generator seeded by the seed and the slot alone. The same slot always gives the same event, so a restarted demo
 * republishes what it published before instead of contradicting it, and stores that key rows by time and id keep
 * one copy. At start the slots of the last `historyMs` are published (in one batch where `publishHistory` is given),
 * then each slot as its time comes.
 */
import { Xoshiro128 } from "../../actors/feed/simulator/index.ts";

export interface SlotEvent {
  slot: number;
  atMs: number;
  random: Xoshiro128;
}

export interface SeededScheduleOptions {
  seed: number;
  slotMs: number;
  /** how far back the events published at start reach */
  historyMs: number;
  /** publishes the event of `slot`, due at `atMs` (epoch ms), drawing from `random` */
  publish: (slot: number, atMs: number, random: Xoshiro128) => void | Promise<void>;
  /** publishes the history's events at once, in slot order, where one batch suits the reader better (a file) */
  publishHistory?: (events: readonly SlotEvent[]) => void | Promise<void>;
  /** epoch ms; default Date.now */
  now?: () => number;
  /** called with a publish that threw or rejected; the schedule goes on with the next slot */
  onError?: (e: unknown) => void;
}

export interface SeededSchedule {
  stop(): void;
}

export function startSeededSchedule(o: SeededScheduleOptions): SeededSchedule {
  if (!(Number.isInteger(o.slotMs) && o.slotMs >= 3)) throw new RangeError(`slotMs ${o.slotMs} must be an integer of at least 3`);
  if (!(o.historyMs >= 0)) throw new RangeError(`historyMs ${o.historyMs} must not be negative`);
  const now = o.now ?? Date.now;
  const draw = (slot: number): { atMs: number; random: Xoshiro128 } => {
    // one generator per slot: its events do not depend on which slots were drawn before
    const random = new Xoshiro128(o.seed, slot);
    return { atMs: slot * o.slotMs + Math.floor(random.next() * (o.slotMs / 3)), random };
  };
  const guarded = (publish: () => void | Promise<void>): void => {
    try {
      void publish()?.catch((e: unknown) => o.onError?.(e));
    } catch (e) {
      o.onError?.(e);
    }
  };
  const run = (slot: number): void => {
    const { atMs, random } = draw(slot);
    guarded(() => o.publish(slot, atMs, random));
  };
  const started = now();
  const history: SlotEvent[] = [];
  let slot = Math.floor((started - o.historyMs) / o.slotMs);
  for (; ; slot++) {
    const { atMs, random } = draw(slot);
    if (atMs > started) break;
    if (atMs >= started - o.historyMs) history.push({ slot, atMs, random });
  }
  const { publishHistory } = o;
  if (publishHistory && history.length) guarded(() => publishHistory(history));
  else for (const e of history) guarded(() => o.publish(e.slot, e.atMs, e.random));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = (): void => {
    if (stopped) return;
    const due = draw(slot).atMs;
    timer = setTimeout(
      () => {
        run(slot);
        slot += 1;
        next();
      },
      Math.max(0, due - now()),
    );
    // the demo's content never keeps a process alive on its own
    timer.unref();
  };
  next();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
