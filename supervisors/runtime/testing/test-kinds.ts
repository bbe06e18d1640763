import { fixedKinds, type HostedKinds } from "../kinds-module.ts";
import { counterKind } from "./counter-kind.ts";

/** Kinds for runtime tests and benchmarks (AM_KINDS=supervisors/runtime/testing/test-kinds.ts). */
export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([
    counterKind("none"),
    counterKind("snapshot"),
    counterKind("event-sourced"),
    // sharded entities, event-sourced: activated by their first message on the owner of their shard
    { ...counterKind("event-sourced", "counter-sh"), sharding: { shards: 8, idleMs: 1_000, doneIdleMs: 1_000 } },
  ]);
