import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { AmendAlgo, CancelAlgo, GetAlgo, PauseAlgo, ResumeAlgo, StartAlgo } from "../../actors/domain/index.ts";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import { estimateImpact, ImpactEstimateError, LIQUIDATION_STATE } from "../../actors/execution-algo/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { Role } from "../auth.ts";
import { GatewayError, invalidArgument } from "../errors.ts";
import { type CallContext, type ServiceRpcs, unary } from "../rpc.ts";
import {
  arr,
  dec,
  decimal,
  fieldError,
  instrument,
  int,
  obj,
  optionalPrice,
  optionalQuantity,
  protoEnum,
  reason,
  str,
  withPrefix,
} from "../validation.ts";
import type { Services } from "./context.ts";

/**
 * Execution algorithms and routed orders, part of the Trading service: a parent order is one execution-algo actor
 * (am.cmd.execution-algo.<parentId>), spawned through the admin API (placement picks its node) and then started;
 * the other RPCs are its commands, and ListAlgos gathers every node's execution-algo actors with their progress.
 * Errors name the proto's field (`twap.end_at_us`), including the actor's own checks of the parameters.
 */

const KIND = "execution-algo";
const parentIdField = z
  .string()
  .min(1, "required")
  .regex(/^[A-Za-z0-9_-]{1,40}$/, "1-40 of A-Z a-z 0-9 _ -");
/** The oneof `params` of StartAlgoRequest: its proto name → the domain's `algo`. */
const algoOfParams = {
  twap: "TWAP",
  vwap: "VWAP",
  pov: "POV",
  iceberg: "ICEBERG",
  shortfall: "IS",
  routed: "SOR",
  learned: "RL",
} as const;
type ParamsName = keyof typeof algoOfParams;
const paramsName = z.enum(Object.keys(algoOfParams) as [ParamsName, ...ParamsName[]], {
  error: `set one of ${Object.keys(algoOfParams).join(", ")}`,
});

const startRequest = z.object({
  parentId: parentIdField,
  instrument,
  side: protoEnum("SIDE_", ["BUY", "SELL"] as const),
  quantity: decimal,
  lotSize: decimal,
  limitPrice: optionalPrice,
  book: z.string().min(1, "required").max(64, "at most 64 characters"),
  strategy: z.string().min(1, "required").max(64, "at most 64 characters"),
  params: paramsName,
  twap: z.record(z.string(), z.unknown()).nullish(),
  vwap: z.record(z.string(), z.unknown()).nullish(),
  pov: z.record(z.string(), z.unknown()).nullish(),
  iceberg: z.record(z.string(), z.unknown()).nullish(),
  shortfall: z.record(z.string(), z.unknown()).nullish(),
  routed: z.record(z.string(), z.unknown()).nullish(),
  learned: z.record(z.string(), z.unknown()).nullish(),
});
type StartRequest = z.output<typeof startRequest>;

/** proto3 sends 0 for an unset number: the domain's default then applies. */
const set = (v: unknown): boolean => v !== 0 && v !== "" && v !== undefined && v !== null;

/** The set numeric fields of a params message, as the domain names them (without proto3's zeros). */
function numbersOf(p: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => set(p[n])).map((n) => [n, p[n]]));
}

/** The domain `params` of a request's oneof; VWAP without a profile takes the recorded volume curve. */
async function domainParams(s: Services, req: StartRequest, nowUs: number): Promise<Record<string, unknown>> {
  const p = req[req.params] ?? {};
  const algo = algoOfParams[req.params];
  const common = numbersOf(p, ["endAtUs", "slices", "participationCap", "minChildLots", "checkEveryMs"]);
  switch (req.params) {
    case "twap":
      return { algo, ...common };
    case "vwap": {
      const given = arr(p.profile);
      const profile = given.length > 0 ? given : await recordedProfile(s, req, common, int(p.profileDays) || 20, nowUs);
      return { algo, ...common, profile };
    }
    case "pov":
      return { algo, ...common, ...numbersOf(p, ["rate"]) };
    case "iceberg": {
      const display = optionalQuantity.safeParse(str(p.displayQuantity));
      if (!display.success) throw invalidArgument(fieldError(prefixed(display.error, ["iceberg", "displayQuantity"])));
      return { algo, ...common, ...(display.data !== undefined ? { displayQuantity: display.data } : {}) };
    }
    case "shortfall":
      return {
        algo,
        ...common,
        ...(await recordedImpact(s, req, p, int(p.impactDays) || 5, nowUs)),
        ...numbersOf(p, ["riskAversion", "volatility", "temporaryImpact", "permanentImpact"]),
        // λ = 0 is a valid choice (TWAP), not proto3's unset
        riskAversion: typeof p.riskAversion === "number" ? p.riskAversion : 0,
      };
    case "routed":
      return { algo, ...common, venues: arr(p.venues), ...numbersOf(p, ["latencyBpsPerMs", "missCostBps"]) };
    case "learned": {
      // required: the policy sees the spread in ticks, so there is no default to fall back on
      const tick = decimal.safeParse(str(p.tickSize));
      if (!tick.success) throw invalidArgument(fieldError(prefixed(tick.error, ["learned", "tickSize"])));
      return { algo, ...common, model: await servedPolicy(s, str(p.model)), tickSize: tick.data };
    }
  }
}

