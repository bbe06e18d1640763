/**
 * The learned policy evaluated where the platform runs it: a parent worked by the `RL` execution algorithm in the
 * backtester (its model actor, the risk book, the simulated exchange, TCA), against the same parent worked by TWAP,
 * on held-out simulator seeds. Each seed is run twice, once per algorithm, on the same seeded market (our orders do
 * not move the simulator), so the per-seed difference is a paired sample.
 */
import type { AlgoTca } from "../../actors/domain/index.ts";
import { LIQUIDATION_STATE } from "../../actors/execution-algo/index.ts";
import { committedModelNames, committedPoliciesDir, readModelFile } from "../../actors/model/index.ts";
import { parseRunConfig, type RunConfigInput, runBacktest } from "../backtest/index.ts";
import { defaultLiquidationSettings, type LiquidationSettings } from "./liquidation-env.ts";
import { type Estimate, estimate, HELD_OUT_SEED_BASE } from "./policy-evaluation.ts";

const MIN_SEEDS = 30;
const INSTRUMENT = "RLX.SIMX";
/** the instrument's tick, as the run config states it and as the learned parent takes it (1e-8 units) */
const TICK = { text: "0.01", fixed: 1_000_000 };
const START_US = 1_767_258_000_000_000; // 2026-01-01T09:00:00Z
/** the parent starts after the market's warm-up minute, as an episode does */
const WARM_UP_US = 60_000_000;
/** after the horizon the parents catch up on what is left, once per slice: one more minute covers it */
const GRACE_US = 60_000_000;
/** the simulator's feed publishes every 100 ms of simulated time: a child sees the market at most that stale */
const FEED_STEP_MS = 100;

export type EvaluatedAlgo = "RL" | "TWAP";

export interface ParentRun {
  seed: number;
  /** implementation shortfall in bps of the arrival value: fills against the arrival mid, the fees, and what was not filled at the close mid */
  shortfallBps: number;
  /** the parent's TCA: its fills against the arrival mid, bps (fees and unfilled excluded) */
  arrivalBps: number;
  filledShare: number;
  children: number;
  journalSha256: string;
}

export interface AlgoFigures {
  shortfallBps: Estimate;
  arrivalBps: Estimate;
  meanFilledShare: number;
  meanChildren: number;
}

export interface BacktestEvaluation {
  model: string;
  seeds: [number, number];
  parent: {
    instrument: string;
    side: "SELL";
    lots: number;
    slices: number;
    sliceSeconds: number;
    takerFeeBps: number;
    eventsPerSecond: number;
  };
  rl: AlgoFigures;
  twap: AlgoFigures;
  /** per seed, RL − TWAP (negative: the policy sold for more) */
  difference: { shortfallBps: Estimate };
  wallMs: number;
  cpuMs: number;
}

/**
 * One seed's run: the parent (the training environment's: `parentLots` sold over `steps` slices of `stepSeconds`
 * with the taker fee and event rate of `settings`) worked by `algo` on the seeded simulator's market.
 */
export function evaluationRun(
  seed: number,
  algo: EvaluatedAlgo,
  model: string,
  settings: LiquidationSettings = defaultLiquidationSettings,
): RunConfigInput {
  const at = START_US + WARM_UP_US;
  const endAtUs = at + settings.steps * settings.stepSeconds * 1_000_000;
  const horizon = { endAtUs, slices: settings.steps };
  return {
    name: `rl-eval-${algo.toLowerCase()}-${seed}`,
    start: START_US,
    end: endAtUs + GRACE_US,
    instruments: [{ id: INSTRUMENT, assetClass: "EQUITY", currency: "USD", priceIncrement: TICK.text, lotSize: "1" }],
    data: { kind: "simulator", seed, eventsPerSecond: settings.eventsPerSecond, stepMs: FEED_STEP_MS },
    fills: { queue: "visible", slippage: { model: "none" } },
    venue: { takerFeeBps: settings.takerFeeBps },
    strategies: [],
    algos: [
      {
        id: "parent",
        at,
        instrument: INSTRUMENT,
        side: "SELL",
        quantity: String(settings.parentLots),
        params: algo === "RL" ? { algo: "RL", ...horizon, model, tickSize: TICK.fixed } : { algo: "TWAP", ...horizon },
      },
    ],
    report: { sampleEveryMs: 60_000 },
  };
}

