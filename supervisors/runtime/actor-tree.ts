import type { NatsConnection } from "@nats-io/transport-node";
import { type ActorKind, type Clock, defaultSupervision, errorMessage } from "../../actors/contract/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import type { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { type ChildHandle, type ExitReason, RestartType, type SupervisionEvent, Supervisor } from "../supervision/index.ts";
import { ShardRegion } from "../sharding/shard-region.ts";
import { ActorHost } from "./actor-host.ts";

export type LifecycleEvent =
  | { type: "started" | "restarted" | "stopped"; kind: string; id: string; restarts: number }
  | { type: "failed"; kind: string; id: string; error: string; restarts: number }
  | { type: "quarantined"; kind: string; id: string; reason: string; restarts: number };

export interface ActorTreeEnv {
  nc: NatsConnection;
  store: SnapshotStore;
  clock: Clock;
  log: Logger;
  onLifecycle: (e: LifecycleEvent) => void;
  onProcessing?: (host: ActorHost, busy: boolean) => void;
  onReceive?: () => void;
}

/** An actor incarnation as a supervised child: started by (re)incarnating its host, ended by the host's failure. */
function incarnationChild(host: ActorHost, first: { value: boolean }): Promise<ChildHandle> {
  const listeners: ((r: ExitReason) => void)[] = [];
  let ended: ExitReason | undefined;
  host.onExitOnce((r) => {
    ended = r;
    for (const l of listeners) l(r);
  });
  const start = first.value ? host.incarnate() : host.restart();
  first.value = false;
  return start.then(() => ({
    stop: () => host.stop(),
    kill: () => void host.stop(),
    onExit: (l) => (ended ? l(ended) : listeners.push(l)),
  }));
}

/**
 * The supervision tree of actors in one process (or one worker cell): a dynamic supervisor per kind, and under
 * it one supervisor per actor whose restart intensity is the actor's own. When an actor spends its intensity its
 * supervisor gives up: the actor is quarantined (stopped, reported), never allowed to take its siblings down.
 */
export class ActorTree {
  readonly kinds = new Map<string, ActorKind>();
  private readonly kindSupervisors = new Map<string, Supervisor<string>>();
  readonly hosts = new Map<string, ActorHost>();
  readonly quarantined = new Map<string, string>();
  /** sharded kinds: their placed units are shards, served by one region per kind */
  readonly regions = new Map<string, ShardRegion>();
  private readonly root: Supervisor;

  constructor(
    kinds: ActorKind[],
    private readonly env: ActorTreeEnv,
  ) {
    for (const k of kinds) this.kinds.set(k.name, k);
    const { onLifecycle, ...hostEnv } = env;
    for (const k of kinds) if (k.sharding) this.regions.set(k.name, new ShardRegion(k, hostEnv, onLifecycle));
    this.root = new Supervisor({
      name: "actors",
      strategy: "one_for_one",
      maxRestarts: 3,
      periodMs: 10_000,
      children: kinds.map((k) => ({
        id: k.name,
        type: "supervisor" as const,
        restart: RestartType.Permanent,
        shutdownMs: "infinity" as const,
        start: async () => {
          const sup = this.kindSupervisor(k);
          await sup.start();
          this.kindSupervisors.set(k.name, sup);
          return sup;
        },
      })),
    });
  }

  private kindSupervisor(kind: ActorKind): Supervisor<string> {
    const spec = { ...defaultSupervision, ...kind.supervision };
    return new Supervisor<string>({
      name: kind.name,
      strategy: "dynamic",
      maxRestarts: 1_000_000, // actors are temporary here: their own supervisors hold their intensity
      periodMs: 1_000,
      template: {
        type: "supervisor",
        restart: RestartType.Temporary,
        shutdownMs: "infinity",
        start: async (id) => {
          const host = this.hostFor(kind, id);
          const first = { value: true };
          const actorSup = new Supervisor({
            name: `${kind.name}/${id}`,
            strategy: "one_for_one",
            maxRestarts: spec.maxRestarts,
            periodMs: spec.periodMs,
            backoff: { minMs: spec.backoffMinMs, maxMs: spec.backoffMaxMs, factor: 2, jitter: 0.2, resetAfterMs: spec.periodMs },
            onEvent: (e) => this.onActorEvent(kind, id, host, e),
            children: [
              { id: "incarnation", type: "worker", restart: spec.restart, shutdownMs: 5_000, start: () => incarnationChild(host, first) },
            ],
          });
          await actorSup.start();
          actorSup.onExit((reason) => this.onActorSupervisorExit(kind, id, host, reason));
          return actorSup;
        },
      },
    });
  }

  private hostFor(kind: ActorKind, id: string): ActorHost {
    const key = `${kind.name}/${id}`;
    let host = this.hosts.get(key);
    if (!host || host.status === "stopped") {
      host = new ActorHost(kind, id, { ...this.env, ...(this.env.onProcessing ? { onProcessing: this.env.onProcessing } : {}) });
      this.hosts.set(key, host);
    }
    return host;
  }

  private onActorEvent(kind: ActorKind, id: string, host: ActorHost, e: SupervisionEvent): void {
    const base = { kind: kind.name, id, restarts: host.stats.restarts };
    if (e.type === "exited" && typeof e.reason === "object" && "error" in e.reason) {
      this.env.onLifecycle({ ...base, type: "failed", error: errorMessage(e.reason.error) });
    } else if (e.type === "restarted") this.env.onLifecycle({ ...base, type: "restarted" });
    else if (e.type === "started" && host.stats.restarts === 0) this.env.onLifecycle({ ...base, type: "started" });
  }

