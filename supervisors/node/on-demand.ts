import { type KV, Kvm } from "@nats-io/kv";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { type ActorKind, errorMessage, parseSubject, RuntimeError, subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage, Header } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import type { ActorRef } from "../placement/placement.ts";

export interface OnDemandHooks {
  /** declare the actor (placement picks its node) */
  ensure(r: ActorRef): Promise<void>;
  /** undeclare an actor this node hosts */
  retire(r: ActorRef): Promise<void>;
  hosts(r: ActorRef): boolean;
}

export interface OnDemandOptions {
  /** how long a first message waits for its new actor to run (default 30 s) */
  spawnTimeoutMs?: number;
  /** quiet period between an actor's final event and its retirement */
  retireAfterMs?: number;
}

const keyOf = (kind: string, id: string) => `${kind}/${id}`;

/**
 * Actors created by their first command (kinds with spawnOnDemand). Every node takes am.cmd.<kind>.> in one queue
 * group, so each message reaches one node's spawner besides the actor's own subscription. For an actor known to
 * run (a `started` lifecycle event seen on am.sys) the spawner does nothing: the actor has its copy. For an id
 * nobody holds a lease on, it declares the actor, waits for its `started` event (the actor subscribes before it
 * reports started), then forwards the message with its reply subject and headers, so the requester gets the new
 * actor's answer. Messages for the same id that arrive meanwhile wait behind the first, in order. Placement's
 * lease makes a second node's declaration of the same actor a no-op.
 */
export class OnDemandSpawner {
  private readonly running = new Set<string>();
  private readonly waiters = new Map<string, ((started: boolean) => void)[]>();
  private readonly spawning = new Map<string, Promise<boolean>>();
  private readonly retiring = new Map<string, ReturnType<typeof setTimeout>>();
  private subs: Subscription[] = [];
  private leases!: KV;
  readonly stats = { spawned: 0, forwarded: 0, dropped: 0, retired: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly kinds: ActorKind[],
    private readonly hooks: OnDemandHooks,
    private readonly log: Logger,
    private readonly o: OnDemandOptions = {},
  ) {}

  async start(): Promise<void> {
    const onDemand = this.kinds.filter((k) => k.spawnOnDemand);
    const retiring = this.kinds.filter((k) => k.retireWhen);
    if (onDemand.length === 0 && retiring.length === 0) return;
    this.leases = await new Kvm(this.nc).open(buckets.leases);
    this.subs.push(this.nc.subscribe(subjects.sysAll(), { callback: (_e, m) => this.onLifecycle(m) }));
    for (const k of onDemand) {
      this.subs.push(this.nc.subscribe(subjects.cmdAll(k.name), { queue: `am-spawn-${k.name}`, callback: (_e, m) => void this.onCommand(k, m) }));
    }
    for (const k of retiring) this.subs.push(this.nc.subscribe(subjects.evtAll(k.name), { callback: (_e, m) => this.onEvent(k, m) }));
    // the subscriptions are in place at the server before anything is declared
    await this.nc.flush();
  }

  private onLifecycle(m: Msg): void {
    let e: { event?: unknown; kind?: unknown; id?: unknown };
    try {
      e = decodeMessage(m.data, m.headers, false).message as { event?: unknown; kind?: unknown; id?: unknown };
    } catch {
      return;
    }
    if (typeof e.kind !== "string" || typeof e.id !== "string") return;
    const key = keyOf(e.kind, e.id);
    if (e.event === "started" || e.event === "restarted" || e.event === "released") {
      this.running.add(key);
      const ws = this.waiters.get(key);
      this.waiters.delete(key);
      for (const w of ws ?? []) w(true);
    } else if (e.event === "stopped" || e.event === "quarantined") this.running.delete(key);
  }

