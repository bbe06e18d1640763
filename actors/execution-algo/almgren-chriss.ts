/**
 * The Almgren–Chriss optimal execution trajectory (Almgren & Chriss, "Optimal execution of portfolio transactions",
 * 2000), discrete form: selling X over N intervals of length τ, holdings after the k-th interval are
 *   x_k = X · sinh(κ(T − t_k)) / sinh(κT),   t_k = kτ, T = Nτ,
 * where κ solves (2/τ²)(cosh(κτ) − 1) = λσ²/η̃ and η̃ = η − γτ/2 (temporary impact net of the permanent one's
 * half-interval share). λ → 0 gives κ → 0 and the straight line x_k = X(1 − k/N): TWAP.
 */

export interface AlmgrenChrissInput {
  /** shares (or lots) to trade */
  quantity: number;
  /** number of trading intervals N */
  intervals: number;
  /** interval length τ, in the time unit σ is quoted in */
  tau: number;
  /** risk aversion λ ≥ 0 */
  riskAversion: number;
  /** volatility σ > 0 (price per √time unit) */
  volatility: number;
  /** temporary impact η > 0 */
  temporaryImpact: number;
  /** permanent impact γ ≥ 0 */
  permanentImpact: number;
}

/** κ of the discrete trajectory; 0 when λ = 0. Throws when η̃ ≤ 0 (the impact parameters admit no solution). */
export function urgency(p: AlmgrenChrissInput): number {
  const etaTilde = p.temporaryImpact - (p.permanentImpact * p.tau) / 2;
  if (!(etaTilde > 0))
    throw new RangeError(`temporaryImpact ${p.temporaryImpact} must exceed permanentImpact·τ/2 = ${(p.permanentImpact * p.tau) / 2}`);
  const kappaTildeSq = (p.riskAversion * p.volatility * p.volatility) / etaTilde;
  // cosh(κτ) = 1 + κ̃²τ²/2
  return Math.acosh(1 + (kappaTildeSq * p.tau * p.tau) / 2) / p.tau;
}

/** Holdings x_0 … x_N (x_0 = X, x_N = 0). */
export function holdings(p: AlmgrenChrissInput): number[] {
  if (!Number.isInteger(p.intervals) || p.intervals < 1) throw new RangeError(`intervals ${p.intervals} must be a positive integer`);
  if (!(p.tau > 0)) throw new RangeError(`tau ${p.tau} must be positive`);
  const kappa = urgency(p);
  const T = p.intervals * p.tau;
  return Array.from({ length: p.intervals + 1 }, (_, k) => {
    if (k === 0) return p.quantity;
    if (k === p.intervals) return 0;
    if (kappa * T < 1e-9) return p.quantity * (1 - k / p.intervals);
    return (p.quantity * Math.sinh(kappa * (T - k * p.tau))) / Math.sinh(kappa * T);
  });
}

/** The trade list n_k = x_{k−1} − x_k, k = 1 … N (what each interval sells); sums to the quantity. */
export function trajectory(p: AlmgrenChrissInput): number[] {
  const x = holdings(p);
  return x.slice(1).map((xk, i) => (x[i] ?? 0) - xk);
}
