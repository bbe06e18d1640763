import { randomUUID } from "node:crypto";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Msg, Subscription } from "@nats-io/transport-node";
import {
  type ActorKind,
  appendedSubject,
  defaultSupervision,
  errorMessage,
  parseSubject,
  RuntimeError,
  unescapeToken,
  type ShardingSpec,
  storedSubject,
  subjects,
} from "../../actors/contract/index.ts";
import { decodeAs, encodeMessage } from "../../infra/nats/codec.ts";
import { streams } from "../../infra/nats/resources.ts";
import { ActorHost, type HostEnv } from "../runtime/actor-host.ts";
import { serveKindCommands } from "../runtime/local-commands.ts";
import { HANDOVER_GAP_MS } from "../placement/placement.ts";
import { RestartIntensity } from "../supervision/index.ts";
import { shardName, shardNumber, shardOf } from "./shard-of.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";
import { ShardDirectory, ShardOwners } from "./shard-directory.ts";
import { type HeldMessage, TransitHold } from "./transit-hold.ts";

interface Entity {
  host: ActorHost;
  shard: number;
  intensity: RestartIntensity;
  /** messages processed at the last sweep: unchanged over a sweep means idle */
  seen: number;
  idleSinceMs: number;
  /** listed on am.awake as an entity that must run (kind.sharding.keepAwake) */
  awake: boolean;
}

/** how long a released shard's entities may take to handle what they were given before the release */
const SETTLE_MS = 1_000;

/** How often a region serving shards says so unless told otherwise. */
export const defaultAnnounceMs = 250;

export interface TransitOptions {
  /** how often a region serving shards says so (default 250 ms); silent for three beats, its shards are between owners */
  announceMs?: number;
  /** how long a message waits for its shard to be owned before its error reply (default 5 s) */
  holdMs?: number;
  /** messages held at once for shards between owners, all shards together (default 2 000) */
  maxHeld?: number;
}

/**
 * The entities of one sharded kind in one process (a cell): the shards placement gave this process, and the
 * entities of those shards that are active in memory. One subscription on am.cmd.<kind>.> serves every shard
 * owned here; ids of shards another region serves are ignored. (One subscription per process filtering by hash
 * rather than NATS subject mapping with `partition`: the shard count stays in the kind's declaration, and the
 * platform runs against servers whose configuration it does not own.)
 *
 * Shards between owners: every region says on am.admin.shard-owners.<kind> which shards it serves (on taking or
 * letting one go, and every beat). A message whose shard no region serves (released, or its server silent for
 * three beats: died) is held by every region, since each gets every message; the one that takes the shard says
 * so, then delivers its copies, and the others drop theirs on hearing it: one owner handles each message. A
 * message still held after `holdMs` gets an error reply naming its shard and subject. Commands are core NATS
 * request/reply, not a stream: a stream on am.cmd would answer every request with its publish ack first and
 * persist every command, so a message a dying owner had already taken is lost with it (its caller times out).
 *
 * An entity activates on its first message with no KV write: its journal says in one direct get whether there is
 * history, replayed only if there is. It passivates (memory only) when idle or done. Two owners of one shard during
 * a handover cannot both append: every append is fenced by the entity's last journal sequence.
 */
export class ShardRegion {
  private readonly owned = new Set<number>();
  private readonly entities = new Map<string, Entity>();
  private readonly subs: Subscription[] = [];
  /** stops taking this kind's commands in memory from actors on the same connection */
  private readonly unserve: () => void;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private stopped = false;
  private readonly spec: Required<Omit<ShardingSpec, "doneWhen" | "wake" | "keepAwake" | "routes" | "createdBy">> &
    Pick<ShardingSpec, "doneWhen" | "wake" | "keepAwake" | "routes" | "createdBy">;
  private jsm: Promise<JetStreamManager> | undefined;
  /** this region's name in the shard-owners announcements */
  readonly region: string;
  private readonly directory: ShardDirectory;
  private readonly transit: TransitHold;
  private readonly announceMs: number;
  private readonly ownersSubject: string;
  /** until then this region may not have heard every server yet (three beats from its start) */
  private readonly heardAllBy: number;
  /** shards released here whose release has not come back yet: still served until it does */
  private readonly cuts = new Map<number, () => void>();
  /**
   * failed: entity incarnations ended by an error (a lost fence among them), each restarted or passivated;
   * held: messages kept while their shard was between owners; expired: held ones refused past holdMs or the bound
   */
  readonly stats = { activated: 0, passivated: 0, ignored: 0, failed: 0, held: 0, expired: 0 };

