import { z } from "zod";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { invalidArgument } from "../errors.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, dec, instrument, int, obj, optionalMoney, optionalQuantity, reason, str } from "../validation.ts";
import type { Services } from "./context.ts";
import { riskAnalyticsRpcs } from "./risk-analytics.ts";

/**
 * Commands of the risk book actor (am.cmd.risk-book.<book>). The risk helper defines their schemas in
 * actors/domain/messages/risk.ts; until that lands on main the gateway names them here and builds the same shapes.
 */
export const RiskCommand = {
  GetRiskReport: "GetRiskReport",
  GetRiskLimits: "GetRiskLimits",
  SetRiskLimits: "SetRiskLimits",
  EngageKillSwitch: "EngageKillSwitch",
  ReleaseKillSwitch: "ReleaseKillSwitch",
  GetEquityCurve: "GetEquityCurve",
} as const;

const level = z
  .object({ hard: optionalMoney, warn: optionalMoney })
  .nullable()
  .transform((l, ctx) => {
    if (!l || (l.hard === undefined && l.warn === undefined)) return undefined;
    if (l.hard === undefined) {
      ctx.addIssue({ code: "custom", path: ["hard"], message: "required when warn is set" });
      return z.NEVER;
    }
    if (l.warn !== undefined && l.warn > l.hard) {
      ctx.addIssue({ code: "custom", path: ["warn"], message: "must not exceed hard" });
      return z.NEVER;
    }
    return l.warn === undefined ? { hard: l.hard } : { hard: l.hard, warn: l.warn };
  });

const instrumentLimits = z.object({ maxOrderQuantity: optionalQuantity, maxOrderNotional: optionalMoney, maxPosition: optionalQuantity });

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const limitsRequest = z
  .object({
    maxOrderQuantity: optionalQuantity,
    maxOrderNotional: optionalMoney,
    maxPosition: optionalQuantity,
    instruments: z.record(z.string(), instrumentLimits),
    maxGrossExposure: level,
    maxNetExposure: level,
    maxDailyLoss: level,
    maxDrawdown: level,
    priceCollarBps: z.number().int().min(0).max(100_000, "at most 100000").optional(),
    collarReference: z.enum(["", "LAST", "MID"], { error: "must be LAST or MID" }),
    orderRate: z
      .object({ maxOrders: z.number().int().min(1, "must be at least 1"), windowUs: z.number().int().min(1, "must be positive") })
      .nullable(),
    reduceOnly: z.boolean(),
    warnPct: z.number().int().max(100, "at most 100"),
    regimeScale: z.object({ threshold: z.number(), factor: z.number(), holdBars: z.number().int() }).nullish(),
  })
  .superRefine((l, ctx) => {
    for (const k of Object.keys(l.instruments)) {
      if (!instrument.safeParse(k).success) ctx.addIssue({ code: "custom", path: ["instruments", k], message: "key must be SYMBOL.VENUE" });
    }
  })
  .transform((l) =>
    defined({
      maxOrderQuantity: l.maxOrderQuantity,
      maxOrderNotional: l.maxOrderNotional,
      maxPosition: l.maxPosition,
      instruments: Object.fromEntries(Object.entries(l.instruments).map(([k, v]) => [k, defined(v)])),
      maxGrossExposure: l.maxGrossExposure,
      maxNetExposure: l.maxNetExposure,
      maxDailyLoss: l.maxDailyLoss,
      maxDrawdown: l.maxDrawdown,
      priceCollarBps: l.priceCollarBps,
      collarReference: l.collarReference || undefined,
      orderRate: l.orderRate ?? undefined,
      reduceOnly: l.reduceOnly,
      warnPct: l.warnPct || undefined,
      regimeScale: l.regimeScale ?? undefined,
    }),
  );

const levelOut = (v: unknown) => {
  const l = obj(v);
  return l.hard === undefined ? null : { hard: dec(l.hard), warn: dec(l.warn) };
};

