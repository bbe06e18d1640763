import { z } from "zod";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, instrument, int, obj, str } from "../validation.ts";
import type { Services } from "./context.ts";

/**
 * Risk.GetRiskAnalytics and Portfolio.GetPerformanceAttribution: GetRiskAnalytics to the book's risk book
 * (am.cmd.risk-book.<book>), its sections mapped onto the proto messages of risk.proto. The book checks what only it
 * knows (scenario names); the gateway checks ranges first so a bad request never reaches it.
 */

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const optionalNum = (v: unknown): { value?: number } => (typeof v === "number" && Number.isFinite(v) ? { value: v } : {});
const numberMap = (v: unknown): Record<string, number> =>
  Object.fromEntries(Object.entries(obj(v)).flatMap(([k, x]) => (typeof x === "number" && Number.isFinite(x) ? [[k, x]] : [])));
const available = (s: Record<string, unknown>) => ({ available: s.available === true, reason: str(s.reason) });
const lrTest = (v: unknown) => {
  const x = obj(v);
  return { statistic: num(x.statistic), degreesOfFreedom: int(x.degreesOfFreedom), pValue: num(x.pValue), rejected: x.rejected === true };
};
// a proto3 optional field is set only when present
const opt = (name: string, v: unknown) => {
  const o = optionalNum(v);
  return o.value === undefined ? {} : { [name]: o.value };
};

const finite = z.number().refine(Number.isFinite, "must be finite");
const hypothetical = z.object({
  name: z.string().min(1, "required").max(64, "at most 64 characters"),
  description: z.string().max(256, "at most 256 characters"),
  factorShocks: z.record(z.string(), finite),
  instrumentShocks: z
    .record(
      z.string(),
      finite.refine((r) => r >= -1, "a return of at least -1"),
    )
    .superRefine((m, ctx) => {
      for (const k of Object.keys(m))
        if (!instrument.safeParse(k).success) ctx.addIssue({ code: "custom", path: [k], message: "key must be SYMBOL.VENUE" });
    }),
});

export const riskAnalyticsRequest = z.object({
  book: actorId,
  confidence: z
    .number()
    .refine((c) => c === 0 || (c > 0.5 && c < 1), "must be in (0.5, 1)")
    .transform((c) => c || 0.99),
  paths: z
    .number()
    .int()
    .refine((p) => p === 0 || (p >= 100 && p <= 20_000), "must be in [100, 20000]")
    .transform((p) => p || 2_000),
  seed: z.number().int().min(0).optional(),
  scenarios: z.array(z.string().min(1, "must not be empty").max(64, "at most 64 characters")).max(32, "at most 32"),
  hypothetical: z.array(hypothetical).max(16, "at most 16"),
});
type AnalyticsRequest = z.output<typeof riskAnalyticsRequest>;