  private onActorSupervisorExit(kind: ActorKind, id: string, host: ActorHost, reason: ExitReason): void {
    if (typeof reason === "object" && "shutdown" in reason) {
      void host.stop();
      this.quarantine(kind.name, id, `restart intensity spent: ${host.stats.lastError ?? reason.shutdown}`);
    }
  }

  async start(): Promise<void> {
    await this.root.start();
  }

  async spawn(kind: string, id: string): Promise<void> {
    const sup = this.kindSupervisors.get(kind);
    if (!sup) throw new Error(`unknown actor kind ${kind}; known: ${[...this.kinds.keys()].join(", ")}`);
    if (this.quarantined.has(`${kind}/${id}`)) throw new Error(`${kind}/${id} is quarantined: release it first`);
    if (this.isRunning(kind, id)) return;
    const region = this.regions.get(kind);
    if (region) {
      await region.own(id);
      this.env.onLifecycle({ type: "started", kind, id, restarts: 0 });
      return;
    }
    await sup.startChild(id, id);
  }

  isRunning(kind: string, id: string): boolean {
    const region = this.regions.get(kind);
    if (region) return region.owns(id);
    return (
      this.kindSupervisors
        .get(kind)
        ?.whichChildren()
        .some((c) => c.id === id && c.status !== "stopped") ?? false
    );
  }

  async stopActor(kind: string, id: string): Promise<void> {
    const region = this.regions.get(kind);
    if (region) {
      if (region.owns(id)) await region.disown(id);
      this.env.onLifecycle({ type: "stopped", kind, id, restarts: 0 });
      return;
    }
    const sup = this.kindSupervisors.get(kind);
    if (sup && this.isRunning(kind, id)) await sup.terminateChild(id);
    await this.hosts.get(`${kind}/${id}`)?.stop();
    this.hosts.delete(`${kind}/${id}`);
    this.env.onLifecycle({ type: "stopped", kind, id, restarts: 0 });
  }

  /** An operator's restart: a fresh incarnation from the last committed state, counted like a supervisor's. */
  async restartActor(kind: string, id: string): Promise<void> {
    const restarts = this.hosts.get(`${kind}/${id}`)?.stats.restarts ?? 0;
    await this.stopActor(kind, id);
    await this.spawn(kind, id);
    const host = this.hosts.get(`${kind}/${id}`);
    if (host) host.stats.restarts = restarts + 1;
  }

  quarantine(kind: string, id: string, reason: string): void {
    const key = `${kind}/${id}`;
    if (this.quarantined.has(key)) return;
    this.quarantined.set(key, reason);
    const host = this.hosts.get(key);
    void this.stopActor(kind, id).catch(() => {});
    this.env.onLifecycle({ type: "quarantined", kind, id, reason, restarts: host?.stats.restarts ?? 0 });
  }

  async release(kind: string, id: string): Promise<void> {
    this.quarantined.delete(`${kind}/${id}`);
    await this.spawn(kind, id);
  }

  /**
   * Hands a message to an actor hosted here (a sharded entity where it is active here), past NATS: it joins the
   * actor's mailbox as if it had arrived on its command subject. False where the actor is not here, so the caller
   * sends it over NATS instead.
   */
  tell(kind: string, id: string, message: Message): boolean {
    const host = this.regions.get(kind)?.entity(id) ?? this.hosts.get(`${kind}/${id}`);
    if (!host || host.status === "stopped") return false;
    host.deliver(message);
    return true;
  }

  describe(kind: string, id: string): Record<string, unknown> | undefined {
    const key = `${kind}/${id}`;
    const host = this.hosts.get(key);
    const shard = this.regions
      .get(kind)
      ?.describe()
      .find((d) => d.id === id);
    if (shard) return shard;
    if (!host) return this.quarantined.has(key) ? { kind, id, status: "quarantined", reason: this.quarantined.get(key) } : undefined;
    return { ...host.describe(), ...(this.quarantined.has(key) ? { status: "quarantined", reason: this.quarantined.get(key) } : {}) };
  }

  /** The tree as operators see it: kinds, their actors, each actor's status. */
  /** Messages waiting in the mailboxes of each kind's actors here (read at a metrics scrape, never per message). */
  mailboxDepths(): Map<string, number> {
    const depths = new Map<string, number>();
    for (const kind of this.kinds.keys()) depths.set(kind, this.regions.get(kind)?.mailboxDepth() ?? 0);
    for (const h of this.hosts.values()) depths.set(h.kind.name, (depths.get(h.kind.name) ?? 0) + h.mailbox.depth);
    return depths;
  }

  tree(): { kind: string; actors: Record<string, unknown>[] }[] {
    return [...this.kinds.keys()].map((kind) => ({
      kind,
      actors: [
        ...[...this.hosts.values()].filter((h) => h.kind.name === kind).map((h) => h.describe()),
        ...(this.regions.get(kind)?.describe() ?? []),
        ...[...this.quarantined.entries()]
          .filter(([k]) => k.startsWith(`${kind}/`))
          .map(([k, reason]) => ({ kind, id: k.slice(kind.length + 1), status: "quarantined", reason })),
      ],
    }));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.regions.values()].map((r) => r.stop()));
    await this.root.stop("shutdown");
  }
}
