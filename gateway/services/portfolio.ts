import { z } from "zod";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, dec, int, limitOf, obj } from "../validation.ts";
import type { Services } from "./context.ts";
import { proposalRpcs } from "./proposals.ts";
import { performanceRpcs } from "./risk-analytics.ts";
import { pnlOut, positionsOut, RiskCommand, riskReport } from "./risk.ts";

export function portfolioRpcs(s: Services): ServiceRpcs {
  return {
    GetPositions: unary({
      role: Role.Viewer,
      request: z.object({ book: actorId }),
      async handle(req, ctx) {
        const r = await riskReport(s, req.book, ctx.remainingMs(), ctx.nowUs());
        return { book: req.book, positions: positionsOut(r.positions) };
      },
    }),
    GetPnl: unary({
      role: Role.Viewer,
      request: z.object({ book: actorId }),
      async handle(req, ctx) {
        return pnlOut(req.book, await riskReport(s, req.book, ctx.remainingMs(), ctx.nowUs()));
      },
    }),
    GetEquityCurve: unary({
      role: Role.Viewer,
      request: z
        .object({
          book: actorId,
          fromUs: z.number().int().min(0, "must not be negative"),
          toUs: z.number().int().min(0, "must not be negative"),
          limit: limitOf(1000, 10_000),
        })
        .refine((r) => r.toUs === 0 || r.toUs > r.fromUs, { message: "must be after from_us", path: ["toUs"] }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const result = await s.bus.command(
          subjects.cmd("risk-book", req.book),
          { type: RiskCommand.GetEquityCurve, fromUs: req.fromUs, toUs: req.toUs || ts, limit: req.limit, tsEvent: ts, tsInit: ts },
          ctx.remainingMs(),
        );
        const points = arr(obj(result).points ?? result).map((p) => {
          const x = obj(p);
          return { tsUs: int(x.tsUs ?? x.tsEvent), equity: dec(x.equity) };
        });
        return { book: req.book, points: points.slice(0, req.limit) };
      },
    }),
    ...performanceRpcs(s),
    ...proposalRpcs(s),
  };
}
