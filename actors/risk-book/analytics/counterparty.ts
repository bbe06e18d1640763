/**
 * Counterparty credit exposure by Monte Carlo: expected exposure (EE) and potential future exposure (PFE) profiles
 * of a netting set under a collateral agreement, and CVA = (1 − R) Σ EE(t_i) [PD(t_i) − PD(t_{i−1})] DF(t_i).
 *
 * Model: each trade's value is linear in correlated Brownian risk factors, V_j(t) = V_j(0) + s_j · X(t), X(t) ~
 * N(0, Σ t) with Σ annual, and 0 after its maturity. Collateral follows the standard CSA treatment, one way (the
 * counterparty posts): at t the collateral held is what was called on the netting set's value one margin period of
 * risk earlier, C(t) = max(V(t − MPoR) − threshold, 0), moved only when the change reaches the minimum transfer
 * amount; exposure is max(V(t) − C(t) − IA, 0) with IA the independent amount (initial margin) the counterparty
 * posted. V(t − MPoR) between grid times is drawn from the Brownian bridge with its own generator, so the grid path
 * (and the uncollateralised profile) is the same with or without collateral.
 */
import { Xoshiro128 } from "../../feed/simulator/index.ts";
import { orderStatistic } from "./distributions.ts";
import { cholesky, type Matrix } from "./matrix.ts";

export interface CounterpartyTrade {
  trade: string;
  /** netting set under one ISDA master agreement */
  nettingSet: string;
  /** today's mark to market, currency (positive = the counterparty owes us) */
  value: number;
  /** value change per unit move of each risk factor */
  sensitivities: readonly number[];
  /** years */
  maturity: number;
}

export interface CollateralAgreement {
  /** uncollateralised exposure the counterparty may run, currency */
  threshold: number;
  /** minimum transfer amount, currency */
  minimumTransfer: number;
  /** initial margin the counterparty posted, held whatever the value, currency; default 0 */
  independentAmount?: number;
  /** margin period of risk, years; default the grid step before each time */
  marginPeriodOfRisk?: number;
}

function checkAgreement(set: string, a: CollateralAgreement): void {
  const fields: [string, number | undefined][] = [
    ["threshold", a.threshold],
    ["minimumTransfer", a.minimumTransfer],
    ["independentAmount", a.independentAmount],
    ["marginPeriodOfRisk", a.marginPeriodOfRisk],
  ];
  for (const [name, v] of fields)
    if (v !== undefined && !(v >= 0)) throw new Error(`collateral.${set}.${name}: must be non-negative, got ${v}`);
}

/** The collateral held after a margin call on `lookback` (the value one MPoR ago): a change under the MTA is not called. */
export function marginCall(held: number, lookback: number, a: CollateralAgreement): number {
  const target = Math.max(lookback - a.threshold, 0);
  return Math.abs(target - held) >= a.minimumTransfer ? target : held;
}

/** Exposure of a netting set worth `value` with `held` variation margin and the independent amount. */
export const collateralisedExposure = (value: number, held: number, a: CollateralAgreement): number =>
  Math.max(value - held - (a.independentAmount ?? 0), 0);

/** One path's exposures under an agreement: `values[k]` = V(t_k), `lookback[k]` = V(t_k − MPoR); nothing held at 0. */
export function collateralisedPath(values: readonly number[], lookback: readonly number[], a: CollateralAgreement): number[] {
  let held = 0;
  return values.map((v, k) => {
    held = marginCall(held, lookback[k]!, a);
    return collateralisedExposure(v, held, a);
  });
}

export interface ExposureInput {
  trades: readonly CounterpartyTrade[];
  /** annual covariance of the risk factors */
  factorCovariance: Matrix;
  /** increasing times in years, the first > 0 */
  times: readonly number[];
  /** netting set → agreement; a set without one is uncollateralised */
  collateral?: Record<string, CollateralAgreement>;
  paths: number;
  seed: number;
  /** PFE quantile, default 0.95 */
  pfeQuantile?: number;
}

