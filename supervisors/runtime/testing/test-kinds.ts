import { fixedKinds, type HostedKinds } from "../kinds-module.ts";
import { counterKind } from "./counter-kind.ts";

/** Kinds for runtime tests and benchmarks (AM_KINDS=supervisors/runtime/testing/test-kinds.ts). */
export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([
    counterKind("none"),
    counterKind("snapshot"),
    counterKind("event-sourced"),
    // created by its first Increment (on-demand spawning), event-sourced
    { ...counterKind("event-sourced", "counter-od"), spawnOnDemand: true, spawnOn: ["Increment"] },
  ]);