/** Asks the book for its analytics. */
export async function bookAnalytics(
  s: Services,
  r: AnalyticsRequest,
  remainingMs: number,
  nowUs: number,
): Promise<Record<string, unknown>> {
  const message = {
    type: "GetRiskAnalytics",
    confidence: r.confidence,
    paths: r.paths,
    seed: r.seed ?? 1,
    ...(r.scenarios.length > 0 ? { scenarios: r.scenarios } : {}),
    hypothetical: r.hypothetical.map((h) => ({
      name: h.name,
      description: h.description,
      factorShocks: h.factorShocks,
      ...(Object.keys(h.instrumentShocks).length > 0 ? { instrumentShocks: h.instrumentShocks } : {}),
    })),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return obj(await s.bus.command(subjects.cmd("risk-book", r.book), message, remainingMs));
}

function valueAtRiskOut(v: unknown) {
  const s = obj(v);
  return {
    ...available(s),
    confidence: num(s.confidence),
    horizonUs: int(s.horizonUs),
    samples: int(s.samples),
    paths: int(s.paths),
    seed: int(s.seed),
    estimates: arr(s.estimates).map((e) => {
      const x = obj(e);
      return {
        method: str(x.method),
        valueAtRisk: num(x.valueAtRisk),
        expectedShortfall: num(x.expectedShortfall),
        note: str(x.note),
        degreesOfFreedom: num(x.degreesOfFreedom),
      };
    }),
  };
}

function backtestOut(v: unknown) {
  const s = obj(v);
  const c = obj(s.christoffersen);
  const light = obj(s.trafficLight);
  return {
    ...available(s),
    confidence: num(s.confidence),
    observations: int(s.observations),
    exceptions: int(s.exceptions),
    kupiec: lrTest(s.kupiec),
    christoffersenIndependence: lrTest(c.independence),
    christoffersenConditionalCoverage: lrTest(c.conditionalCoverage),
    trafficLight: str(light.zone),
    cumulativeProbability: num(light.cumulativeProbability),
    ...opt("plusFactor", light.plusFactor),
    series: arr(s.series).map((p) => {
      const x = obj(p);
      return { tsUs: int(x.tsUs), forecast: num(x.forecast), pnl: num(x.pnl) };
    }),
  };
}

function contributionsOut(v: unknown) {
  const s = obj(v);
  return {
    ...available(s),
    confidence: num(s.confidence),
    valueAtRisk: num(s.valueAtRisk),
    expectedShortfall: num(s.expectedShortfall),
    historicalValueAtRisk: num(s.historicalValueAtRisk),
    historicalExpectedShortfall: num(s.historicalExpectedShortfall),
    positions: arr(s.positions).map((p) => {
      const x = obj(p);
      return {
        instrument: str(x.instrument),
        exposure: num(x.exposure),
        marginalVar: num(x.marginalVar),
        componentVar: num(x.componentVar),
        componentEs: num(x.componentEs),
        historicalComponentVar: num(x.historicalComponentVar),
        historicalComponentEs: num(x.historicalComponentEs),
      };
    }),
  };
}

function stressOut(v: unknown) {
  const s = obj(v);
  return {
    ...available(s),
    note: str(s.note),
    limits: arr(s.limits).map((l) => {
      const x = obj(l);
      return { limit: str(x.limit), hard: num(x.hard), used: num(x.used) };
    }),
    scenarios: arr(s.scenarios).map((r) => {
      const x = obj(r);
      return {
        scenario: str(x.scenario),
        kind: str(x.kind),
        pnl: num(x.pnl),
        positions: arr(x.positions).map((p) => ({ instrument: str(obj(p).instrument), pnl: num(obj(p).pnl) })),
        limits: arr(x.limits).map((l) => {
          const y = obj(l);
          return {
            limit: str(y.limit),
            loss: num(y.loss),
            maxLoss: num(y.maxLoss),
            usedPct: num(y.usedPct),
            breached: y.breached === true,
          };
        }),
      };
    }),
    reverse: arr(s.reverse).map((r) => {
      const x = obj(r);
      return {
        limit: str(x.limit),
        maxLoss: num(x.maxLoss),
        scenario: str(x.scenario),
        ...opt("scale", x.scale),
        factorShocks: numberMap(x.factorShocks),
      };
    }),
    mostLikelyBreach: arr(s.mostLikelyBreach).map((m) => {
      const x = obj(m);
      return {
        limit: str(x.limit),
        maxLoss: num(x.maxLoss),
        mahalanobisDistance: num(x.mahalanobisDistance),
        instrumentReturns: Object.fromEntries(arr(x.moves).map((mv) => [str(obj(mv).instrument), num(obj(mv).return)])),
      };
    }),
  };
}

function counterpartyOut(v: unknown) {
  const s = obj(v);
  const credit = obj(s.credit);
  const nums = (a: unknown) => arr(a).map(num);
  return {
    ...available(s),
    paths: int(s.paths),
    hazardRate: num(credit.hazardRate),
    recoveryRate: num(credit.recoveryRate),
    riskFreeRate: num(credit.riskFreeRate),
    counterparties: arr(s.counterparties).map((c) => {
      const x = obj(c);
      const own = obj(x.credit);
      const csa = x.collateral ? obj(x.collateral) : undefined;
      return {
        counterparty: str(x.counterparty),
        times: nums(x.times),
        expectedExposure: nums(x.expectedExposure),
        potentialFutureExposure: nums(x.potentialFutureExposure),
        expectedExposureGross: nums(x.expectedExposureGross),
        cva: num(x.cva),
        hazardRate: num(own.hazardRate),
        recoveryRate: num(own.recoveryRate),
        riskFreeRate: num(own.riskFreeRate),
        ...(csa
          ? {
              collateral: {
                threshold: num(csa.threshold),
                minimumTransfer: num(csa.minimumTransfer),
                independentAmount: num(csa.independentAmount),
                marginPeriodDays: num(csa.marginPeriodDays),
              },
            }
          : {}),
      };
    }),
  };
}

export function performanceOut(book: string, v: unknown) {
  const s = obj(v);
  const f = obj(s.marketFactor);
  return {
    book,
    ...available(s),
    // a note (too few equity samples for the ratios) where the section has one
    ...(s.available === true && str(s.note) ? { reason: str(s.note) } : {}),
    periods: int(s.periods),
    periodsPerYear: num(s.periodsPerYear),
    ...opt("sharpe", s.sharpe),
    ...opt("sortino", s.sortino),
    ...opt("calmar", s.calmar),
    maxDrawdown: num(s.maxDrawdown),
    ...opt("annualisedReturn", s.annualisedReturn),
    pnlByInstrument: numberMap(s.pnlByInstrument),
    pnlByStrategy: numberMap(s.pnlByStrategy),
    ...(s.marketFactor
      ? {
          marketFactor: {
            alpha: num(f.alpha),
            beta: num(f.beta),
            contribution: num(f.contribution),
            rSquared: num(f.rSquared),
            residualVolatility: num(f.residualVolatility),
          },
        }
      : {}),
  };
}

export function riskAnalyticsOut(book: string, a: Record<string, unknown>) {
  return {
    book: str(a.book) || book,
    asOfUs: int(a.asOfUs),
    valueAtRisk: valueAtRiskOut(a.valueAtRisk),
    backtest: backtestOut(a.backtest),
    contributions: contributionsOut(a.contributions),
    stress: stressOut(a.stress),
    counterparty: counterpartyOut(a.counterparty),
    performance: performanceOut(book, a.performance),
  };
}

export function riskAnalyticsRpcs(s: Services): ServiceRpcs {
  return {
    GetRiskAnalytics: unary({
      role: Role.Viewer,
      request: riskAnalyticsRequest,
      async handle(req, ctx) {
        return riskAnalyticsOut(req.book, await bookAnalytics(s, req, ctx.remainingMs(), ctx.nowUs()));
      },
    }),
  };
}

/** Portfolio.GetPerformanceAttribution: the cheapest analytics request (Monte Carlo at its floor of 100 paths). */
export function performanceRpcs(s: Services): ServiceRpcs {
  return {
    GetPerformanceAttribution: unary({
      role: Role.Viewer,
      request: z.object({ book: actorId }),
      async handle(req, ctx) {
        const request = { book: req.book, confidence: 0.99, paths: 100, scenarios: [], hypothetical: [] };
        const a = await bookAnalytics(s, request, ctx.remainingMs(), ctx.nowUs());
        return performanceOut(req.book, a.performance);
      },
    }),
  };
}
