/**
 * Out-of-sample evaluation of a liquidation policy (ONNX, as the registry serves it) against the platform's TWAP
 * schedule, on held-out simulator seeds: both run on the same market path per seed (our orders do not move the
 * simulator), so the per-seed difference is a paired sample and its confidence interval is much tighter than the
 * two means' intervals side by side.
 */
import ort from "onnxruntime-node";
import { type EpisodeOutcome, LiquidationEpisode, type LiquidationSettings, OBSERVATION_WIDTH } from "./liquidation-env.ts";

/** Seeds from here up are never trained on (rl_ddpg.py trains on 1, 2, …). */
export const HELD_OUT_SEED_BASE = 1_000_000;
const MIN_SEEDS = 30;
const Z95 = 1.959964;

export interface Estimate {
  mean: number;
  /** 95 % confidence interval of the mean (normal approximation; at least 30 seeds) */
  ci95: [number, number];
  stdev: number;
}

export interface StrategyFigures {
  /** implementation shortfall against the arrival mid, bps (lower is better) */
  shortfallBps: Estimate;
  /** the learned objective (cost against each decision's mid and the inventory-risk penalty), negated: higher is better */
  objective: Estimate;
  meanChildren: number;
}

export interface PolicyEvaluation {
  seeds: [number, number];
  episodes: number;
  policy: StrategyFigures;
  twap: StrategyFigures;
  /** per seed, policy − TWAP */
  difference: { shortfallBps: Estimate; objective: Estimate };
  wallMs: number;
}

export function estimate(xs: readonly number[]): Estimate {
  const n = xs.length;
  if (n < 2) throw new RangeError(`estimate: needs at least 2 samples, got ${n}`);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const stdev = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (Z95 * stdev) / Math.sqrt(n);
  return { mean, ci95: [mean - half, mean + half], stdev };
}

const figures = (runs: readonly EpisodeOutcome[]): StrategyFigures => ({
  shortfallBps: estimate(runs.map((r) => r.shortfallBps)),
  objective: estimate(runs.map((r) => r.objective)),
  meanChildren: runs.reduce((s, r) => s + r.children, 0) / runs.length,
});

/** A policy from an ONNX actor: input [1, 5] float32 named as the model's first input, first output the action. */
export async function onnxPolicy(bytes: Uint8Array): Promise<{ act: (obs: number[]) => Promise<number>; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(bytes);
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  return {
    act: async (obs) => {
      if (obs.length !== OBSERVATION_WIDTH)
        throw new RangeError(`observation: ${obs.length} values, the policy takes ${OBSERVATION_WIDTH}`);
      const out = await session.run({ [input]: new ort.Tensor("float32", Float32Array.from(obs), [1, OBSERVATION_WIDTH]) });
      return (out[output]!.data as Float32Array)[0]!;
    },
    release: () => session.release(),
  };
}

export async function evaluatePolicy(
  policyBytes: Uint8Array,
  o: { seeds: number; settings?: LiquidationSettings; onProgress?: (done: number, total: number) => void },
): Promise<PolicyEvaluation> {
  if (!(Number.isInteger(o.seeds) && o.seeds >= MIN_SEEDS))
    throw new RangeError(`seeds: ${o.seeds} must be an integer of at least ${MIN_SEEDS}`);
  const wall0 = performance.now();
  const env = new LiquidationEpisode(o.settings);
  const policy = await onnxPolicy(policyBytes);
  const learned: EpisodeOutcome[] = [];
  const twap: EpisodeOutcome[] = [];
  try {
    for (let k = 0; k < o.seeds; k++) {
      const seed = HELD_OUT_SEED_BASE + k;
      learned.push(await env.run(seed, policy.act));
      twap.push(await env.run(seed, () => env.twapAction()));
      o.onProgress?.(k + 1, o.seeds);
    }
  } finally {
    await policy.release();
  }
  return {
    seeds: [HELD_OUT_SEED_BASE, HELD_OUT_SEED_BASE + o.seeds - 1],
    episodes: o.seeds,
    policy: figures(learned),
    twap: figures(twap),
    difference: {
      shortfallBps: estimate(learned.map((r, i) => r.shortfallBps - twap[i]!.shortfallBps)),
      objective: estimate(learned.map((r, i) => r.objective - twap[i]!.objective)),
    },
    wallMs: Math.round(performance.now() - wall0),
  };
}
