import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { GatewayError } from "../errors.ts";
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

/**
 * The node's tree (supervisors/node/actor-node.ts tree(): node → cells → kinds → actors) as ActorNodes: the node at
 * the root, one child per cell, one per kind supervisor under it, the actors (and quarantined ones) as leaves.
 */
export function nodeTree(v: unknown): ActorNodeOut {
  const t = obj(v);
  if (t.cells === undefined) return actorNode(v);
  const node = str(t.node);
  const group = (key: string, kindText: string, id: string, status: string, children: ActorNodeOut[]): ActorNodeOut => ({
    key,
    kind: kindText,
    id,
    status,
    node,
    restarts: 0,
    processed: 0,
    lastError: "",
    children,
  });
  return group(
    `node/${node}`,
    "node",
    node,
    "running",
    arr(t.cells).map((c) => {
      const cell = obj(c);
      const index = String(int(cell.cell));
      return group(
        `cell/${index}`,
        "cell",
        index,
        str(cell.status),
        arr(cell.kinds).map((k) => {
          const kk = obj(k);
          return group(
            `supervisor/${str(kk.kind)}`,
            "supervisor",
            str(kk.kind),
            "running",
            arr(kk.actors).map((a) => actorNode({ ...obj(a), node })),
          );
        }),
      );
    }),
  );
}

/** Only the node hosting an actor answers its status: silence means no node hosts it. */
const statusWaitMs = 2_000;

const actorCommand = z.object({ kind, id: actorId, reason });

export function adminRpcs(s: Services): ServiceRpcs {
  const verb = (name: string) =>
    unary({
      role: Role.Operator,
      request: actorCommand,
      async handle(req: z.output<typeof actorCommand>, ctx) {
        // The node's AdminQuarantineRequest requires a reason; the caller's name goes into it for the audit trail.
        const body =
          name === "quarantine"
            ? {
                kind: req.kind,
                id: req.id,
                reason: `${req.reason || "no reason given"} (by ${ctx.principal.subject})`,
                by: ctx.principal.subject,
              }
            : { kind: req.kind, id: req.id };
        const result = await s.bus.admin(subjects.admin(name), body, ctx.remainingMs());
        if (name === "stop") return actorNode({ kind: req.kind, id: req.id, status: "stopped" });
        // The verbs answer nothing useful: the actor's status after the action is what the caller wants to see.
        const after = await s.bus
          .admin(subjects.admin("status"), { kind: req.kind, id: req.id }, Math.min(ctx.remainingMs(), statusWaitMs))
          .catch(() => undefined);
        return actorNode(after ?? result ?? { kind: req.kind, id: req.id });
      },
    });
  return {
    GetTree: unary({
      role: Role.Viewer,
      request: z.object({}),
      async handle(_req, ctx) {
        return nodeTree(await s.bus.admin(subjects.admin("tree"), {}, ctx.remainingMs()));
      },
    }),
    GetActorStatus: unary({
      role: Role.Viewer,
      request: z.object({ kind, id: actorId }),
      async handle(req, ctx) {
        try {
          return actorNode(
            await s.bus.admin(subjects.admin("status"), { kind: req.kind, id: req.id }, Math.min(ctx.remainingMs(), statusWaitMs)),
          );
        } catch (e) {
          if (e instanceof GatewayError && e.code === Status.DEADLINE_EXCEEDED && ctx.remainingMs() > 0) {
            throw new GatewayError(Status.NOT_FOUND, `actor ${req.kind}/${req.id}: no node hosts it (no answer within ${statusWaitMs} ms)`);
          }
          throw e;
        }
      },
    }),
    RestartActor: verb("restart"),
    StopActor: verb("stop"),
    QuarantineActor: verb("quarantine"),
    ReleaseActor: verb("release"),
  };
}