/**
 * A VWAP profile from the instrument's recorded trades: the volume curve over the horizon's time of day, one
 * weight per slice, averaged over the last `days` days (history.volumeProfile, QuestDB).
 */
async function recordedProfile(
  s: Services,
  req: StartRequest,
  horizon: Record<string, unknown>,
  days: number,
  nowUs: number,
): Promise<number[]> {
  const endAtUs = int(horizon.endAtUs);
  const slices = int(horizon.slices);
  // a horizon that cannot be scheduled gets a flat profile here, so the refusal names the horizon's own field
  if (!(endAtUs > nowUs) || slices < 1) return new Array<number>(Math.max(1, slices)).fill(1);
  if (!s.history?.volumeProfile)
    throw new GatewayError(Status.UNAVAILABLE, "vwap.profile: empty, and no history store is configured to derive it from recorded trades");
  return s.history.volumeProfile({ instrument: req.instrument, fromUs: nowUs, toUs: endAtUs, buckets: slices, days });
}

/**
 * σ, η and γ estimated from the instrument's recorded quotes and trades over `days` (estimateImpact), per slice of
 * the parent's horizon, when volatility or temporary impact is not given; what is given is kept (spread after this).
 */
async function recordedImpact(
  s: Services,
  req: StartRequest,
  p: Record<string, unknown>,
  days: number,
  nowUs: number,
): Promise<Record<string, number>> {
  if (set(p.volatility) && set(p.temporaryImpact)) return {};
  const endAtUs = int(p.endAtUs);
  const slices = int(p.slices);
  // a horizon that cannot be scheduled is refused by the algorithm's own checks, naming its field
  if (!(endAtUs > nowUs) || slices < 1) return {};
  if (!s.history?.impactHistory)
    throw new GatewayError(
      Status.UNAVAILABLE,
      "shortfall.volatility, shortfall.temporaryImpact: not given, and no history store is configured to estimate them from",
    );
  const sliceUs = Math.max(1_000, Math.floor((endAtUs - nowUs) / slices));
  const h = await s.history.impactHistory({ instrument: req.instrument, sliceUs, days, nowUs });
  try {
    const e = estimateImpact(h.slices, h.trades, h.sliceUs);
    return { volatility: e.volatility, temporaryImpact: e.temporaryImpact, permanentImpact: e.permanentImpact };
  } catch (e) {
    if (e instanceof ImpactEstimateError)
      throw new GatewayError(Status.FAILED_PRECONDITION, `shortfall: give volatility and temporaryImpact, or record more: ${e.message}`);
    throw e;
  }
}

/**
 * A learned parent's policy, checked before its actor is spawned: a model with a promoted version in the registry
 * (the one the platform serves) whose input is the liquidation state; otherwise the parent would pause at its first
 * slice, when the model does not answer or answers another question.
 */
async function servedPolicy(s: Services, model: string): Promise<string> {
  // the name's form is the algorithm's own check (it names learned.model)
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(model)) return model;
  const registry = await ModelRegistry.existing(s.nc).catch((e: unknown) => {
    throw new GatewayError(Status.UNAVAILABLE, `learned.model: the model registry cannot be read: ${errorMessage(e)}`);
  });
  const promoted = registry ? await registry.promotedVersion(model) : undefined;
  if (registry === undefined || promoted === undefined)
    throw new GatewayError(Status.FAILED_PRECONDITION, `learned.model: ${model} has no promoted version in the model registry`);
  const { card } = await registry.get(model, promoted);
  const f = card.featureSet;
  if (f.name !== LIQUIDATION_STATE.name || f.version !== LIQUIDATION_STATE.version)
    throw invalidArgument(
      `learned.model: ${model} v${promoted} takes ${f.name} v${f.version}, a learned parent asks with ${LIQUIDATION_STATE.name} v${LIQUIDATION_STATE.version}`,
    );
  return model;
}

/** A zod error moved under `path` (a field of a nested message). */
function prefixed(e: z.ZodError, path: PropertyKey[]): z.ZodError {
  return new z.ZodError(e.issues.map((i) => ({ ...i, path: [...path, ...i.path] })));
}