export interface ExposureProfile {
  times: number[];
  expectedExposure: number[];
  potentialFutureExposure: number[];
  /** EE without netting (sum of each trade's own positive part), to show the netting benefit */
  expectedExposureGross: number[];
}

export function exposureProfile(input: ExposureInput): ExposureProfile {
  const { trades, factorCovariance, times, paths, seed } = input;
  const q = input.pfeQuantile ?? 0.95;
  if (!(q > 0 && q < 1)) throw new Error(`pfeQuantile: must be in (0, 1), got ${q}`);
  if (!(Number.isSafeInteger(paths) && paths >= 100)) throw new Error(`paths: must be an integer of at least 100, got ${paths}`);
  times.forEach((t, k) => {
    if (!(t > (k === 0 ? 0 : times[k - 1]!))) throw new Error(`times[${k}]: must be increasing and positive, got ${t}`);
  });
  const nf = factorCovariance.length;
  for (const tr of trades)
    if (tr.sensitivities.length !== nf)
      throw new Error(`trade ${tr.trade}: ${tr.sensitivities.length} sensitivities for ${nf} risk factors`);
  const l = cholesky(factorCovariance, "factorCovariance");
  const sets = [...new Set(trades.map((t) => t.nettingSet))];
  // flat typed copies of the trades: the path loop below runs paths × times × trades times
  const nTrades = trades.length;
  const setOf = Int32Array.from(trades, (t) => sets.indexOf(t.nettingSet));
  const value0 = Float64Array.from(trades, (t) => t.value);
  const maturity = Float64Array.from(trades, (t) => t.maturity);
  const sens = new Float64Array(nTrades * nf);
  trades.forEach((t, j) => {
    sens.set(t.sensitivities, j * nf);
  });
  const agreements = sets.map((s) => input.collateral?.[s]);
  agreements.forEach((a, s) => {
    if (a) checkAgreement(sets[s]!, a);
  });
  const nt = times.length;
  // where each time's margin call looks back to: the grid interval holding t − MPoR (k − 1 for the grid step)
  const lookbackAt = agreements.map((a) =>
    times.map((t, k) => {
      if (a?.marginPeriodOfRisk === undefined) return { at: k === 0 ? 0 : times[k - 1]!, after: k - 1 };
      const at = Math.max(t - a.marginPeriodOfRisk, 0);
      let j = k;
      while (j >= 0 && times[j]! > at) j--;
      return { at, after: j };
    }),
  );
  const exposures = Array.from({ length: nt }, () => new Float64Array(paths));
  const gross = new Float64Array(nt);
  const rng = new Xoshiro128(seed);
  const bridgeRng = new Xoshiro128(seed, 1);
  // the factors at each grid time of the current path (row k), and at a look-back time
  const xs = Array.from({ length: nt }, () => new Float64Array(nf));
  const xb = new Float64Array(nf);
  const z = new Float64Array(nf);
  const setValue = new Float64Array(sets.length);
  const held = new Float64Array(sets.length);
  const valueAt = (x: Float64Array, t: number, s: number): number => {
    let sum = 0;
    for (let j = 0; j < nTrades; j++) {
      if (setOf[j] !== s || t > maturity[j]!) continue;
      let v = value0[j]!;
      for (let f = 0; f < nf; f++) v += sens[j * nf + f]! * x[f]!;
      sum += v;
    }
    return sum;
  };
  // V(t − MPoR): exact on a grid time, else the Brownian bridge between the grid times around it
  const lookbackValue = (s: number, k: number): number => {
    const { at, after } = lookbackAt[s]![k]!;
    const t0 = after < 0 ? 0 : times[after]!;
    if (after < 0 && at === 0) return valueAt(xb.fill(0), 0, s);
    if (at === t0) return valueAt(xs[after]!, at, s);
    const t1 = times[after + 1]!;
    const w = (at - t0) / (t1 - t0);
    const sd = Math.sqrt(((at - t0) * (t1 - at)) / (t1 - t0));
    for (let f = 0; f < nf; f++) z[f] = bridgeRng.normal();
    for (let f = 0; f < nf; f++) {
      let e = 0;
      const lf = l[f]!;
      for (let g = 0; g <= f; g++) e += lf[g]! * z[g]!;
      const a = after < 0 ? 0 : xs[after]![f]!;
      xb[f] = a + w * (xs[after + 1]![f]! - a) + e * sd;
    }
    return valueAt(xb, at, s);
  };
  for (let p = 0; p < paths; p++) {
    held.fill(0);
    let prevT = 0;
    for (let k = 0; k < nt; k++) {
      const dt = times[k]! - prevT;
      prevT = times[k]!;
      for (let f = 0; f < nf; f++) z[f] = rng.normal();
      const sq = Math.sqrt(dt);
      const x = xs[k]!;
      for (let f = 0; f < nf; f++) {
        let s = 0;
        const lf = l[f]!;
        for (let g = 0; g <= f; g++) s += lf[g]! * z[g]!;
        x[f] = (k === 0 ? 0 : xs[k - 1]![f]!) + s * sq;
      }
      setValue.fill(0);
      const tk = times[k]!;
      for (let j = 0; j < nTrades; j++) {
        if (tk > maturity[j]!) continue;
        let v = value0[j]!;
        for (let f = 0; f < nf; f++) v += sens[j * nf + f]! * x[f]!;
        setValue[setOf[j]!]! += v;
        if (v > 0) gross[k]! += v / paths;
      }
      let e = 0;
      for (let s = 0; s < sets.length; s++) {
        const csa = agreements[s];
        if (!csa) {
          e += Math.max(setValue[s]!, 0);
          continue;
        }
        held[s] = marginCall(held[s]!, lookbackValue(s, k), csa);
        e += collateralisedExposure(setValue[s]!, held[s]!, csa);
      }
      exposures[k]![p] = e;
    }
  }
  const idx = Math.min(paths - 1, Math.ceil(q * paths) - 1);
  return {
    times: [...times],
    expectedExposure: exposures.map((e) => {
      let sum = 0;
      for (let p = 0; p < paths; p++) sum += e[p]!;
      return sum / paths;
    }),
    // the mean is taken first: reordering in place then changes no figure
    potentialFutureExposure: exposures.map((e) => orderStatistic(e, idx)),
    expectedExposureGross: [...gross],
  };
}

