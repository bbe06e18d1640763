import type { Msg, Subscription } from "@nats-io/transport-node";
import { parseSubject, subjects, type ActorKind, defaultSupervision, type ShardingSpec } from "../../actors/contract/index.ts";
import { ActorHost, type HostEnv } from "../runtime/actor-host.ts";
import { RestartIntensity } from "../supervision/index.ts";
import { shardName, shardNumber, shardOf } from "./shard-of.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";

interface Entity {
  host: ActorHost;
  shard: number;
  intensity: RestartIntensity;
  /** messages processed at the last sweep: unchanged over a sweep means idle */
  seen: number;
  idleSinceMs: number;
}

/**
 * The entities of one sharded kind in one process (a cell): the shards placement gave this process, and the
 * entities of those shards that are active in memory. One subscription on am.cmd.<kind>.> serves every shard
 * owned here; ids of shards owned elsewhere are ignored. (One subscription per process filtering by hash rather
 * than NATS subject mapping with `partition`: the shard count stays in the kind's declaration, and the platform
 * runs against servers whose configuration it does not own.)
 *
 * An entity activates on its first message with no KV write: its journal says in one direct get whether there is
 * history, replayed only if there is. It passivates (memory only) when idle or done. Two owners of one shard during
 * a handover cannot both append: every append is fenced by the entity's last journal sequence.
 */
export class ShardRegion {
  private readonly owned = new Set<number>();
  private readonly entities = new Map<string, Entity>();
  private sub: Subscription | undefined;
  private wakeSubs: Subscription[] = [];
  private watchingLink = false;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private readonly spec: Required<Omit<ShardingSpec, "doneWhen" | "wake">> & Pick<ShardingSpec, "doneWhen" | "wake">;
  /** failed: entity incarnations ended by an error (a lost fence among them), each restarted or passivated */
  readonly stats = { activated: 0, passivated: 0, ignored: 0, failed: 0 };

  constructor(
    readonly kind: ActorKind,
    private readonly env: HostEnv,
    /** an entity's failures and restarts, reported like any actor's so operators see them */
    private readonly report: (e: LifecycleEvent) => void = () => {},
  ) {
    const s = kind.sharding;
    if (!s) throw new Error(`kind ${kind.name} declares no sharding`);
    this.spec = { idleMs: 60_000, doneIdleMs: 2_000, ...s };
  }

  /** Messages waiting in the mailboxes of this region's active entities (read at a metrics scrape). */
  mailboxDepth(): number {
    let depth = 0;
    for (const e of this.entities.values()) depth += e.host.mailbox.depth;
    return depth;
  }

  /** Starts serving a shard placement gave this process (`shard-07`). */
  async own(name: string): Promise<void> {
    const n = this.shardOfName(name);
    this.owned.add(n);
    if (!this.sub) {
      this.sub = this.env.nc.subscribe(subjects.cmdAll(this.kind.name), { callback: (err, msg) => (err ? undefined : this.route(msg)) });
      const every = Math.max(100, Math.min(this.spec.idleMs, this.spec.doneIdleMs) / 2);
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref?.();
      this.listenForWake();
      // the subscription is in place at the server before placement reports the shard as served
      await this.env.nc.flush();
    }
  }

  /** Stops serving a shard: its active entities passivate. */
  async disown(name: string): Promise<void> {
    const n = this.shardOfName(name);
    this.owned.delete(n);
    await Promise.all([...this.entities].filter(([, e]) => e.shard === n).map(([id]) => this.passivate(id)));
    if (this.owned.size === 0) this.close();
  }

  owns(name: string): boolean {
    const n = shardNumber(name, this.spec.shards);
    return n !== undefined && this.owned.has(n);
  }

  /** The entity for an id if it is active here (tests, operators). */
  entity(id: string): ActorHost | undefined {
    return this.entities.get(id)?.host;
  }

  private shardOfName(name: string): number {
    const n = shardNumber(name, this.spec.shards);
    if (n === undefined)
      throw new Error(`${this.kind.name}/${name}: not a shard of ${this.kind.name} (shard-00 … ${shardName(this.spec.shards - 1)})`);
    return n;
  }

