import { gammaln } from "simple-statistics";

/**
 * Bayesian online changepoint detection (Adams and MacKay 2007, arXiv:0710.3742) for a series of Normal
 * observations with unknown mean and variance: a Normal-Gamma prior per run, so each run's predictive is a Student
 * t, and a constant hazard (the prior probability that any one observation starts a new run).
 *
 * The posterior over the run length r (observations since the last change) is kept in log space up to
 * `maxRunLength`; longer runs are dropped (their mass is negligible by then, and a bar costs O(maxRunLength)).
 * Under a constant hazard P(r = 0 | data) is the hazard itself whatever the data, so the change signal reported is
 * P(r ≤ window | data): the probability that the regime began within the last `window` observations.
 */
export interface NormalGammaPrior {
  mu: number;
  kappa: number;
  alpha: number;
  beta: number;
}

export interface ChangepointSettings {
  /** probability that an observation starts a new run, e.g. 1/250 */
  hazard: number;
  prior: NormalGammaPrior;
  maxRunLength: number;
  /** a change within this many observations counts as recent */
  window: number;
}

/** Plain data (arrays indexed by run length), so an actor's context holding it stays serialisable. */
export interface ChangepointState {
  /** log P(r | observations so far), index = run length */
  logRun: number[];
  mu: number[];
  kappa: number[];
  alpha: number[];
  beta: number[];
  observations: number;
}

export interface RunLengthView {
  /** the most probable run length (MAP) */
  runLength: number;
  expectedRunLength: number;
  /** P(r ≤ window): a change within the last `window` observations */
  changeProbability: number;
  /** the MAP run's posterior mean and standard deviation of the observations */
  mean: number;
  deviation: number;
}

export class ChangepointSettingsError extends Error {
  override name = "ChangepointSettingsError";
}

export function checkChangepointSettings(s: ChangepointSettings): ChangepointSettings {
  if (!(s.hazard > 0 && s.hazard < 1)) throw new ChangepointSettingsError(`hazard must be in (0, 1), got ${s.hazard}`);
  if (!Number.isSafeInteger(s.maxRunLength) || s.maxRunLength < 2)
    throw new ChangepointSettingsError(`maxRunLength must be an integer ≥ 2, got ${s.maxRunLength}`);
  if (!Number.isSafeInteger(s.window) || s.window < 0 || s.window >= s.maxRunLength)
    throw new ChangepointSettingsError(`window must be an integer in [0, maxRunLength), got ${s.window}`);
  for (const f of ["kappa", "alpha", "beta"] as const)
    if (!(s.prior[f] > 0 && Number.isFinite(s.prior[f])))
      throw new ChangepointSettingsError(`prior.${f} must be positive, got ${s.prior[f]}`);
  if (!Number.isFinite(s.prior.mu)) throw new ChangepointSettingsError(`prior.mu must be finite, got ${s.prior.mu}`);
  return s;
}

export function initialChangepoint(prior: NormalGammaPrior): ChangepointState {
  return { logRun: [0], mu: [prior.mu], kappa: [prior.kappa], alpha: [prior.alpha], beta: [prior.beta], observations: 0 };
}

function logSumExp(xs: readonly number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

const LOG_PI = Math.log(Math.PI);

/**
 * log of the Student t predictive of a Normal-Gamma posterior at x (ν = 2α, scale² = β(κ + 1)/(ακ));
 * `logGammaRatio` is ln Γ(α + ½) − ln Γ(α).
 */
function logPredictive(x: number, mu: number, kappa: number, alpha: number, beta: number, logGammaRatio: number): number {
  const nu = 2 * alpha;
  const scale2 = (beta * (kappa + 1)) / (alpha * kappa);
  const z = ((x - mu) * (x - mu)) / (nu * scale2);
  return logGammaRatio - 0.5 * (Math.log(nu * scale2) + LOG_PI) - (alpha + 0.5) * Math.log1p(z);
}

/** The posterior after one more observation; `s` is not changed. */
export function observe(s: ChangepointState, x: number, settings: ChangepointSettings): ChangepointState {
  if (!Number.isFinite(x)) throw new ChangepointSettingsError(`an observation must be finite, got ${x}`);
  const { hazard, prior, maxRunLength } = settings;
  const n = s.logRun.length;
  const keep = Math.min(n + 1, maxRunLength);
  const joint = new Array<number>(n);
  // α grows by ½ with each observation of a run, so ln Γ(α + ½) − ln Γ(α) follows from the previous run's:
  // one gammaln per observation instead of two per run length
  let ratio = gammaln(s.alpha[0]! + 0.5) - gammaln(s.alpha[0]!);
  for (let r = 0; r < n; r++) {
    joint[r] = s.logRun[r]! + logPredictive(x, s.mu[r]!, s.kappa[r]!, s.alpha[r]!, s.beta[r]!, ratio);
    ratio = Math.log(s.alpha[r]!) - ratio;
  }
  const logRun = new Array<number>(keep);
  logRun[0] = logSumExp(joint) + Math.log(hazard);
  const grow = Math.log1p(-hazard);
  for (let r = 1; r < keep; r++) logRun[r] = joint[r - 1]! + grow;
  const z = logSumExp(logRun);
  for (let r = 0; r < keep; r++) logRun[r]! -= z;
  const mu = [prior.mu];
  const kappa = [prior.kappa];
  const alpha = [prior.alpha];
  const beta = [prior.beta];
  for (let r = 1; r < keep; r++) {
    const m = s.mu[r - 1]!;
    const k = s.kappa[r - 1]!;
    mu.push((k * m + x) / (k + 1));
    kappa.push(k + 1);
    alpha.push(s.alpha[r - 1]! + 0.5);
    beta.push(s.beta[r - 1]! + (k * (x - m) * (x - m)) / (2 * (k + 1)));
  }
  return { logRun, mu, kappa, alpha, beta, observations: s.observations + 1 };
}

export function runLengthView(s: ChangepointState, window: number): RunLengthView {
  let best = 0;
  let expected = 0;
  let recent = 0;
  for (let r = 0; r < s.logRun.length; r++) {
    const p = Math.exp(s.logRun[r]!);
    if (s.logRun[r]! > s.logRun[best]!) best = r;
    expected += r * p;
    if (r <= window) recent += p;
  }
  // the posterior mean of the variance β/(α − 1) exists for α > 1; the mode's β/α otherwise
  const a = s.alpha[best]!;
  const variance = s.beta[best]! / (a > 1 ? a - 1 : a);
  return {
    runLength: best,
    expectedRunLength: expected,
    changeProbability: Math.min(1, recent),
    mean: s.mu[best]!,
    deviation: Math.sqrt(variance),
  };
}