export interface CreditCurve {
  /** constant hazard rate per year, e.g. from a CDS spread: λ = spread / (1 − R) */
  hazardRate: number;
  recoveryRate: number;
  /** continuously compounded risk-free rate for discounting */
  riskFreeRate: number;
}

export const hazardFromSpread = (spread: number, recoveryRate: number): number => spread / (1 - recoveryRate);

/** CVA = (1 − R) Σ EE(t_i) ΔPD(t_i) DF(t_i), with PD(t) = 1 − e^(−λt) and DF(t) = e^(−rt). */
export function creditValuationAdjustment(profile: Pick<ExposureProfile, "times" | "expectedExposure">, curve: CreditCurve): number {
  const { hazardRate, recoveryRate, riskFreeRate } = curve;
  if (!(hazardRate >= 0)) throw new Error(`hazardRate: must be non-negative, got ${hazardRate}`);
  if (!(recoveryRate >= 0 && recoveryRate < 1)) throw new Error(`recoveryRate: must be in [0, 1), got ${recoveryRate}`);
  if (profile.times.length !== profile.expectedExposure.length)
    throw new Error(`profile: ${profile.times.length} times for ${profile.expectedExposure.length} exposures`);
  let cva = 0;
  let prevPd = 0;
  profile.times.forEach((t, k) => {
    const pd = 1 - Math.exp(-hazardRate * t);
    cva += profile.expectedExposure[k]! * (pd - prevPd) * Math.exp(-riskFreeRate * t);
    prevPd = pd;
  });
  return (1 - recoveryRate) * cva;
}