export function limitsOut(v: unknown) {
  const l = obj(v);
  const rate = obj(l.orderRate);
  const regime = obj(l.regimeScale);
  return {
    maxOrderQuantity: dec(l.maxOrderQuantity),
    maxOrderNotional: dec(l.maxOrderNotional),
    maxPosition: dec(l.maxPosition),
    instruments: Object.fromEntries(
      Object.entries(obj(l.instruments)).map(([k, i]) => {
        const x = obj(i);
        return [
          k,
          { maxOrderQuantity: dec(x.maxOrderQuantity), maxOrderNotional: dec(x.maxOrderNotional), maxPosition: dec(x.maxPosition) },
        ];
      }),
    ),
    maxGrossExposure: levelOut(l.maxGrossExposure),
    maxNetExposure: levelOut(l.maxNetExposure),
    maxDailyLoss: levelOut(l.maxDailyLoss),
    maxDrawdown: levelOut(l.maxDrawdown),
    ...(typeof l.priceCollarBps === "number" ? { priceCollarBps: l.priceCollarBps } : {}),
    collarReference: str(l.collarReference),
    orderRate: rate.maxOrders === undefined ? null : { maxOrders: int(rate.maxOrders), windowUs: int(rate.windowUs) },
    reduceOnly: l.reduceOnly === true,
    warnPct: int(l.warnPct),
    regimeScale:
      regime.threshold === undefined ? null : { threshold: regime.threshold, factor: regime.factor, holdBars: int(regime.holdBars) },
  };
}

/** Signed money or units: the report's positions may be short. */
export const positionsOut = (v: unknown) =>
  arr(v).map((p) => {
    const x = obj(p);
    return {
      instrument: str(x.instrument),
      leg: str(x.leg),
      quantity: dec(x.quantity),
      avgPrice: dec(x.avgPrice),
      mark: dec(x.mark),
      marketValue: dec(x.marketValue),
      cost: dec(x.cost),
      unrealisedPnl: dec(x.unrealisedPnl),
      realisedPnl: dec(x.realisedPnl),
      fees: dec(x.fees),
    };
  });

export function pnlOut(book: string, report: Record<string, unknown>) {
  const p = obj(report.pnl);
  return {
    book,
    tradingDay: str(report.tradingDay),
    cash: dec(p.cash),
    equity: dec(p.equity),
    realised: dec(p.realised),
    unrealised: dec(p.unrealised),
    fees: dec(p.fees),
    net: dec(p.net),
    daily: dec(p.daily),
    highWaterMark: dec(p.highWaterMark),
    drawdown: dec(p.drawdown),
  };
}

const killSwitchOut = (v: unknown) => {
  if (v === null || v === undefined) return { engaged: false, by: "", reason: "", sinceUs: 0 };
  const k = obj(v);
  return { engaged: k.engaged !== false, by: str(k.by), reason: str(k.reason), sinceUs: int(k.tsEvent ?? k.since ?? k.sinceUs) };
};

/** Asks the risk book of `book` for its report (GetPositions, GetPnl and GetRiskReport all read it). */
export async function riskReport(s: Services, book: string, remainingMs: number, nowUs: number): Promise<Record<string, unknown>> {
  return obj(
    await s.bus.command(subjects.cmd("risk-book", book), { type: RiskCommand.GetRiskReport, tsEvent: nowUs, tsInit: nowUs }, remainingMs),
  );
}

const scope = z
  .enum(["KILL_SWITCH_SCOPE_UNSPECIFIED", "KILL_SWITCH_SCOPE_BOOK", "KILL_SWITCH_SCOPE_GLOBAL", "KILL_SWITCH_SCOPE_STRATEGY"])
  .transform((s) => (s === "KILL_SWITCH_SCOPE_GLOBAL" ? "GLOBAL" : s === "KILL_SWITCH_SCOPE_STRATEGY" ? "STRATEGY" : "BOOK"));
const strategyOfScope = (r: { scope: string; strategy?: string | undefined }, ctx: z.RefinementCtx) => {
  if (r.scope === "STRATEGY" && !r.strategy)
    ctx.addIssue({ code: "custom", path: ["strategy"], message: "required with KILL_SWITCH_SCOPE_STRATEGY" });
};
const strategyField = z
  .string()
  .max(64)
  .optional()
  .transform((s) => s || undefined);

