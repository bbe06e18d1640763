import type { ActorKind } from "../runtime/kind.ts";

/** The actor kinds a node of the platform hosts. Cells load this module by path (AM_KINDS). */
export const kinds: ActorKind[] = [];
