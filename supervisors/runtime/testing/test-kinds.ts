import type { ActorKind } from "../../../actors/contract/index.ts";
import { counterKind } from "./counter-kind.ts";

/** Kinds for runtime tests and benchmarks (AM_KINDS=supervisors/runtime/testing/test-kinds.ts). */
export const kinds: ActorKind[] = [
  counterKind("none"),
  counterKind("snapshot"),
  counterKind("event-sourced"),
  // created by its first Increment (on-demand spawning), event-sourced
  { ...counterKind("event-sourced", "counter-od"), spawnOnDemand: true, spawnOn: ["Increment"] },
];