export function riskRpcs(s: Services): ServiceRpcs {
  const cmd = async (book: string, message: { type: string; [k: string]: unknown }, remainingMs: number) =>
    s.bus.command(subjects.cmd("risk-book", book), message, remainingMs);
  return {
    GetLimits: unary({
      role: Role.Viewer,
      request: z.object({ book: actorId }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        return limitsOut(await cmd(req.book, { type: RiskCommand.GetRiskLimits, tsEvent: ts, tsInit: ts }, ctx.remainingMs()));
      },
    }),
    SetLimits: unary({
      role: Role.Admin,
      request: z.object({
        book: actorId,
        limits: z.unknown().transform((v, c) => {
          if (v === null || v === undefined) {
            c.addIssue({ code: "custom", message: "required" });
            return z.NEVER;
          }
          return v;
        }),
        reason,
      }),
      async handle(req, ctx) {
        const parsed = limitsRequest.safeParse(req.limits);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw invalidArgument(
            `limits.${issue.path.map((p) => String(p).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(".")}: ${issue.message}`,
          );
        }
        const ts = ctx.nowUs();
        const result = await cmd(
          req.book,
          {
            type: RiskCommand.SetRiskLimits,
            limits: parsed.data,
            by: ctx.principal.subject,
            ...(req.reason ? { reason: req.reason } : {}),
            tsEvent: ts,
            tsInit: ts,
          },
          ctx.remainingMs(),
        );
        // The book answers with its limits after the change; an empty answer echoes what was set.
        return limitsOut(result ?? parsed.data);
      },
    }),
    GetRiskReport: unary({
      role: Role.Viewer,
      request: z.object({ book: actorId }),
      async handle(req, ctx) {
        const r = await riskReport(s, req.book, ctx.remainingMs(), ctx.nowUs());
        const ks = obj(r.killSwitch);
        return {
          book: str(r.book) || req.book,
          tradingDay: str(r.tradingDay),
          positions: positionsOut(r.positions),
          pnl: pnlOut(req.book, r),
          limits: arr(r.limits).map((l) => {
            const x = obj(l);
            return {
              limit: str(x.limit),
              value: dec(x.value),
              warn: dec(x.warn),
              hard: dec(x.hard),
              usedPct: typeof x.usedPct === "number" ? x.usedPct : 0,
              level: str(x.level),
            };
          }),
          bookKillSwitch: killSwitchOut(ks.book),
          globalKillSwitch: killSwitchOut(ks.global),
        };
      },
    }),
    EngageKillSwitch: unary({
      role: Role.Operator,
      request: z
        .object({ book: actorId, scope, strategy: strategyField, reason: reason.min(1, "required: say why the kill switch is engaged") })
        .superRefine(strategyOfScope),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const of = req.scope === "STRATEGY" ? { strategy: req.strategy } : {};
        await cmd(
          req.book,
          {
            type: RiskCommand.EngageKillSwitch,
            scope: req.scope,
            ...of,
            by: ctx.principal.subject,
            reason: req.reason,
            tsEvent: ts,
            tsInit: ts,
          },
          ctx.remainingMs(),
        );
        return { book: req.book, scope: `KILL_SWITCH_SCOPE_${req.scope}`, engaged: true };
      },
    }),
    ReleaseKillSwitch: unary({
      role: Role.Operator,
      request: z.object({ book: actorId, scope, strategy: strategyField, reason }).superRefine(strategyOfScope),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const of = req.scope === "STRATEGY" ? { strategy: req.strategy } : {};
        await cmd(
          req.book,
          {
            type: RiskCommand.ReleaseKillSwitch,
            scope: req.scope,
            ...of,
            by: ctx.principal.subject,
            ...(req.reason ? { reason: req.reason } : {}),
            tsEvent: ts,
            tsInit: ts,
          },
          ctx.remainingMs(),
        );
        return { book: req.book, scope: `KILL_SWITCH_SCOPE_${req.scope}`, engaged: false };
      },
    }),
    ...riskAnalyticsRpcs(s),
  };
}