  /** Subscribes at once: a region that serves no shard yet must hold the messages of a shard it may be given. */
  constructor(
    readonly kind: ActorKind,
    private readonly env: HostEnv,
    /** an entity's failures and restarts, reported like any actor's so operators see them */
    private readonly report: (e: LifecycleEvent) => void = () => {},
    transit: TransitOptions = {},
  ) {
    const s = kind.sharding;
    if (!s) throw new Error(`kind ${kind.name} declares no sharding`);
    this.spec = { idleMs: 60_000, doneIdleMs: 2_000, ...s };
    this.announceMs = transit.announceMs ?? defaultAnnounceMs;
    if (!(this.announceMs > 0)) throw new Error(`${kind.name}: announceMs must be positive, got ${this.announceMs}`);
    this.region = `${kind.name}-${randomUUID()}`;
    this.directory = new ShardDirectory(this.region, 3 * this.announceMs);
    this.heardAllBy = Date.now() + this.directory.staleMs;
    this.transit = new TransitHold(transit.maxHeld ?? 2_000, transit.holdMs ?? 5_000);
    this.ownersSubject = subjects.admin("shard-owners", kind.name);
    this.subs.push(
      this.env.nc.subscribe(subjects.cmdAll(kind.name), { callback: (err, msg) => (err ? undefined : this.route(msg)) }),
      this.env.nc.subscribe(this.ownersSubject, { callback: (err, msg) => (err ? undefined : this.hear(msg)) }),
      // a region taking a shard asks its previous server here: the answer follows that server's release, if any
      this.env.nc.subscribe(subjects.admin("shard-region", this.region), {
        callback: (err, msg) => (err ? undefined : this.answer(msg)),
      }),
    );
    // an actor on this connection forwarding to an entity of a shard served here hands it over in memory
    this.unserve = serveKindCommands(this.env.nc, kind.name, (msg) => {
      const id = this.stopped ? undefined : this.idOf(msg);
      const shard = id === undefined ? -1 : shardOf(id, this.spec.shards);
      if (!id || !this.owned.has(shard)) return false;
      this.activateAndReceive(id, shard, msg);
      return true;
    });
    this.every(Math.max(100, Math.min(this.spec.idleMs, this.spec.doneIdleMs) / 2), () => this.sweep());
    this.every(this.announceMs, () => this.beat());
    this.listenForWake();
    this.listenForRoutes();
  }

  /** Messages waiting in the mailboxes of this region's active entities (read at a metrics scrape). */
  mailboxDepth(): number {
    let depth = 0;
    for (const e of this.entities.values()) depth += e.host.mailbox.depth;
    return depth;
  }

  /** Starts serving a shard placement gave this process (`shard-07`), then delivers what it held for it. */
  async own(name: string): Promise<void> {
    const n = this.shardOfName(name);
    if (this.stopped) throw new Error(`${this.kind.name}/${name}: the region is stopped`);
    const claimedAt = Date.now();
    const released = await this.previousServerGone(n);
    this.owned.add(n);
    // Said before delivering: the other regions drop their copies of the held messages on hearing it.
    this.announce([]);
    // the subscriptions are in place at the server before placement reports the shard as served
    await this.env.nc.flush();
    const now = Date.now();
    for (const h of this.transit.take(n)) {
      // Too close to its deadline another region may already have refused it: refused here as well, not handled.
      if (now - h.heldAt >= this.transit.holdMs - this.announceMs) this.refuse(h, `no owner took it within ${this.transit.holdMs} ms`);
      // Without a release from the last owner (it died, or this region never heard of it), a command held before
      // that owner's lease ran out may have reached it too and been handled there: handled again here, it would
      // count twice. It is refused as not here, which a requester that retries sends again. What has no requester
      // (a venue's report, applied once by its execution id) is handled: refused, it would be lost.
      else if (!released && h.msg.reply && h.heldAt < claimedAt - HANDOVER_GAP_MS)
        this.refuse(h, "the shard's last owner may have handled it before it went away");
      else this.deliver(h.msg, n);
    }
    if (this.spec.keepAwake) await this.wakeListed(n);
  }