/** The domain's path → the proto's: `params.endAtUs` is `<oneof member>.endAtUs`. */
const protoPath = (member: ParamsName) => (path: PropertyKey[]) => (path[0] === "params" ? [member, ...path.slice(1)] : path);

/**
 * The actor's own refusal of the parameters ("invalid-parameters: params.endAtUs: ...") as INVALID_ARGUMENT naming
 * the proto's field: the domain's `params.<field>` is the oneof member's `<member>.<field>`.
 */
function parametersRefused(e: unknown, member?: ParamsName): never {
  const m = e instanceof GatewayError ? /^invalid-parameters: ([\w.]+): (.*) \(am\.cmd\.[^)]*\)$/s.exec(e.message) : null;
  if (!m) throw e;
  const field = (m[1] ?? "").split(".");
  const path = member && field[0] === "params" ? [member, ...field.slice(1)] : field;
  throw invalidArgument(fieldError(new z.ZodError([{ code: "custom", path, message: m[2] ?? "", input: undefined }])));
}

/** Sends again while no one is subscribed: a parent just spawned may not hear its subject yet (nothing was delivered). */
async function untilHeard<T>(send: () => Promise<T>, ctx: CallContext): Promise<T> {
  const until = Date.now() + Math.min(ctx.remainingMs(), 10_000);
  for (;;) {
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof GatewayError && e.code === Status.UNAVAILABLE && /no responders/.test(e.message)) || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The actor's view (actors/execution-algo algoView) as the proto Algo. */
export function algoFrom(result: unknown): Record<string, unknown> {
  const v = obj(result);
  const tca = v.tca ? obj(v.tca) : null;
  const bps = (x: unknown) => (typeof x === "number" ? x : 0);
  const price = (x: unknown) => (typeof x === "number" ? String(Number(x.toFixed(8))) : "");
  return {
    parentId: str(v.parentId),
    status: str(v.status),
    algo: str(v.algo),
    instrument: str(v.instrument),
    side: withPrefix("SIDE_", v.side),
    quantity: dec(v.quantity),
    filled: dec(v.filled),
    open: dec(v.open),
    scheduledSoFar: dec(v.scheduledSoFar),
    slice: int(v.slice),
    slices: int(v.slices),
    children: int(v.children),
    openChildren: arr(v.openChildren).map(str),
    limitPrice: dec(v.limitPrice),
    venues: arr(v.venues).map((raw) => {
      const x = obj(raw);
      return {
        venue: str(x.venue),
        sent: dec(x.sent),
        filled: dec(x.filled),
        fillRate: typeof x.fillRate === "number" ? x.fillRate : 0,
        heldUntilUs: int(x.heldUntilUs),
        quoted: x.quoted === true,
      };
    }),
    // the TCA's prices are floats of the currency (statistics), not fixed-point units
    ...(tca
      ? {
          tca: {
            avgPx: price(tca.avgPx),
            arrivalMid: price(tca.arrivalMid),
            intervalVwap: price(tca.intervalVwap),
            closeMid: price(tca.closeMid),
            arrivalBps: bps(tca.arrivalBps),
            intervalVwapBps: bps(tca.intervalVwapBps),
            closeBps: bps(tca.closeBps),
          },
        }
      : {}),
  };
}

export function algoRpcs(s: Services): ServiceRpcs {
  const cmd = (parentId: string, message: { type: string; [k: string]: unknown }, ctx: CallContext) =>
    s.bus.command(subjects.cmd(KIND, parentId), message, ctx.remainingMs());
  const view = async (parentId: string, ctx: CallContext) => {
    const ts = ctx.nowUs();
    return algoFrom(await cmd(parentId, { type: GetAlgo.type, tsEvent: ts, tsInit: ts }, ctx));
  };
  /**
   * The view of a parent that was started: an id with no actor (no responders) or an idle one is NOT_FOUND, so a
   * command never reaches, or spawns, a parent that does not exist.
   */
  const existing = async (parentId: string, ctx: CallContext) => {
    let v: Record<string, unknown>;
    try {
      v = await view(parentId, ctx);
    } catch (e) {
      if (e instanceof GatewayError && e.code === Status.UNAVAILABLE && /no responders/.test(e.message))
        throw new GatewayError(Status.NOT_FOUND, `parent_id: no parent ${parentId} is running`);
      throw e;
    }
    if (v.status === "idle") throw new GatewayError(Status.NOT_FOUND, `parent_id: no parent ${parentId} was started`);
    return v;
  };
  const lifecycle = (type: string, schema: typeof PauseAlgo.schema | typeof ResumeAlgo.schema | typeof CancelAlgo.schema) =>
    unary({
      role: Role.Trader,
      request: z.object({ parentId: parentIdField, reason }),
      async handle(req, ctx) {
        await existing(req.parentId, ctx);
        const ts = ctx.nowUs();
        const m = schema.parse({ ...(req.reason ? { reason: req.reason } : {}), tsEvent: ts, tsInit: ts });
        await cmd(req.parentId, { type, ...m }, ctx);
        return view(req.parentId, ctx);
      },
    });
  return {
    StartAlgo: unary({
      role: Role.Trader,
      request: startRequest,
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const message = {
          instrument: req.instrument,
          side: req.side,
          quantity: req.quantity,
          lotSize: req.lotSize,
          ...(req.limitPrice !== undefined ? { limitPrice: req.limitPrice } : {}),
          params: await domainParams(s, req, ts),
          book: req.book,
          strategy: req.strategy,
          tsEvent: ts,
          tsInit: ts,
        };
        const r = StartAlgo.schema.safeParse(message);
        if (!r.success) {
          const first = r.error.issues[0];
          const path = protoPath(req.params)(first?.path ?? []);
          throw invalidArgument(
            fieldError(new z.ZodError([{ code: "custom", path, message: first?.message ?? "invalid", input: undefined }])),
          );
        }
        await s.bus.admin(subjects.admin("spawn"), { kind: KIND, id: req.parentId }, ctx.remainingMs());
        try {
          await untilHeard(() => cmd(req.parentId, { type: StartAlgo.type, ...r.data }, ctx), ctx);
        } catch (e) {
          // refused parameters mean the parent was idle (a started one answers invalid-state): the actor spawned
          // for it is let go, so a refused request leaves nothing behind
          if (e instanceof GatewayError && e.message.startsWith("invalid-parameters: "))
            await s.bus.admin(subjects.admin("stop"), { kind: KIND, id: req.parentId }, ctx.remainingMs()).catch(() => undefined);
          parametersRefused(e, req.params);
        }
        return view(req.parentId, ctx);
      },
    }),
    PauseAlgo: lifecycle(PauseAlgo.type, PauseAlgo.schema),
    ResumeAlgo: lifecycle(ResumeAlgo.type, ResumeAlgo.schema),
    CancelAlgo: lifecycle(CancelAlgo.type, CancelAlgo.schema),
    AmendAlgo: unary({
      role: Role.Trader,
      request: z.object({
        parentId: parentIdField,
        quantity: optionalQuantity,
        limitPrice: optionalPrice,
        endAtUs: z.number().int().nonnegative("must not be negative"),
      }),
      async handle(req, ctx) {
        if (req.quantity === undefined && req.limitPrice === undefined && req.endAtUs === 0)
          throw invalidArgument("quantity: name at least one of quantity, limit_price, end_at_us");
        await existing(req.parentId, ctx);
        const ts = ctx.nowUs();
        const m = AmendAlgo.schema.parse({
          ...(req.quantity !== undefined ? { quantity: req.quantity } : {}),
          ...(req.limitPrice !== undefined ? { limitPrice: req.limitPrice } : {}),
          ...(req.endAtUs > 0 ? { endAtUs: req.endAtUs } : {}),
          tsEvent: ts,
          tsInit: ts,
        });
        await cmd(req.parentId, { type: AmendAlgo.type, ...m }, ctx).catch((e) => parametersRefused(e));
        return view(req.parentId, ctx);
      },
    }),
    GetAlgo: unary({
      role: Role.Viewer,
      request: z.object({ parentId: parentIdField }),
      handle: (req, ctx) => existing(req.parentId, ctx),
    }),
    ListAlgos: unary({
      role: Role.Viewer,
      request: z.object({}),
      async handle(_req, ctx) {
        const answers = await s.bus.gather(subjects.admin("list"), { kind: KIND }, ctx.remainingMs());
        const byId = new Map<string, Record<string, unknown>>();
        for (const answer of answers) {
          for (const a of arr(obj(answer).actors)) {
            const x = obj(a);
            const summary = obj(x.summary);
            byId.set(str(x.id), {
              parentId: str(x.id),
              status: str(summary.status) || str(x.status),
              algo: str(summary.algo),
              instrument: str(summary.instrument),
              side: withPrefix("SIDE_", summary.side),
              quantity: dec(summary.quantity),
              filled: dec(summary.filled),
              open: dec(summary.open),
              slice: int(summary.slice),
              slices: int(summary.slices),
              node: str(x.node),
            });
          }
        }
        return { algos: [...byId.values()].sort((a, b) => String(a.parentId).localeCompare(String(b.parentId))) };
      },
    }),
  };
}
