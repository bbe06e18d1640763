/**
 * Portfolio rebalancer: every `rebalanceEveryBars` bars it estimates the covariance of its instruments' returns
 * (Ledoit-Wolf shrinkage over the last `lookbackBars` bars), asks the chosen optimiser for target weights, and
 * holds `weight × capital / price` of each instrument. The targets become orders through the risk book like any
 * strategy's (targetToOrders); an instrument whose weight moved less than `minTradeWeight` is left alone, so
 * noise in the estimate does not become turnover.
 *
 * Methods: equal risk contribution (risk-parity), hierarchical risk parity (hrp), minimum variance and
 * mean-variance (sample mean returns, risk aversion γ) under long-only, box, gross and turnover constraints,
 * solved by HiGHS. Bars of every instrument arrive one by one; the first instrument's bars are the schedule.
 *
 * Approval: `approval: "automatic"` (default) trades at once; `"operator"` publishes the rebalance as a proposal
 * (trades with their weights and estimated costs, and the objective's figures) that an operator approves or
 * rejects within `proposalTtlMs` (actors/strategy/proposals.ts).
 */
import { z } from "zod";
import { type Bar, type PortfolioProposal, toNumber } from "../../domain/index.ts";
import {
  hierarchicalRiskParity,
  ledoitWolfCovariance,
  loadQuadraticSolver,
  meanVarianceNow,
  riskParity,
  type WeightConstraints,
} from "../../portfolio/index.ts";
import {
  type Intents,
  noIntents,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
  type StrategyInstrument,
  type TargetIntent,
} from "../strategy.ts";
import { toLots } from "./grid.ts";

// The mean-variance methods solve in the bar handler, which cannot wait: HiGHS is loaded with the module.
await loadQuadraticSolver();

export const PortfolioMethod = {
  RiskParity: "risk-parity",
  HierarchicalRiskParity: "hrp",
  MinimumVariance: "min-variance",
  MeanVariance: "mean-variance",
} as const;
export type PortfolioMethod = (typeof PortfolioMethod)[keyof typeof PortfolioMethod];

export const portfolioRebalancerParameters = z.object({
  method: z
    .enum([
      PortfolioMethod.RiskParity,
      PortfolioMethod.HierarchicalRiskParity,
      PortfolioMethod.MinimumVariance,
      PortfolioMethod.MeanVariance,
    ])
    .default(PortfolioMethod.RiskParity),
  /** returns the covariance is estimated from */
  lookbackBars: z.number().int().min(10).max(10_000).default(60),
  rebalanceEveryBars: z.number().int().min(1).default(30),
  /** account currency the weights apply to */
  capital: z.number().positive().default(100_000),
  /** largest weight of one instrument (min-variance and mean-variance; 1 = no box) */
  maxWeight: z.number().positive().max(1).default(1),
  /** Σ|w| (min-variance and mean-variance); the risk-parity methods are fully invested, long only */
  gross: z.number().positive().default(1),
  /** Σ|w − current| at one rebalance (min-variance and mean-variance); absent = no bound */
  maxTurnover: z.number().positive().optional(),
  /** γ of mean-variance */
  riskAversion: z.number().positive().default(10),
  /** a weight change smaller than this is not traded */
  minTradeWeight: z.number().min(0).max(1).default(0.01),
  /** automatic: trade each rebalance at once; operator: propose it and trade only what an operator approves */
  approval: z.enum(["automatic", "operator"]).default("automatic"),
  /** how long a proposal waits for an operator before it lapses */
  proposalTtlMs: z.number().int().min(1_000).max(86_400_000).default(600_000),
  /** the cost estimate shown on a proposal, basis points of the traded notional (spread, fees, impact) */
  costBps: z.number().min(0).max(1_000).default(5),
});
export type PortfolioRebalancerParameters = z.output<typeof portfolioRebalancerParameters>;

/** The optimiser's answer for the current returns, or why there is none. */
export function targetWeights(
  returns: readonly (readonly number[])[],
  current: readonly number[],
  p: PortfolioRebalancerParameters,
): number[] {
  const { covariance } = ledoitWolfCovariance(returns);
  switch (p.method) {
    case PortfolioMethod.RiskParity:
      return riskParity(covariance).weights;
    case PortfolioMethod.HierarchicalRiskParity:
      return hierarchicalRiskParity(covariance).weights;
    case PortfolioMethod.MinimumVariance:
    case PortfolioMethod.MeanVariance: {
      const n = covariance.length;
      const constraints: WeightConstraints = {
        lower: 0,
        upper: p.maxWeight,
        net: { min: Math.min(1, p.gross), max: Math.min(1, p.gross) },
        gross: p.gross,
        ...(p.maxTurnover !== undefined ? { turnover: { current, max: p.maxTurnover } } : {}),
      };
      const expectedReturns =
        p.method === PortfolioMethod.MeanVariance
          ? Array.from({ length: n }, (_, i) => returns.reduce((a, r) => a + r[i]!, 0) / returns.length)
          : undefined;
      return meanVarianceNow({ covariance, constraints, riskAversion: p.riskAversion, ...(expectedReturns ? { expectedReturns } : {}) })
        .weights;
    }
  }
}

