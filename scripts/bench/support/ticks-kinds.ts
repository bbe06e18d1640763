/**
 * The kinds module (AM_KINDS) of the `ticks` benchmark's node: only instrument actors, over a demo universe of
 * TICKS_BENCH_INSTRUMENTS instruments (cells are worker threads of the same process, so they see the same env).
 */
import { instrumentCatalogue, instrumentKind } from "../../../actors/instrument/index.ts";
import { fixedKinds, type HostedKinds } from "../../../supervisors/runtime/kinds-module.ts";

export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([instrumentKind(instrumentCatalogue(Number(process.env.TICKS_BENCH_INSTRUMENTS ?? 500)))]);
