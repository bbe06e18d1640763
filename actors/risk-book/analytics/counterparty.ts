/**
 * Counterparty credit exposure by Monte Carlo: expected exposure (EE) and potential future exposure (PFE) profiles
 * of a netting set under a collateral agreement, and CVA = (1 − R) Σ EE(t_i) [PD(t_i) − PD(t_{i−1})] DF(t_i).
 *
 * Model: each trade's value is linear in correlated Brownian risk factors, V_j(t) = V_j(0) + s_j · X(t), X(t) ~
 * N(0, Σ t) with Σ annual, and 0 after its maturity. Collateral is called on the netting set's value one margin period
 * earlier (the grid step before t), one way (the counterparty posts): the target is max(V − threshold, 0), moved only when the change reaches the
 * minimum transfer amount. Exposure is max(V − C, 0).
 */
import { Xoshiro128 } from "../../feed/simulator/index.ts";
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
  const nt = times.length;
  const exposures = Array.from({ length: nt }, () => new Float64Array(paths));
  const gross = new Float64Array(nt);
  const rng = new Xoshiro128(seed);
  const x = new Float64Array(nf);
  const z = new Float64Array(nf);
  const setValue = new Float64Array(sets.length);
  const prevSetValue = new Float64Array(sets.length);
  const held = new Float64Array(sets.length);
  for (let p = 0; p < paths; p++) {
    x.fill(0);
    held.fill(0);
    for (let s = 0; s < sets.length; s++) prevSetValue[s] = trades.reduce((sum, t) => (t.nettingSet === sets[s] ? sum + t.value : sum), 0);
    let prevT = 0;
    for (let k = 0; k < nt; k++) {
      const dt = times[k]! - prevT;
      prevT = times[k]!;
      for (let f = 0; f < nf; f++) z[f] = rng.normal();
      const sq = Math.sqrt(dt);
      for (let f = 0; f < nf; f++) {
        let s = 0;
        const lf = l[f]!;
        for (let g = 0; g <= f; g++) s += lf[g]! * z[g]!;
        x[f]! += s * sq;
      }
      setValue.fill(0);
      for (const tr of trades) {
        if (times[k]! > tr.maturity) continue;
        let v = tr.value;
        for (let f = 0; f < nf; f++) v += tr.sensitivities[f]! * x[f]!;
        setValue[sets.indexOf(tr.nettingSet)]! += v;
        if (v > 0) gross[k]! += v / paths;
      }
      let e = 0;
      for (let s = 0; s < sets.length; s++) {
        const csa = input.collateral?.[sets[s]!];
        if (csa) {
          const target = Math.max(prevSetValue[s]! - csa.threshold, 0);
          if (Math.abs(target - held[s]!) >= csa.minimumTransfer) held[s] = target;
        }
        e += Math.max(setValue[s]! - held[s]!, 0);
        prevSetValue[s] = setValue[s]!;
      }
      exposures[k]![p] = e;
    }
  }
  const idx = Math.min(paths - 1, Math.ceil(q * paths) - 1);
  return {
    times: [...times],
    expectedExposure: exposures.map((e) => e.reduce((s, v) => s + v, 0) / paths),
    potentialFutureExposure: exposures.map((e) => Float64Array.from(e).sort()[idx]!),
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