/** What an operator sees of a rebalance: each trade's weights and cost, and the portfolio's figures at the target. */
function proposalOf(
  returns: readonly (readonly number[])[],
  current: readonly number[],
  weights: readonly number[],
  last: readonly number[],
  targets: readonly TargetIntent[],
  ctx: StrategyContext<PortfolioRebalancerParameters>,
): PortfolioProposal {
  const p = ctx.params;
  const ids = ctx.instruments.map((i) => i.id);
  const { covariance } = ledoitWolfCovariance(returns);
  let variance = 0;
  for (let i = 0; i < weights.length; i++)
    for (let j = 0; j < weights.length; j++) variance += weights[i]! * covariance[i]![j]! * weights[j]!;
  const means = ids.map((_, i) => returns.reduce((a, r) => a + r[i]!, 0) / returns.length);
  const trades = targets.map((t) => {
    const i = ids.indexOf(t.instrument);
    const held = ctx.position(t.instrument);
    const traded = Math.abs(toNumber(t.quantity) - toNumber(held)) * last[i]!;
    return {
      instrument: t.instrument,
      currentQuantity: held,
      targetQuantity: t.quantity,
      currentWeight: current[i]!,
      targetWeight: weights[i]!,
      estimatedCost: (traded * p.costBps) / 10_000,
    };
  });
  return {
    method: p.method,
    capital: p.capital,
    objective: {
      expectedReturn: means.reduce((a, m, i) => a + m * weights[i]!, 0),
      variance,
      volatility: Math.sqrt(variance),
      turnover: weights.reduce((a, w, i) => a + Math.abs(w - current[i]!), 0),
      estimatedCost: trades.reduce((a, t) => a + t.estimatedCost, 0),
    },
    trades,
  };
}

class PortfolioRebalancer implements Strategy<PortfolioRebalancerParameters> {
  /** each instrument's latest closes, oldest first, lookbackBars + 1 of them at most */
  private closes = new Map<string, number[]>();
  private barsSinceRebalance = 0;

  constructor(
    private p: PortfolioRebalancerParameters,
    private readonly instruments: readonly StrategyInstrument[],
  ) {
    if (instruments.length < 2) throw new Error(`portfolio rebalancer: instruments: needs at least 2, got ${instruments.length}`);
    this.reset();
  }

  private reset(): void {
    this.closes = new Map(this.instruments.map((i) => [i.id, []]));
    this.barsSinceRebalance = this.p.rebalanceEveryBars;
  }

  isReady(): boolean {
    for (const c of this.closes.values()) if (c.length < this.p.lookbackBars + 1) return false;
    return true;
  }

  onBar(bar: Bar, ctx: StrategyContext<PortfolioRebalancerParameters>): Intents {
    const closes = this.closes.get(bar.instrument);
    if (!closes) return noIntents;
    closes.push(toNumber(bar.close));
    if (closes.length > this.p.lookbackBars + 1) closes.shift();
    if (bar.instrument !== this.instruments[0]!.id) return noIntents;
    this.barsSinceRebalance++;
    if (this.barsSinceRebalance < this.p.rebalanceEveryBars || !this.isReady()) return noIntents;
    this.barsSinceRebalance = 0;
    return this.rebalance(ctx);
  }

  private rebalance(ctx: StrategyContext<PortfolioRebalancerParameters>): Intents {
    const p = this.p;
    const ids = this.instruments.map((i) => i.id);
    const series = ids.map((id) => this.closes.get(id)!);
    const returns = Array.from({ length: p.lookbackBars }, (_, t) => series.map((c) => c[t + 1]! / c[t]! - 1));
    const last = series.map((c) => c[c.length - 1]!);
    const current = ids.map((id, i) => (toNumber(ctx.position(id)) * last[i]!) / p.capital);
    const weights = targetWeights(returns, current, p);
    const targets: TargetIntent[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (Math.abs(weights[i]! - current[i]!) < p.minTradeWeight) continue;
      targets.push({
        kind: "target",
        instrument: ids[i]!,
        quantity: toLots((weights[i]! * p.capital) / last[i]!, ctx.instrument(ids[i]!).lotSize),
      });
    }
    if (p.approval === "automatic" || targets.length === 0) return targets;
    return [
      { kind: "propose", proposal: proposalOf(returns, current, weights, last, targets, ctx), targets, expiresInMs: p.proposalTtlMs },
    ];
  }

  onParameters(next: PortfolioRebalancerParameters, previous: PortfolioRebalancerParameters): void {
    this.p = next;
    if (next.lookbackBars !== previous.lookbackBars) this.reset();
  }
}

export const portfolioRebalancer: StrategyDefinition<PortfolioRebalancerParameters> = {
  name: "portfolio-rebalancer",
  parameters: portfolioRebalancerParameters,
  create: (params, instruments) => new PortfolioRebalancer(params, instruments),
};