  private manager(): Promise<JetStreamManager> {
    if (!this.jsm) this.jsm = jetstreamManager(this.env.nc);
    return this.jsm;
  }

  /** Activates the shard's entities listed as needing to run (their last owner passivated them, or died). */
  private async wakeListed(n: number): Promise<void> {
    try {
      const jsm = await this.manager();
      const info = await jsm.streams.info(streams.awake, { subjects_filter: subjects.awakeOf(this.kind.name, n) });
      for (const subject of Object.keys(info.state.subjects ?? {})) {
        const id = unescapeToken(subject.slice(subject.lastIndexOf(".") + 1));
        if (this.owned.has(n) && !this.entities.has(id)) this.activate(id, n).awake = true;
      }
    } catch (e) {
      this.env.log.warn("entities that must run were not woken with their shard", {
        kind: this.kind.name,
        shard: n,
        error: errorMessage(e),
      });
    }
  }

  /** Lists or unlists an entity as needing to run, when what its state says changed. */
  private markAwake(id: string, e: Entity, awake: boolean): void {
    e.awake = awake;
    const subject = subjects.awake(this.kind.name, e.shard, id);
    const done = awake
      ? jetstream(this.env.nc).publish(subject, new Uint8Array(0))
      : this.manager().then((jsm) => jsm.streams.purge(streams.awake, { filter: subject }));
    done.catch((err: unknown) => {
      e.awake = !awake; // said again at the next sweep
      this.env.log.warn("could not note whether an entity must run", { subject, error: errorMessage(err) });
    });
  }

  /**
   * Waits until the shard's previous server has let it go as far as this region can tell; true when it said so (a
   * release: what this region still holds came after it), false when it is gone or unknown. Handling a message it
   * took before its release would handle it twice, and placement's lease travels on another connection, so its
   * order says nothing here. The previous server is asked directly: its answer comes after its release on this
   * connection (one publisher's messages keep their order), and "no responders" means its process is gone.
   */
  private async previousServerGone(n: number): Promise<boolean> {
    const young = this.heardAllBy - Date.now();
    if (young > 0) await new Promise((r) => setTimeout(r, young)); // hear every live server's beat first
    const until = Date.now() + 2 * this.directory.staleMs;
    for (let last = this.directory.lastServer(n); last && Date.now() < until; last = this.directory.lastServer(n)) {
      const answer = await this.env.nc
        .request(subjects.admin("shard-region", last), new Uint8Array(0), { timeout: this.directory.staleMs })
        .then((m) => decodeAs(ShardOwners, m.data, m.headers))
        .catch(() => undefined);
      if (!answer) return false; // gone (no responders), or too slow to answer: the journal's fence guards an overlap
      if (!answer.serving.includes(n)) return true;
      await new Promise((r) => setTimeout(r, this.announceMs)); // still serving: its release is on its way
    }
    return false;
  }

  /** Stops serving a shard: its entities finish what they were given and passivate; its messages are held from now on. */
  async disown(name: string): Promise<void> {
    const n = this.shardOfName(name);
    if (!this.owned.has(n)) return;
    await this.release([n]);
    await Promise.all([...this.entities].filter(([, e]) => e.shard === n).map(([id]) => this.settleThenPassivate(id)));
  }