  private waitStarted(key: string, ms: number): Promise<boolean> {
    if (this.running.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      const timer = setTimeout(() => {
        const l = this.waiters.get(key);
        if (l) {
          l.splice(l.indexOf(done), 1);
          if (l.length === 0) this.waiters.delete(key);
        }
        resolve(false);
      }, ms);
      const done = (v: boolean) => {
        clearTimeout(timer);
        resolve(v);
      };
      list.push(done);
      this.waiters.set(key, list);
    });
  }

  private async onCommand(kind: ActorKind, msg: Msg): Promise<void> {
    let id: string | undefined;
    try {
      id = parseSubject(msg.subject).id;
    } catch {
      return;
    }
    if (!id) return;
    const key = keyOf(kind.name, id);
    if (this.running.has(key)) return;
    let p = this.spawning.get(key);
    if (!p) {
      const type = msg.headers?.get(Header.Type) ?? "";
      if (kind.spawnOn && !kind.spawnOn.includes(type)) {
        this.stats.dropped++;
        if (msg.reply) void this.refuseNotRunning(kind, id, type, msg);
        return;
      }
      p = this.spawn(kind, id, key);
      this.spawning.set(key, p);
      void p.finally(() => this.spawning.delete(key));
    }
    if (await p) {
      this.stats.forwarded++;
      this.nc.publish(msg.subject, msg.data, { ...(msg.reply ? { reply: msg.reply } : {}), ...(msg.headers ? { headers: msg.headers } : {}) });
    }
  }

  /**
   * A request that does not create the actor (a query, a cancel) for one nobody holds a lease on: answer at once
   * that it is not running, rather than leave the requester to its timeout. A held lease means the actor runs
   * somewhere and answers its own copy.
   */
  private async refuseNotRunning(kind: ActorKind, id: string, type: string, msg: Msg): Promise<void> {
    const lease = await this.leases.get(kvKey(kind.name, id)).catch(() => null);
    if (lease?.operation === "PUT" && lease.length > 0) return;
    const message = `${kind.name} ${id} is not running (retired, or never created); ${type} does not start it (${kind.spawnOn?.join(", ")} does)`;
    const { data, headers } = encodeMessage({ type: "Reply", ok: false, error: { code: RuntimeError.NotRunning, message } });
    msg.respond(data, { headers });
  }

  /** true: the actor was started for this message (forward it); false: it already ran and had its own copy. */
  private async spawn(kind: ActorKind, id: string, key: string): Promise<boolean> {
    // Long: the first message may be an approved order, lost if dropped; starts took seconds under overload.
    const started = this.waitStarted(key, this.o.spawnTimeoutMs ?? 30_000);
    const lease = await this.leases.get(kvKey(kind.name, id)).catch(() => null);
    if (lease?.operation === "PUT" && lease.length > 0) {
      // Held: running since before this node listened, or starting now (then forward once it reports started).
      return Promise.race([started, this.waitStarted(key, 1_000)]);
    }
    this.stats.spawned++;
    await this.hooks.ensure({ kind: kind.name, id });
    const ok = await started;
    if (!ok) this.log.error("actor spawned on demand did not start in time; its first message is dropped (a retry with the same id recovers it)", { actor: key, waitedMs: this.o.spawnTimeoutMs ?? 30_000 });
    return ok;
  }

  private onEvent(kind: ActorKind, m: Msg): void {
    let ev: { type: string; [field: string]: unknown };
    let id: string | undefined;
    try {
      id = parseSubject(m.subject).id;
      ev = decodeMessage(m.data, m.headers, false).message;
    } catch {
      return;
    }
    if (!id || !kind.retireWhen?.(ev)) return;
    const ref = { kind: kind.name, id };
    if (!this.hooks.hosts(ref)) return;
    const key = keyOf(kind.name, id);
    if (this.retiring.has(key)) return;
    const timer = setTimeout(() => {
      this.retiring.delete(key);
      this.stats.retired++;
      void this.hooks.retire(ref).catch((e) => this.log.warn("retiring an actor failed", { actor: key, error: errorMessage(e) }));
    }, this.o.retireAfterMs ?? 3_000);
    timer.unref?.();
    this.retiring.set(key, timer);
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    for (const t of this.retiring.values()) clearTimeout(t);
    this.retiring.clear();
    for (const ws of this.waiters.values()) for (const w of ws) w(false);
    this.waiters.clear();
  }
}
