import { z } from "zod";
import { defineMessage, type MessageOf } from "./message.ts";

/** The operator API on am.admin.<verb> (and am.admin.<verb>.<node> for one node). */
const actorRef = { kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "an actor kind"), id: z.string().min(1).max(128) };

export const AdminActorRequest = defineMessage(
  "AdminActorRequest",
  1,
  z.object(actorRef),
  "Ask about, restart, stop, spawn or release one actor.",
);
export type AdminActorRequest = MessageOf<typeof AdminActorRequest>;

export const AdminQuarantineRequest = defineMessage(
  "AdminQuarantineRequest",
  1,
  z.object({
    ...actorRef,
    reason: z.string().min(1).max(500),
    /** the principal a platform service (gateway, console) authenticated; an operator's own request is named by the server */
    by: z.string().min(1).max(128).optional(),
  }),
  "Quarantine one actor: stopped and kept stopped until released.",
);
export type AdminQuarantineRequest = MessageOf<typeof AdminQuarantineRequest>;

export const AdminConfigureRequest = defineMessage(
  "AdminConfigureRequest",
  1,
  z.object({
    /** `limits` of a risk book, `params` of a strategy, `retrain`: a rolling retrain schedule (id = its name) */
    section: z.enum(["limits", "params", "retrain"]),
    id: actorRef.id,
    /** the limits or parameters as JSON text, as kept in the config bucket */
    value: z.string().min(2).max(65_536),
    /** the principal a platform service (gateway, console) authenticated; an operator's own request is named by the server */
    by: z.string().min(1).max(128).optional(),
  }),
  "Set a risk book's limits, a strategy's parameters or a retrain schedule (`{\"remove\": true}` removes one): checked, kept in the config bucket under the requester's name, applied by the actor's node.",
);
export type AdminConfigureRequest = MessageOf<typeof AdminConfigureRequest>;

export const AdminListRequest = defineMessage(
  "AdminListRequest",
  1,
  z.object({ kind: actorRef.kind.optional() }),
  "Ask every node for the actors it hosts (of one kind, or all): id, status, state and summary, and the node.",
);
export type AdminListRequest = MessageOf<typeof AdminListRequest>;

export const AdminDeployRequest = defineMessage(
  "AdminDeployRequest",
  1,
  z.object({ ...actorRef, config: z.record(z.string(), z.unknown()) }),
  "Deploy an actor from a configuration (a strategy): validated, kept in the config bucket, then spawned.",
);
export type AdminDeployRequest = MessageOf<typeof AdminDeployRequest>;

export const AdminTreeRequest = defineMessage("AdminTreeRequest", 1, z.object({}), "Ask every node for its supervision tree.");

export const ActorLifecycle = defineMessage(
  "ActorLifecycle",
  1,
  z.object({
    event: z.enum(["started", "failed", "restarted", "stopped", "quarantined", "released", "moved", "lease-lost", "cell-restarted"]),
    node: z.string(),
    kind: z.string(),
    id: z.string(),
    restarts: z.number().int().nonnegative(),
    reason: z.string().optional(),
    tsEvent: z.number().int(),
    tsInit: z.number().int(),
  }),
  "A lifecycle event of an actor, on am.sys.<event>.<node>.",
);
export type ActorLifecycle = MessageOf<typeof ActorLifecycle>;
