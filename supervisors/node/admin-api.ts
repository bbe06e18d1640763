import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  AdminActorRequest,
  AdminDeployRequest,
  AdminListRequest,
  AdminQuarantineRequest,
  errorMessage,
  subjects,
} from "../../actors/contract/index.ts";
import { DecodeError, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import type { ActorRef } from "../placement/placement.ts";
import { DeployError, DeployRefusal } from "./kinds/deployments.ts";
import { advertiseService } from "./service-discovery.ts";

/** The admin requests this API decodes: importing it defines their schemas. */
export { AdminActorRequest, AdminDeployRequest, AdminListRequest, AdminQuarantineRequest };

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
  quarantine(r: ActorRef, reason: string): Promise<void>;
  release(r: ActorRef): Promise<void>;
  ensure(r: ActorRef): Promise<void>;
  deploy(r: ActorRef, config: Record<string, unknown>): Promise<unknown>;
}

type Handler = (body: Message) => Promise<unknown>;

const keyOf = (r: ActorRef) => `${r.kind}/${r.id}`;
const ref = (m: Message): ActorRef => ({ kind: String(m.kind), id: String(m.id) });

function jsonSafe(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
}

/**
 * Serves the admin API on am.admin.<verb> (every node) and am.admin.<verb>.<node> (this one), and advertises it
 * as the NATS service `alphamind-admin` with per-verb request and error counts. Returns its subscriptions.
 */
export function serveAdmin(nc: NatsConnection, n: AdminNode): Subscription[] {
  const subs: Subscription[] = [];
  const served = new Map<string, { num_requests: number; num_errors: number }>();
  const owned = (verb: string, h: (r: ActorRef, m: Message) => Promise<unknown>): [string, Handler, boolean] => [
    verb,
    (m) => h(ref(m), m),
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
    owned("quarantine", (r, m) => n.quarantine(r, String(m.reason))),
    owned("release", (r) => n.release(r)),
  ];
  for (const [verb, handler, actorScoped] of routes) {
    const stats = { num_requests: 0, num_errors: 0 };
    served.set(verb, stats);
    const respond = async (msg: Msg) => {
      stats.num_requests++;
      try {
        const { message } = decodeMessage(msg.data, msg.headers, true);
        // Only the node hosting the actor answers; the others stay silent so the owner's answer is the one.
        if (actorScoped && !n.hosts(ref(message))) return;
        const result = await handler(message);
        msg.respond(encodeMessage({ type: "Reply", ok: true, result: jsonSafe(result) }).data, {
          headers: encodeMessage({ type: "Reply" }).headers,
        });
      } catch (e) {
        stats.num_errors++;
        const { data, headers } = encodeMessage({ type: "Reply", ok: false, error: { code: "admin-failed", message: errorMessage(e) } });
        msg.respond(data, { headers });
      }
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
  ];
  for (const [verb, handler] of anyNode) {
    subs.push(
      nc.subscribe(subjects.admin(verb), {
        queue: `am-admin-${verb}`,
        callback: (_e, msg) =>
          void (async () => {
            try {
              const { message } = decodeMessage(msg.data, msg.headers, true);
              const result = await handler(message);
              msg.respond(encodeMessage({ type: "Reply", ok: true, result: jsonSafe(result) }).data, {
                headers: encodeMessage({ type: "Reply" }).headers,
              });
            } catch (e) {
              const code = e instanceof DeployError ? e.code : e instanceof DecodeError ? DeployRefusal.Invalid : "admin-failed";
              const { data, headers } = encodeMessage({ type: "Reply", ok: false, error: { code, message: errorMessage(e) } });
              msg.respond(data, { headers });
            }
          })(),
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
        endpoints: [...served.keys(), "spawn", "deploy"].map((v) => ({ name: v, subject: subjects.admin(v) })),
      },
      () => [...served].map(([name, s]) => ({ name, subject: subjects.admin(name), ...s })),
    ),
  );
  return subs;
}
