import { z } from "zod";
import { subjects } from "../../actors/domain/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, int, kind, obj, reason, str } from "../validation.ts";
import type { Services } from "./context.ts";

export interface ActorNodeOut {
  key: string;
  kind: string;
  id: string;
  status: string;
  node: string;
  restarts: number;
  processed: number;
  lastError: string;
  children: ActorNodeOut[];
}

/** The admin API's tree or actor status, whatever subset of these fields it carries. */
export function actorNode(v: unknown, depth = 0): ActorNodeOut {
  const x = obj(v);
  const stats = obj(x.stats);
  const kindText = str(x.kind);
  const id = str(x.id);
  return {
    key: str(x.key) || str(x.name) || (kindText && id ? `${kindText}/${id}` : ""),
    kind: kindText,
    id,
    status: str(x.status) || str(x.state),
    node: str(x.node),
    restarts: int(x.restarts ?? stats.restarts),
    processed: int(x.processed ?? stats.processed),
    lastError: str(x.lastError ?? stats.lastError),
    // A malformed, very deep tree must not blow the stack of the gateway.
    children: depth < 32 ? arr(x.children).map((c) => actorNode(c, depth + 1)) : [],
  };
}

const actorCommand = z.object({ kind, id: actorId, reason });

export function adminRpcs(s: Services): ServiceRpcs {
  const verb = (name: string) =>
    unary({
      role: Role.Operator,
      request: actorCommand,
      async handle(req: z.output<typeof actorCommand>, ctx) {
        // The node's AdminQuarantineRequest requires a reason; the caller's name goes into it for the audit trail.
        const body = name === "quarantine" ? { kind: req.kind, id: req.id, reason: `${req.reason || "no reason given"} (by ${ctx.principal.subject})` } : { kind: req.kind, id: req.id };
        const result = await s.bus.admin(subjects.admin(name), body, ctx.remainingMs());
        return actorNode(result ?? { kind: req.kind, id: req.id });
      },
    });
  return {
    GetTree: unary({
      role: Role.Viewer,
      request: z.object({}),
      async handle(_req, ctx) {
        return actorNode(await s.bus.admin(subjects.admin("tree"), {}, ctx.remainingMs()));
      },
    }),
    GetActorStatus: unary({
      role: Role.Viewer,
      request: z.object({ kind, id: actorId }),
      async handle(req, ctx) {
        return actorNode(await s.bus.admin(subjects.admin("status"), { kind: req.kind, id: req.id }, ctx.remainingMs()));
      },
    }),
    RestartActor: verb("restart"),
    StopActor: verb("stop"),
    QuarantineActor: verb("quarantine"),
    ReleaseActor: verb("release"),
  };
}
