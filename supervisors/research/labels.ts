/**
 * Forward-return labels of a dataset row. A row's features are those of the bar it is taken at (its entry: that
 * bar's close, at t0); its label reads the bars after it only, up to t1, the close time of the last bar it used.
 * [t0, t1] is the span purged cross-validation keeps apart from the test folds.
 *
 * - fixed-horizon: the return from the entry close to the close `horizonBars` bars later.
 * - triple-barrier (López de Prado, Advances in Financial Machine Learning, ch. 3): the first of an upper barrier
 *   (profit taking, label 1), a lower barrier (stop loss, label −1) or the vertical barrier after `horizonBars`
 *   bars (label 0) that the closes touch. The barriers sit at ± a multiple of the row's volatility target: its
 *   vol20 factor (one bar's return volatility, point-in-time) scaled to the horizon by √horizonBars. A multiple of 0
 *   leaves that barrier out.
 */

export type LabelRule =
  | { kind: "fixed-horizon"; horizonBars: number }
  | { kind: "triple-barrier"; horizonBars: number; profitTaking: number; stopLoss: number };

export const Barrier = { Upper: "upper", Lower: "lower", Vertical: "vertical" } as const;
export type Barrier = (typeof Barrier)[keyof typeof Barrier];

export interface Label {
  /** close time of the last bar the label read (µs) */
  t1: number;
  /** return from the entry close to the close at t1 */
  ret: number;
  /** triple-barrier only: 1 profit taking, −1 stop loss, 0 vertical barrier */
  label?: -1 | 0 | 1;
  barrier?: Barrier;
}

export class LabelRuleError extends Error {
  override name = "LabelRuleError";
}

export function checkLabelRule(rule: LabelRule): LabelRule {
  if (!Number.isSafeInteger(rule.horizonBars) || rule.horizonBars < 1)
    throw new LabelRuleError(`label horizonBars must be a positive integer, got ${rule.horizonBars}`);
  if (rule.kind === "triple-barrier") {
    for (const f of ["profitTaking", "stopLoss"] as const)
      if (!(rule[f] >= 0 && Number.isFinite(rule[f]))) throw new LabelRuleError(`label ${f} must be a finite multiple ≥ 0, got ${rule[f]}`);
  }
  return rule;
}

/** One row's label in the making: fed the instrument's following bars until it resolves. */
export class PendingLabel {
  private bars = 0;
  private readonly upper: number;
  private readonly lower: number;

  /** `volatility`: the row's one-bar return volatility (its vol20), used by the triple barrier only */
  constructor(
    private readonly rule: LabelRule,
    private readonly entryClose: number,
    volatility: number,
  ) {
    const target = volatility * Math.sqrt(rule.horizonBars);
    this.upper = rule.kind === "triple-barrier" && rule.profitTaking > 0 ? rule.profitTaking * target : Number.POSITIVE_INFINITY;
    this.lower = rule.kind === "triple-barrier" && rule.stopLoss > 0 ? -rule.stopLoss * target : Number.NEGATIVE_INFINITY;
  }

  /** The next bar's close and close time; the label once this bar resolves it. */
  next(close: number, tsClose: number): Label | undefined {
    this.bars++;
    const ret = close / this.entryClose - 1;
    if (this.rule.kind === "fixed-horizon") return this.bars === this.rule.horizonBars ? { t1: tsClose, ret } : undefined;
    if (ret >= this.upper) return { t1: tsClose, ret, label: 1, barrier: Barrier.Upper };
    if (ret <= this.lower) return { t1: tsClose, ret, label: -1, barrier: Barrier.Lower };
    if (this.bars === this.rule.horizonBars) return { t1: tsClose, ret, label: 0, barrier: Barrier.Vertical };
    return undefined;
  }
}