  private route(msg: Msg): void {
    let id: string | undefined;
    try {
      id = parseSubject(msg.subject).id;
    } catch {
      return;
    }
    if (!id) return;
    const shard = shardOf(id, this.spec.shards);
    if (!this.owned.has(shard)) {
      this.stats.ignored++;
      return;
    }
    let e = this.entities.get(id);
    if (!e || e.host.status === "stopped") e = this.activate(id, shard);
    e.host.receive(msg);
  }

  /** In memory only: the host queues messages while its journal is probed (and replayed, if it has history). */
  private activate(id: string, shard: number): Entity {
    const spec = { ...defaultSupervision, ...this.kind.supervision };
    const host = new ActorHost(this.kind, id, {
      ...this.env,
      routed: true,
      onExit: (h, reason) => this.failed(id, h, reason.error),
    });
    const e: Entity = { host, shard, intensity: new RestartIntensity(spec.maxRestarts, spec.periodMs), seen: 0, idleSinceMs: Date.now() };
    this.entities.set(id, e);
    this.stats.activated++;
    host.incarnate().catch((err) => this.failed(id, host, err as Error));
    return e;
  }

  /** A failed entity restarts from its journal; past its restart intensity it passivates (the next message retries). */
  private failed(id: string, host: ActorHost, error: Error): void {
    const e = this.entities.get(id);
    if (!e || e.host !== host) return;
    this.stats.failed++;
    const restarts = host.stats.restarts;
    this.report({ type: "failed", kind: this.kind.name, id, error: error.message, restarts });
    if (e.intensity.allow(Date.now())) {
      host.restart().then(
        () => this.report({ type: "restarted", kind: this.kind.name, id, restarts: host.stats.restarts }),
        (err) => this.failed(id, host, err as Error),
      );
      return;
    }
    this.env.log.error("entity failed past its restart intensity: passivated", { actor: host.key, error: error.message });
    void this.passivate(id);
  }

  /** The kind's wake-ups: its broadcast subjects, and the connection coming back (one status loop per region). */
  private listenForWake(): void {
    const wake = this.spec.wake;
    if (!wake) return;
    for (const s of wake.broadcast ?? [])
      this.wakeSubs.push(this.env.nc.subscribe(s, { callback: (err, msg) => (err ? undefined : this.everyEntity((h) => h.receive(msg))) }));
    const reconnectWith = wake.reconnectWith;
    if (!reconnectWith || this.watchingLink) return;
    this.watchingLink = true;
    void (async () => {
      for await (const s of this.env.nc.status())
        if (s.type === "reconnect" && this.sub) this.everyEntity((h) => h.deliver({ ...reconnectWith }));
    })();
  }

  private everyEntity(act: (host: ActorHost) => void): void {
    for (const e of this.entities.values()) if (e.host.status === "running") act(e.host);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.entities) {
      const h = e.host;
      if (h.stats.processed !== e.seen || h.mailbox.depth > 0) {
        e.seen = h.stats.processed;
        e.idleSinceMs = now;
        continue;
      }
      // one that listens for its interest (an emulated stop waiting on quotes) waits for the market, not for mail
      if (h.status !== "running" || h.armedTimers > 0 || h.busy || h.listening > 0) continue;
      const context = (h.snapshot as { context?: unknown } | undefined)?.context;
      const limit = this.spec.doneWhen?.(context) ? this.spec.doneIdleMs : this.spec.idleMs;
      if (now - e.idleSinceMs >= limit) void this.passivate(id);
    }
  }

  private async passivate(id: string): Promise<void> {
    const e = this.entities.get(id);
    if (!e) return;
    this.entities.delete(id);
    this.stats.passivated++;
    await e.host.stop();
  }

  private close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    for (const s of this.wakeSubs) s.unsubscribe();
    this.wakeSubs = [];
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  async stop(): Promise<void> {
    this.owned.clear();
    await Promise.all([...this.entities.keys()].map((id) => this.passivate(id)));
    this.close();
  }

  /** What operators see: shards served here and the entities active now. */
  describe(): Record<string, unknown>[] {
    return [...this.owned]
      .sort((a, b) => a - b)
      .map((n) => ({
        kind: this.kind.name,
        id: shardName(n),
        status: "running",
        entities: [...this.entities.values()].filter((e) => e.shard === n).length,
      }));
  }
}