/** Shortfall of a sell parent from its TCA, fill and fees (currency), in bps of the arrival value. */
function shortfallOf(tca: AlgoTca, quantity: number, filled: number, fees: number): number {
  const arrivalValue = tca.arrivalMid * quantity;
  const fillCost = (tca.arrivalMid - tca.avgPx) * filled;
  const unfilledCost = (tca.arrivalMid - tca.closeMid) * (quantity - filled);
  return ((fillCost + unfilledCost + fees) / arrivalValue) * 1e4;
}

export async function runParent(seed: number, algo: EvaluatedAlgo, model: string, settings?: LiquidationSettings): Promise<ParentRun> {
  const r = await runBacktest(parseRunConfig(evaluationRun(seed, algo, model, settings)));
  const p = r.algos?.[0];
  if (!p?.tca || !(p.tca.arrivalMid > 0))
    throw new Error(`seed ${seed}: the ${algo} parent has no TCA (status ${p?.status ?? "none"}, ${p?.filled ?? 0} filled)`);
  const quantity = p.quantity / 1e8;
  const filled = p.filled / 1e8;
  return {
    seed,
    shortfallBps: shortfallOf(p.tca, quantity, filled, r.fees),
    arrivalBps: p.tca.arrivalBps ?? 0,
    filledShare: filled / quantity,
    children: p.children,
    journalSha256: r.journal.sha256,
  };
}

const figures = (runs: readonly ParentRun[]): AlgoFigures => ({
  shortfallBps: estimate(runs.map((r) => r.shortfallBps)),
  arrivalBps: estimate(runs.map((r) => r.arrivalBps)),
  meanFilledShare: runs.reduce((s, r) => s + r.filledShare, 0) / runs.length,
  meanChildren: runs.reduce((s, r) => s + r.children, 0) / runs.length,
});

export async function evaluateInBacktest(o: {
  seeds: number;
  model?: string;
  settings?: LiquidationSettings;
  onProgress?: (done: number, total: number) => void;
}): Promise<BacktestEvaluation> {
  if (!(Number.isInteger(o.seeds) && o.seeds >= MIN_SEEDS))
    throw new RangeError(`seeds: ${o.seeds} must be an integer of at least ${MIN_SEEDS}`);
  const model = o.model ?? "exec-ddpg-liquidation";
  const known = committedModelNames(committedPoliciesDir.pathname);
  if (!known.includes(model)) throw new RangeError(`model: ${model} is not a committed policy (models/rl: ${known.join(", ")})`);
  const set = readModelFile(model, committedPoliciesDir.pathname).card.featureSet;
  if (set.name !== LIQUIDATION_STATE.name) throw new RangeError(`model: ${model} takes ${set.name}, not ${LIQUIDATION_STATE.name}`);
  const settings = o.settings ?? defaultLiquidationSettings;
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rl: ParentRun[] = [];
  const twap: ParentRun[] = [];
  for (let k = 0; k < o.seeds; k++) {
    const seed = HELD_OUT_SEED_BASE + k;
    rl.push(await runParent(seed, "RL", model, settings));
    twap.push(await runParent(seed, "TWAP", model, settings));
    o.onProgress?.(k + 1, o.seeds);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    model,
    seeds: [HELD_OUT_SEED_BASE, HELD_OUT_SEED_BASE + o.seeds - 1],
    parent: {
      instrument: INSTRUMENT,
      side: "SELL",
      lots: settings.parentLots,
      slices: settings.steps,
      sliceSeconds: settings.stepSeconds,
      takerFeeBps: settings.takerFeeBps,
      eventsPerSecond: settings.eventsPerSecond,
    },
    rl: figures(rl),
    twap: figures(twap),
    difference: { shortfallBps: estimate(rl.map((r, i) => r.shortfallBps - twap[i]!.shortfallBps)) },
    wallMs: Math.round(performance.now() - wall0),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}
