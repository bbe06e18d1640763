/**
 * The book's analytics in its own turn: the VaR backtest record kept once per return sample, GetRiskAnalytics
 * answered from a float copy of the state, and the scheduled report published on the book's report subject.
 */
import { GetRiskAnalytics, toNumber } from "../domain/index.ts";
import { type Emitted, RuntimeError, subjects } from "../contract/index.ts";
import { analyticsInput } from "./analytics-input.ts";
import { riskAnalytics } from "./analytics-report.ts";
import { type AnalyticsRequest, AnalyticsRequestError, scheduledRequest } from "./analytics-settings.ts";
import type { RiskBookContext, RiskBookInputEvent } from "./machine.ts";
import { exposure, totals } from "./portfolio.ts";
import type { RiskBook } from "./state.ts";
import { recordVarSample } from "./var-history.ts";

/** Once per return sample: the interval it closes goes into the VaR backtest record, and the next is forecast. */
export function recordBacktest(ctx: RiskBookContext, book: RiskBook, nowUs: number): void {
  const expo = exposure(book.portfolio, book.instruments, ctx.marks, book.markSource);
  const held: Record<string, number> = {};
  for (const [i, line] of Object.entries(expo.byInstrument)) if (line.net !== 0n) held[i] = toNumber(line.net);
  const equity = toNumber(totals(book.portfolio, book.instruments, ctx.marks, book.markSource).equity);
  recordVarSample(ctx.varHistory, ctx.returns, held, equity, nowUs);
}

/** The book's analytics now, from a float copy of its state (analytics-input.ts). */
function analyticsNow(ctx: RiskBookContext, request: AnalyticsRequest, nowUs: number) {
  const input = analyticsInput(ctx.book, ctx.marks, ctx.returns, ctx.varHistory, ctx.equityCurve, nowUs);
  return riskAnalytics(input, request, ctx.analytics);
}

/**
 * GetRiskAnalytics: the schema's defaults apply to a request that arrives without them (in-process callers); a
 * request the book cannot run (an unknown scenario) is refused and changes nothing.
 */
export function answerAnalytics(ctx: RiskBookContext, e: RiskBookInputEvent & { type: "GetRiskAnalytics" }): Emitted {
  const parsed = GetRiskAnalytics.schema.safeParse({ tsEvent: e.nowUs, tsInit: e.nowUs, ...e });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { type: "reply", ok: false, error: { code: RuntimeError.Invalid, message: `${issue.path.join(".")}: ${issue.message}` } };
  }
  try {
    return { type: "reply", ok: true, result: analyticsNow(ctx, parsed.data, e.nowUs) };
  } catch (err) {
    if (err instanceof AnalyticsRequestError)
      return { type: "reply", ok: false, error: { code: RuntimeError.Invalid, message: err.message } };
    throw err;
  }
}

/** Tick: the scheduled report once its interval has passed, published for subscribers and the console. */
export function scheduledAnalytics(ctx: RiskBookContext, nowUs: number): { dueUs: number; report?: Emitted } {
  const everyUs = ctx.analytics.everyMs * 1000;
  if (everyUs <= 0) return { dueUs: 0 };
  if (ctx.analyticsDueUs === 0) return { dueUs: nowUs + everyUs };
  if (nowUs < ctx.analyticsDueUs) return { dueUs: ctx.analyticsDueUs };
  const report = analyticsNow(ctx, scheduledRequest, nowUs);
  return {
    dueUs: nowUs + everyUs,
    report: {
      type: "publish",
      subject: subjects.report("risk-book", ctx.book.book, "RiskAnalytics"),
      message: { type: "RiskAnalyticsReport", ...report, tsEvent: nowUs, tsInit: nowUs },
    },
  };
}
