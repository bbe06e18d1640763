import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  AdminActorRequest,
  AdminConfigureRequest,
  AdminDeployRequest,
  AdminListRequest,
  AdminQuarantineRequest,
  errorMessage,
  subjects,
} from "../../actors/contract/index.ts";
import { DecodeError, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { requesterOf } from "../../infra/nats/requester.ts";
import type { ActorRef } from "../placement/placement.ts";
import { DeployError, DeployRefusal } from "./kinds/deployments.ts";
import { advertiseService, EndpointStats } from "./service-discovery.ts";

/** The admin requests this API decodes: importing it defines their schemas. */
export { AdminActorRequest, AdminConfigureRequest, AdminDeployRequest, AdminListRequest, AdminQuarantineRequest };

/** What the admin API asks of the node it serves: each verb's work, done by the node. */
export interface AdminNode {
  readonly node: string;
  /** whether this node hosts the actor: only its host answers an actor's verbs */
  hosts(r: ActorRef): boolean;
  liveNodes(): string[];
  tree(): Promise<unknown>;
  list(kind?: string): Promise<unknown>;
  describe(r: ActorRef): Promise<unknown>;
  restart(r: ActorRef): Promise<unknown>;
  /** unassigns the actor: it stops on its node and placement does not run it again until spawned */
  unassign(r: ActorRef): Promise<void>;
  /** `by`: who asked (requesterOf), recorded with the quarantine */
  quarantine(r: ActorRef, reason: string, by: string): Promise<void>;
  release(r: ActorRef): Promise<void>;
  ensure(r: ActorRef): Promise<void>;
  deploy(r: ActorRef, config: Record<string, unknown>): Promise<unknown>;
  /** keeps a book's limits or a strategy's parameters (JSON text) under `by`, for the actor's node to apply */
  configure(section: AdminConfigureRequest["section"], id: string, value: string, by: string): Promise<unknown>;
}

type Handler = (body: Message, by: string) => Promise<unknown>;

/**
 * Who an admin request comes from, for the audit trail: the NATS user the server names for a request from the OPS
 * account (whatever the body says), else the principal a platform service (gateway, console) authenticated and put
 * in `by`, else the platform itself.
 */
const requester = (msg: Msg, body: Message): string =>
  requesterOf(msg.headers) ?? (typeof body.by === "string" && body.by ? body.by : "platform");

const keyOf = (r: ActorRef) => `${r.kind}/${r.id}`;
const ref = (m: Message): ActorRef => ({ kind: String(m.kind), id: String(m.id) });

function jsonSafe(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
}

/** Answers an admin request with its refusal: the code, and the error's message. */
function refuse(msg: Msg, code: string, e: unknown): void {
  const { data, headers } = encodeMessage({ type: "Reply", ok: false, error: { code, message: errorMessage(e) } });
  msg.respond(data, { headers });
}

/**
 * Serves the admin API on am.admin.<verb> (every node) and am.admin.<verb>.<node> (this one), and advertises it
 * as the NATS service `alphamind-admin` with per-verb request and error counts. Returns its subscriptions.
 */
export function serveAdmin(nc: NatsConnection, n: AdminNode): Subscription[] {
  const subs: Subscription[] = [];
  const served = new Map<string, { stats: EndpointStats; queue?: string }>();
  const owned = (verb: string, h: (r: ActorRef, m: Message, by: string) => Promise<unknown>): [string, Handler, boolean] => [
    verb,
    (m, by) => h(ref(m), m, by),
    true,
  ];
  const routes: [string, Handler, boolean][] = [
    ["tree", () => n.tree(), false],
    ["nodes", async () => ({ node: n.node, live: n.liveNodes() }), false],
    ["list", (m) => n.list(typeof m.kind === "string" ? m.kind : undefined), false],
    owned("status", (r) => n.describe(r)),
    owned("restart", (r) => n.restart(r)),
    owned("stop", async (r) => {
      await n.unassign(r);
      return { stopped: keyOf(r) };
    }),
    owned("quarantine", (r, m, by) => n.quarantine(r, String(m.reason), by)),
    owned("release", (r) => n.release(r)),
  ];
  for (const [verb, handler, actorScoped] of routes) {
    const stats = new EndpointStats();
    served.set(verb, { stats });
    const respond = async (msg: Msg) => {
      let message: Message | undefined;
      let refused: unknown;
      try {
        message = decodeMessage(msg.data, msg.headers, true).message;
        // Only the node hosting the actor answers (and counts it); the others stay silent so the owner's answer is the one.
        if (actorScoped && !n.hosts(ref(message))) return;
      } catch (e) {
        refused = e;
      }
      await stats
        .time(async () => {
          if (refused !== undefined || message === undefined) throw refused;
          const result = await handler(message, requester(msg, message));
          msg.respond(encodeMessage({ type: "Reply", ok: true, result: jsonSafe(result) }).data, {
            headers: encodeMessage({ type: "Reply" }).headers,
          });
        })
        .catch((e: unknown) => refuse(msg, "admin-failed", e));
    };
    for (const subject of [subjects.admin(verb), subjects.admin(verb, n.node)])
      subs.push(nc.subscribe(subject, { callback: (_e, m) => void respond(m) }));
  }
  // Spawning and deploying go to any one node (queue group): placement decides where the actor runs.
  const anyNode: [string, Handler][] = [
    [
      "spawn",
      async (m) => {
        await n.ensure(ref(m));
        return { spawned: keyOf(ref(m)) };
      },
    ],
    ["deploy", (m) => n.deploy(ref(m), m.config as Record<string, unknown>)],
    [
      "configure",
      (m, by) => {
        if (m.type !== AdminConfigureRequest.type)
          throw new DeployError(DeployRefusal.Invalid, `configure takes an ${AdminConfigureRequest.type}`);
        const c = m as unknown as AdminConfigureRequest;
        return n.configure(c.section, c.id, c.value, by);
      },
    ],
  ];
  for (const [verb, handler] of anyNode) {
    const stats = new EndpointStats();
    const queue = `am-admin-${verb}`;
    served.set(verb, { stats, queue });
    subs.push(
      nc.subscribe(subjects.admin(verb), {
        queue,
        callback: (_e, msg) =>
          void stats
            .time(async () => {
              const message = decodeMessage(msg.data, msg.headers, true).message;
              const result = await handler(message, requester(msg, message));
              msg.respond(encodeMessage({ type: "Reply", ok: true, result: jsonSafe(result) }).data, {
                headers: encodeMessage({ type: "Reply" }).headers,
              });
            })
            .catch((e: unknown) =>
              refuse(msg, e instanceof DeployError ? e.code : e instanceof DecodeError ? DeployRefusal.Invalid : "admin-failed", e),
            ),
      }),
    );
  }
  subs.push(
    ...advertiseService(
      nc,
      {
        name: "alphamind-admin",
        id: n.node,
        version: "0.1.0",
        description: "AlphaMind supervision tree and actor control",
        endpoints: [...served].map(([v, { queue }]) => ({ name: v, subject: subjects.admin(v), ...(queue ? { queue_group: queue } : {}) })),
      },
      () =>
        [...served].map(([name, { stats, queue }]) => ({
          name,
          subject: subjects.admin(name),
          ...(queue ? { queue_group: queue } : {}),
          ...stats.figures(),
        })),
    ),
  );
  return subs;
}
