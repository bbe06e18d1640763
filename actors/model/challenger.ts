import type { Waiting } from "./state.ts";

/**
 * A version tried beside the serving one (the champion). Shadow: it scores the same rows as the champion, its
 * outputs are compared with the champion's and published as figures, never answered. Canary: it answers a share of
 * the requests itself. Either way a failure of the challenger drops it and never touches the champion.
 */
export type ChallengerMode = "shadow" | "canary";

export interface Challenger {
  version: number;
  mode: ChallengerMode;
  /** canary: the share of requests it answers (0 < share < 1) */
  share: number;
  /** its session is open */
  loaded: boolean;
  /**
   * canary: share accrued in millionths; each time it reaches a whole a request goes to the challenger (an exact,
   * deterministic share: integers, where adding 0.3 three times in floats stays under 0.9)
   */
  credit: number;
  /** shadow jobs in flight: shadow batch id → the champion's batch and each side's outputs as they come */
  trials: Record<number, Trial>;
  comparison: Comparison;
  /** inference time per batch of each side while the challenge runs (shadow: the same rows; canary: its own) */
  runUs: { champion: RunTimes; challenger: RunTimes };
  /** canary: requests it answered */
  canaryServed: number;
  /** its inferences that failed (a failed canary batch also drops it) */
  failures: number;
}

export interface Trial {
  championBatchId: number;
  champion?: number[];
  challenger?: number[];
}

/** Champion and challenger outputs compared value by value. */
export interface Comparison {
  values: number;
  sumAbsDiff: number;
  maxAbsDiff: number;
  /** values where both have the same sign (the same direction of a forecast) */
  sameSign: number;
}

export interface RunTimes {
  batches: number;
  sumUs: number;
}

/** A challenge as the registry keeps it and a model actor starts with: which version, how it is tried. */
export interface ChallengeSpec {
  version: number;
  mode: ChallengerMode;
  share?: number | undefined;
}

/** a whole request of canary credit, in millionths of a share */
const WHOLE = 1_000_000;

/** shadow jobs kept waiting for their other half at most; older ones are dropped (a lost answer never leaks) */
export const MAX_TRIALS = 64;

export const newChallenger = (version: number, mode: ChallengerMode, share: number): Challenger => ({
  version,
  mode,
  share,
  loaded: false,
  credit: 0,
  trials: {},
  comparison: { values: 0, sumAbsDiff: 0, maxAbsDiff: 0, sameSign: 0 },
  runUs: { champion: { batches: 0, sumUs: 0 }, challenger: { batches: 0, sumUs: 0 } },
  canaryServed: 0,
  failures: 0,
});

/** The challenger with one more batch's inference time on one side. */
export function timed(c: Challenger, side: "champion" | "challenger", runUs: number): Challenger {
  const r = c.runUs[side];
  return { ...c, runUs: { ...c.runUs, [side]: { batches: r.batches + 1, sumUs: r.sumUs + runUs } } };
}

/** The challenge a StartChallenger asks for is the one running: a repeat (a node telling it again) keeps its figures. */
export const sameChallenge = (c: Challenger | undefined, p: ChallengeSpec): boolean =>
  c !== undefined && c.version === p.version && c.mode === p.mode && (c.mode === "shadow" || c.share === p.share);

/** Why a StartChallenger cannot be taken, or undefined. */
export function challengerRefusal(
  name: string,
  serving: number,
  p: { version: number; mode: ChallengerMode; share?: number | undefined },
): string | undefined {
  if (p.version === serving) return `model ${name}: v${p.version} is the version serving; a challenger is another version`;
  if (p.mode === "canary" && (p.share === undefined || !(p.share > 0 && p.share < 1)))
    return `model ${name}: a canary needs share in (0, 1), got ${p.share}`;
  return undefined;
}

/** A batch split for a canary: the requests the challenger answers, the rest for the champion, and the credit after. */
export function canarySplit(
  batch: readonly Waiting[],
  share: number,
  credit: number,
): { canary: Waiting[]; champion: Waiting[]; credit: number } {
  const canary: Waiting[] = [];
  const champion: Waiting[] = [];
  const step = Math.round(share * WHOLE);
  let c = credit;
  for (const w of batch) {
    c += step;
    if (c >= WHOLE) {
      c -= WHOLE;
      canary.push(w);
    } else champion.push(w);
  }
  return { canary, champion, credit: c };
}

/** The comparison with one more pair of outputs (same length: the same rows scored by both). */
export function compare(sofar: Comparison, champion: readonly number[], challenger: readonly number[]): Comparison {
  const n = Math.min(champion.length, challenger.length);
  let { values, sumAbsDiff, maxAbsDiff, sameSign } = sofar;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(champion[i]! - challenger[i]!);
    values++;
    sumAbsDiff += d;
    if (d > maxAbsDiff) maxAbsDiff = d;
    if (Math.sign(champion[i]!) === Math.sign(challenger[i]!)) sameSign++;
  }
  return { values, sumAbsDiff, maxAbsDiff, sameSign };
}

/** What operators read of a challenger (summary and ModelServingReported). */
export function challengerFigures(c: Challenger) {
  const k = c.comparison;
  const mean = (r: RunTimes) => Math.round(r.sumUs / r.batches);
  const { champion, challenger } = c.runUs;
  return {
    version: c.version,
    mode: c.mode,
    ...(c.mode === "canary" ? { share: c.share, canaryServed: c.canaryServed } : {}),
    loaded: c.loaded,
    compared: k.values,
    ...(k.values ? { meanAbsDiff: k.sumAbsDiff / k.values, maxAbsDiff: k.maxAbsDiff, signAgreement: k.sameSign / k.values } : {}),
    ...(champion.batches ? { championRunUs: mean(champion) } : {}),
    ...(challenger.batches ? { challengerRunUs: mean(challenger) } : {}),
    failures: c.failures,
  };
}
