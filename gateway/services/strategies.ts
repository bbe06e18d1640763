import { z } from "zod";
import { SetStrategyParameters, StartStrategy, StopStrategy } from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, jsonObject, obj, reason, str } from "../validation.ts";
import type { Services } from "./context.ts";

/** JSON for result_json: bigint money as a decimal-free integer string, so nothing is lost. */
export const resultJson = (v: unknown): string =>
  v === undefined || v === null ? "" : JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

export function strategyRpcs(s: Services): ServiceRpcs {
  const cmd = (id: string, message: { type: string; [k: string]: unknown }, remainingMs: number) =>
    s.bus.command(subjects.cmd("strategy", id), message, remainingMs);
  return {
    ListStrategies: unary({
      role: Role.Viewer,
      request: z.object({}),
      async handle(_req, ctx) {
        // every node answers with the strategies it hosts (am.admin.list); a strategy moving between nodes may show twice
        const answers = await s.bus.gather(subjects.admin("list"), { kind: "strategy" }, ctx.remainingMs());
        const byId = new Map<string, { id: string; state: string; node: string }>();
        for (const answer of answers) {
          for (const a of arr(obj(answer).actors)) {
            const x = obj(a);
            const summary = obj(x.summary);
            // the strategy's own state (stopped, warmingUp, running ...) unless the actor is not running at all
            const state = str(x.status) === "running" && str(summary.state) ? str(summary.state) : str(x.status);
            const row = { id: str(x.id), state, node: str(x.node) };
            if (row.id && !(byId.has(row.id) && byId.get(row.id)!.state === "running")) byId.set(row.id, row);
          }
        }
        return { strategies: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)) };
      },
    }),
    DeployStrategy: unary({
      role: Role.Admin,
      request: z.object({ id: actorId, configJson: jsonObject }),
      async handle(req, ctx) {
        // the node validates the configuration (INVALID_ARGUMENT naming the field), stores it in KV and spawns it
        const result = await s.bus.admin(
          subjects.admin("deploy"),
          { kind: "strategy", id: req.id, config: req.configJson },
          ctx.remainingMs(),
        );
        return { id: req.id, resultJson: resultJson(result) };
      },
    }),
    StartStrategy: unary({
      role: Role.Operator,
      request: z.object({ id: actorId, reason }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const m = StartStrategy.schema.parse({ ...(req.reason ? { reason: req.reason } : {}), tsEvent: ts, tsInit: ts });
        return { id: req.id, resultJson: resultJson(await cmd(req.id, { type: StartStrategy.type, ...m }, ctx.remainingMs())) };
      },
    }),
    StopStrategy: unary({
      role: Role.Operator,
      request: z.object({ id: actorId, keepOpenOrders: z.boolean(), reason }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const m = StopStrategy.schema.parse({
          cancelOpenOrders: !req.keepOpenOrders,
          ...(req.reason ? { reason: req.reason } : {}),
          tsEvent: ts,
          tsInit: ts,
        });
        return { id: req.id, resultJson: resultJson(await cmd(req.id, { type: StopStrategy.type, ...m }, ctx.remainingMs())) };
      },
    }),
    SetParameters: unary({
      role: Role.Operator,
      request: z.object({
        id: actorId,
        parametersJson: jsonObject.refine((o) => Object.keys(o).length > 0, "name at least one parameter"),
      }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const m = SetStrategyParameters.schema.parse({
          parameters: req.parametersJson,
          by: ctx.principal.subject,
          tsEvent: ts,
          tsInit: ts,
        });
        return { id: req.id, resultJson: resultJson(await cmd(req.id, { type: SetStrategyParameters.type, ...m }, ctx.remainingMs())) };
      },
    }),
  };
}
