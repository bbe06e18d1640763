import { fixedKinds, type HostedKinds } from "../kinds-module.ts";
import { counterKind } from "./counter-kind.ts";
import { quoteCounterKind } from "./quote-counter-kind.ts";

/**
 * Kinds for scripts/bench/kernel.ts and containment.ts (AM_KINDS=supervisors/runtime/testing/bench-kinds.ts): the
 * quote counter (market-data hot path), and counters whose restart intensity lets a benchmark crash them ~100 times.
 */
const tolerant = { maxRestarts: 1_000, periodMs: 1_000 };
export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([
    quoteCounterKind,
    { ...counterKind("none", "bench-counter"), supervision: tolerant },
    counterKind("event-sourced", "bench-counter-es"),
    counterKind("snapshot", "bench-counter-snap"),
  ]);