  /**
   * The release is the cut, in the server's order of messages: this region handles every message delivered
   * before its own release comes back to it (`hear` ends the shard there), the others hold every message after
   * it and drop, on hearing it, what they held before it. Handled here or held there, never both.
   */
  private async release(shards: number[]): Promise<void> {
    const cut = Promise.all(shards.map((n) => new Promise<void>((resolve) => this.cuts.set(n, resolve))));
    this.announce(shards);
    if (!this.env.nc.isClosed()) {
      const late = new Promise<void>((r) => setTimeout(r, 2 * this.directory.staleMs).unref?.());
      await Promise.race([cut, late]);
    }
    for (const n of shards) this.endShard(n);
  }

  private endShard(n: number): void {
    this.owned.delete(n);
    this.cuts.get(n)?.();
    this.cuts.delete(n);
  }

  /** An entity's queued commands are handled before it passivates (bounded: a stuck entity is stopped anyway). */
  private async settleThenPassivate(id: string): Promise<void> {
    const until = Date.now() + SETTLE_MS;
    for (let e = this.entities.get(id); e && Date.now() < until; e = this.entities.get(id)) {
      const h = e.host;
      if (h.status === "stopped" || (h.status !== "idle" && h.mailbox.depth === 0 && !h.busy)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.passivate(id);
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
    const id = this.idOf(msg);
    if (!id) return;
    const shard = shardOf(id, this.spec.shards);
    if (this.owned.has(shard)) {
      this.activateAndReceive(id, shard, msg);
      return;
    }
    const now = Date.now();
    if (this.directory.servedElsewhere(shard, now)) {
      this.stats.ignored++;
      return;
    }
    if (this.transit.hold(msg, shard, now)) this.stats.held++;
    // A region that may not have heard every server yet does not refuse: the shard may well be served.
    else if (now < this.heardAllBy) this.stats.ignored++;
    else this.refuse({ msg, shard, heldAt: now }, `${this.transit.maxMessages} messages already wait for shards without an owner`);
  }

  /**
   * Other actors' messages that belong to an entity (kind.sharding.routes: an order list's legs' events): handed to
   * it, activated first if need be, where its shard is served. Not held between owners: they are events, kept in
   * their stream, and the entity reads back what it missed when it is restored.
   */
  private listenForRoutes(): void {
    const routes = this.spec.routes;
    for (const subject of routes?.subjects ?? []) {
      this.subs.push(
        this.env.nc.subscribe(storedSubject(subject), {
          callback: (err, msg) => {
            const id = err ? undefined : routes!.entityOf(appendedSubject(msg.subject));
            if (!id) return;
            const shard = shardOf(id, this.spec.shards);
            if (this.owned.has(shard)) this.activateAndReceive(id, shard, msg);
          },
        }),
      );
    }
  }

  private idOf(msg: Msg): string | undefined {
    try {
      return parseSubject(msg.subject).id;
    } catch {
      return undefined;
    }
  }

  private deliver(msg: Msg, shard: number): void {
    const id = this.idOf(msg);
    if (id) this.activateAndReceive(id, shard, msg);
  }

  private activateAndReceive(id: string, shard: number, msg: Msg): void {
    const e = this.entities.get(id);
    if (!e || e.host.status === "stopped") this.activate(id, shard, msg);
    else e.host.receive(msg);
  }

  /**
   * In memory only: the host queues messages while its journal is probed (and replayed, if it has history). The
   * message that activates it is queued first, so the host sees whether it creates the entity (kind.sharding.createdBy).
   */
  private activate(id: string, shard: number, first?: Msg): Entity {
    const spec = { ...defaultSupervision, ...this.kind.supervision };
    const host = new ActorHost(this.kind, id, {
      ...this.env,
      routed: true,
      onExit: (h, reason) => this.failed(id, h, reason.error),
    });
    const e: Entity = {
      host,
      shard,
      intensity: new RestartIntensity(spec.maxRestarts, spec.periodMs),
      seen: 0,
      idleSinceMs: Date.now(),
      awake: false,
    };
    this.entities.set(id, e);
    this.stats.activated++;
    if (first) host.receive(first);
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

  /** Another region's word: the shards it serves are its own to handle, so their held copies here are dropped. */
  private hear(msg: Msg): void {
    let word: ShardOwners;
    try {
      word = decodeAs(ShardOwners, msg.data, msg.headers);
    } catch (e) {
      this.env.log.warn("shard-owners announcement skipped", { subject: msg.subject, error: errorMessage(e) });
      return;
    }
    if (word.kind !== this.kind.name) return;
    if (word.region === this.region) {
      for (const n of word.released) if (this.cuts.has(n)) this.endShard(n);
      return;
    }
    // Serving: that region has its own copies. Released: it handled every message delivered before its release.
    for (const s of this.directory.hear(word, Date.now())) if (!this.owned.has(s)) this.transit.take(s);
  }

  private announce(released: number[]): void {
    // a closed connection is a process going away: its silence is what the others go by
    if (this.env.nc.isClosed()) return;
    const { data, headers } = this.word(released);
    this.env.nc.publish(this.ownersSubject, data, { headers });
  }

  private answer(msg: Msg): void {
    if (!msg.reply) return;
    const { data, headers } = this.word([]);
    msg.respond(data, { headers });
  }

  private word(released: number[]): ReturnType<typeof encodeMessage> {
    // a shard whose release is on its way is no longer said to be served, or a beat would undo the release
    const serving = [...this.owned].filter((n) => !this.cuts.has(n));
    const word: ShardOwners = { kind: this.kind.name, region: this.region, serving, released };
    return encodeMessage({ type: ShardOwners.type, ...word });
  }

  /** Every beat: a region serving shards says so, and held messages past their deadline are refused. */
  private beat(): void {
    if (this.owned.size > 0) this.announce([]);
    for (const h of this.transit.expire(Date.now())) this.refuse(h, `no owner took it within ${this.transit.holdMs} ms`);
  }

  /** A request gets an error reply naming its shard and subject; a message without a reply subject is logged. */
  private refuse(h: HeldMessage, why: string): void {
    this.stats.expired++;
    const message = `${this.kind.name}/${shardName(h.shard)} is between owners: ${h.msg.subject} not handled (${why})`;
    if (!h.msg.reply) {
      this.env.log.warn("message of a shard between owners not handled", { shard: shardName(h.shard), subject: h.msg.subject, why });
      return;
    }
    if (this.env.nc.isClosed()) return;
    const { data, headers } = encodeMessage({ type: "Reply", ok: false, error: { code: RuntimeError.NotHere, message } });
    h.msg.respond(data, { headers });
  }

  private every(ms: number, act: () => void): void {
    const t = setInterval(act, ms);
    t.unref?.();
    this.timers.push(t);
  }

  /** The kind's wake-ups: its broadcast subjects, and the connection coming back (one status loop per region). */
  private listenForWake(): void {
    const wake = this.spec.wake;
    if (!wake) return;
    for (const s of wake.broadcast ?? [])
      this.subs.push(
        this.env.nc.subscribe(storedSubject(s), { callback: (err, msg) => (err ? undefined : this.everyEntity((h) => h.receive(msg))) }),
      );
    const reconnectWith = wake.reconnectWith;
    if (!reconnectWith) return;
    void (async () => {
      for await (const s of this.env.nc.status())
        if (s.type === "reconnect" && !this.stopped) this.everyEntity((h) => h.deliver({ ...reconnectWith }));
    })();
  }

  private everyEntity(act: (host: ActorHost) => void): void {
    for (const e of this.entities.values()) if (e.host.status === "running") act(e.host);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.entities) {
      const h = e.host;
      if (this.spec.keepAwake && h.status === "running" && this.owned.has(e.shard)) {
        const awake = this.spec.keepAwake((h.snapshot as { context?: unknown } | undefined)?.context);
        if (awake !== e.awake) this.markAwake(id, e, awake);
      }
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

  /** Lets every shard go (said, so that others hold their messages at once) and leaves the bus. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unserve();
    if (this.owned.size) await this.release([...this.owned]);
    await Promise.all([...this.entities.keys()].map((id) => this.passivate(id)));
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.transit.clear();
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
