/**
 * VaR backtests on a series of exceptions (days whose loss exceeded that day's VaR): Kupiec's proportion of
 * failures, Christoffersen's independence and conditional coverage likelihood ratios, and the Basel traffic light.
 */
import { binomialCdf, chiSquareSurvival } from "./distributions.ts";
import { requireConfidence } from "./value-at-risk.ts";

/** true where the realised loss exceeded the VaR forecast for that day (−pnl > var). */
export function exceptions(pnl: readonly number[], forecasts: readonly number[]): boolean[] {
  if (pnl.length !== forecasts.length) throw new Error(`exceptions: ${pnl.length} P&Ls for ${forecasts.length} VaR forecasts`);
  return pnl.map((x, k) => -x > forecasts[k]!);
}

export interface LikelihoodRatioTest {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** rejected at the given significance level */
  rejected: boolean;
}

// x ln y with the 0 ln 0 = 0 convention of the likelihoods
const xlogy = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(y));

function lrTest(statistic: number, dof: number, significance: number): LikelihoodRatioTest {
  const s = Math.max(0, statistic);
  const pValue = chiSquareSurvival(s, dof);
  return { statistic: s, degreesOfFreedom: dof, pValue, rejected: pValue < significance };
}

/** Kupiec (1995): LR_POF = −2 ln[(1−p)^(T−x) p^x] + 2 ln[(1−x/T)^(T−x) (x/T)^x] ~ χ²(1), p = 1 − confidence. */
export function kupiecTest(
  exceptionCount: number,
  observations: number,
  confidence: number,
  significance = 0.05,
): LikelihoodRatioTest & { exceptions: number; expected: number } {
  requireConfidence(confidence);
  if (!(Number.isSafeInteger(observations) && observations > 0))
    throw new Error(`observations: must be a positive integer, got ${observations}`);
  if (!(Number.isSafeInteger(exceptionCount) && exceptionCount >= 0 && exceptionCount <= observations)) {
    throw new Error(`exceptions: must be an integer in [0, ${observations}], got ${exceptionCount}`);
  }
  const p = 1 - confidence;
  const x = exceptionCount;
  const t = observations;
  const phat = x / t;
  const lr = -2 * (xlogy(t - x, 1 - p) + xlogy(x, p)) + 2 * (xlogy(t - x, 1 - phat) + xlogy(x, phat));
  return { ...lrTest(lr, 1, significance), exceptions: x, expected: p * t };
}

export interface ChristoffersenTest {
  /** transitions: n[i][j] counts day t−1 in state i followed by day t in state j (1 = exception) */
  transitions: { n00: number; n01: number; n10: number; n11: number };
  independence: LikelihoodRatioTest;
  /** LR_POF + LR_ind ~ χ²(2) */
  conditionalCoverage: LikelihoodRatioTest;
  proportionOfFailures: LikelihoodRatioTest;
}

/** Christoffersen (1998): does an exception today make one tomorrow more likely, and is coverage right overall? */
export function christoffersenTest(hits: readonly boolean[], confidence: number, significance = 0.05): ChristoffersenTest {
  if (hits.length < 2) throw new Error(`christoffersenTest: need at least 2 days, got ${hits.length}`);
  let n00 = 0;
  let n01 = 0;
  let n10 = 0;
  let n11 = 0;
  for (let k = 1; k < hits.length; k++) {
    if (hits[k - 1]) hits[k] ? n11++ : n10++;
    else hits[k] ? n01++ : n00++;
  }
  const pi0 = n01 / (n00 + n01 || 1);
  const pi1 = n11 / (n10 + n11 || 1);
  const pi = (n01 + n11) / (n00 + n01 + n10 + n11);
  const restricted = xlogy(n00 + n10, 1 - pi) + xlogy(n01 + n11, pi);
  const unrestricted = xlogy(n00, 1 - pi0) + xlogy(n01, pi0) + xlogy(n10, 1 - pi1) + xlogy(n11, pi1);
  const lrInd = -2 * (restricted - unrestricted);
  const pof = kupiecTest(
    hits.reduce((s, h) => s + (h ? 1 : 0), 0),
    hits.length,
    confidence,
    significance,
  );
  return {
    transitions: { n00, n01, n10, n11 },
    independence: lrTest(lrInd, 1, significance),
    conditionalCoverage: lrTest(pof.statistic + Math.max(0, lrInd), 2, significance),
    proportionOfFailures: lrTest(pof.statistic, 1, significance),
  };
}

export type TrafficLightZone = "GREEN" | "YELLOW" | "RED";

export interface TrafficLight {
  zone: TrafficLightZone;
  exceptions: number;
  /** P(X ≤ exceptions) for X ~ Binomial(T, 1 − confidence) under an accurate model */
  cumulativeProbability: number;
  /** Basel plus factor added to the capital multiplier of 3 (defined for 250 days at 99 %) */
  plusFactor?: number;
}

// Basel Committee (1996), "Supervisory framework for the use of backtesting", Table 2: yellow zone plus factors.
const plusFactors250: Record<number, number> = { 5: 0.4, 6: 0.5, 7: 0.65, 8: 0.75, 9: 0.85 };

/** Zones by the binomial cumulative probability: green below 95 %, red from 99.99 % (Basel 1996). */
export function trafficLight(exceptionCount: number, observations = 250, confidence = 0.99): TrafficLight {
  requireConfidence(confidence);
  if (!(Number.isSafeInteger(exceptionCount) && exceptionCount >= 0 && exceptionCount <= observations)) {
    throw new Error(`exceptions: must be an integer in [0, ${observations}], got ${exceptionCount}`);
  }
  const cumulativeProbability = binomialCdf(exceptionCount, observations, 1 - confidence);
  const zone: TrafficLightZone = cumulativeProbability < 0.95 ? "GREEN" : cumulativeProbability < 0.9999 ? "YELLOW" : "RED";
  const out: TrafficLight = { zone, exceptions: exceptionCount, cumulativeProbability };
  if (observations === 250 && Math.abs(confidence - 0.99) < 1e-12)
    out.plusFactor = zone === "GREEN" ? 0 : zone === "RED" ? 1 : plusFactors250[exceptionCount]!;
  return out;
}
