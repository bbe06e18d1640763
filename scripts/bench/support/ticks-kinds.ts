/**
 * The kinds module (AM_KINDS) of the `ticks` benchmark's node: only instrument actors, over a demo universe of
 * TICKS_BENCH_INSTRUMENTS instruments (cells are worker threads of the same process, so they see the same env).
 */
import { instrumentCatalogue, instrumentKind } from "../../../supervisors/node/kinds/market-data.ts";
import type { ActorKind } from "../../../actors/contract/index.ts";

export const kinds: ActorKind[] = [instrumentKind(instrumentCatalogue(Number(process.env.TICKS_BENCH_INSTRUMENTS ?? 500)))];
