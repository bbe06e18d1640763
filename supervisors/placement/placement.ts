import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { BucketKeys } from "../../infra/nats/bucket-keys.ts";
import { decodePayload, encodePayload } from "../../infra/nats/codec.ts";
import { withConsumerRoom } from "../../infra/nats/consumer-room.ts";
import { ReplyInbox } from "../../infra/nats/reply-inbox.ts";
import { buckets, leaseTtlMs, nodeTtlMs } from "../../infra/nats/resources.ts";
import { kvKey, parseKvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { DesiredActors } from "./desired-actors.ts";
import { NodeLiveness } from "./node-liveness.ts";
import { ownerOf } from "./rendezvous.ts";
import { errorMessage } from "../../actors/contract/index.ts";
import { placementMetrics } from "../../infra/telemetry/metrics.ts";

export interface ActorRef {
  kind: string;
  id: string;
}

/** why a node stops hosting an actor: a rebalance, its lease lost, no longer wanted, shutdown, or a failed start */
export type ReleaseReason = "rebalance" | "lease-lost" | "unassigned" | "shutdown" | "start-failed";

export interface PlacementHooks {
  /** start hosting an actor whose lease this node now holds */
  acquire(ref: ActorRef): Promise<void>;
  /** stop hosting (state saved); the lease is released after this resolves */
  release(ref: ActorRef, why: ReleaseReason): Promise<void>;
  /** the order of takes when many are due at once (after a failover): lower first; default all equal */
  rank?(ref: ActorRef): number;
  /**
   * Until when (ms since the epoch) every lease this node holds is confirmed: the hosts of its actors hold their mail
   * past it, so a node whose own thread stalls cannot act beside the node that took its leases. Infinity while it
   * holds none, or while the sole server is down (no other node can take one).
   */
  fence?(actUntilMs: number): void;
}

/** how often a node ticks: heartbeat, renewals due, balance (exported for the capacity plan) */
export const RENEW_MS = Math.floor(leaseTtlMs / 5);
/** the server's answer to a renewal of a key that no longer exists */
const KEY_GONE = "wrong last sequence: 0";
/** a lease is renewed once it is this old: three chances before it expires */
export const RENEW_AGE_MS = Math.floor(leaseTtlMs / 3);
const RENEW_TIMEOUT_MS = Math.floor(leaseTtlMs / 3);
const utf8 = new TextDecoder();
/** leases acquired (and actors started) at once in one tick */
const TAKE_CONCURRENCY = 16;
/** stop before the lease can expire under us */
const SELF_STOP_MS = Math.floor(leaseTtlMs * 0.7);
/**
 * A holder that stops renewing stops its actors this long before any other node may take its lease: a message that
 * reached the new holder later than this before it took the lease cannot have been handled by the old one.
 */
export const HANDOVER_GAP_MS = leaseTtlMs - SELF_STOP_MS;
/** a node whose heartbeat is this late (two ticks missed) is asked whether its connection still stands */
const HEARTBEAT_LATE_MS = 2 * RENEW_MS;
/**
 * A node silent this long is gone even while its connection stands (a partition the servers have not noticed, a
 * process stopped for seconds): a pause shorter than this costs no lease (see NodeLiveness).
 */
export const NODE_SILENT_MS = 2 * leaseTtlMs;
/** a gone node's lease is ended this long after its last renewal plus the TTL (for clocks a little apart) */
const EXPIRY_SLACK_MS = 25;

/**
 * Placement of actors across node processes. Nodes register with heartbeats in KV (entries expire after the
 * bucket's TTL); the set of actors to run lives in the config bucket; each actor's owner is chosen by rendezvous
 * hashing over live nodes and holds a KV lease (create = acquire, update with revision = renew). A lease is best
 * effort: journals are fenced, and a node that cannot renew stops the actor before the lease runs out.
 */
export class Placement {
  private nodesKv!: KV;
  private leasesKv!: KV;
  private configKv!: KV;
  /** live nodes and declared actors, each kept by one watch: a tick reads memory, it never lists a bucket */
  private readonly nodesView: BucketKeys;
  private readonly actorsView: BucketKeys;
  private readonly live = new Set<string>();
  private readonly desired = new DesiredActors();
  /** leases this node holds: key → revision and when its last confirmed renewal (or take) was sent */
  private readonly held = new Map<string, { ref: ActorRef; revision: number; renewedAt: number }>();
  /** the last fence handed to the hooks */
  private actUntil = Number.POSITIVE_INFINITY;
  private readonly transitions = new Set<string>();
  /** actors this node should own, waiting for a free taker */
  private readonly toTake: [string, ActorRef][] = [];
  private readonly queued = new Set<string>();
  private takers = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly inbox: ReplyInbox;
  private stopped = false;
  private ticking = false;
  private tickStartedAt = 0;
  /** the connection is down: renewals cannot reach the server, so none is tried */
  private cutOff = false;
  /** when the sole server came back: an outage of the only server does not count against a lease */
  private resumedAt = 0;
  /** when this process last ran again after a pause of its own (GC, a starved machine): it renews before it judges */
  private pausedUntil = 0;
  private readonly liveness: NodeLiveness;
  /** takes waiting for the lease of a gone node to expire */
  private readonly expiryRetries = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly nc: NatsConnection,
    readonly node: string,
    private readonly hooks: PlacementHooks,
    private readonly log: Logger,
    private readonly info: () => Record<string, unknown> = () => ({}),
    /**
     * This node runs the only NATS server (the local one): while it is down no node can take a lease, so its actors
     * keep running through the outage and renew as soon as it is back, instead of stopping and starting again.
     */
    private readonly soleServer = false,
  ) {
    this.inbox = new ReplyInbox(nc);
    this.liveness = new NodeLiveness(nc, this.inbox, () => void this.tick());
    // the view keeps a node until it is silent for NODE_SILENT_MS; refresh() drops it sooner once its connection is gone
    this.nodesView = new BucketKeys(nc, { bucket: buckets.nodes, owner: node, ttlMs: Math.max(nodeTtlMs, NODE_SILENT_MS), log });
    this.actorsView = new BucketKeys(nc, {
      bucket: buckets.config,
      filter: "actors.>",
      owner: node,
      log,
      onChange: (k, present, revision) => {
        const key = k.slice("actors.".length);
        this.desired.watched(key, present, revision, () => parseKvKey(key));
      },
    });
  }

  async start(): Promise<void> {
    const kvm = new Kvm(this.nc);
    [this.nodesKv, this.leasesKv, this.configKv] = await Promise.all([
      kvm.open(buckets.nodes),
      kvm.open(buckets.leases),
      kvm.open(buckets.config),
    ]);
    this.liveness.answer(this.node);
    await this.heartbeat();
    await withConsumerRoom(this.nc, this.node, this.log, () => this.nodesView.start());
    await withConsumerRoom(this.nc, this.node, this.log, () => this.actorsView.start());
    this.refresh();
    this.watchConnection();
    let lastRun = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      // This timer ran late: the process itself was paused, not the server. Its renewals' answers wait behind this
      // timer (and their timeouts fired first), so the pause does not count against the leases; the next tick renews.
      if (now - lastRun > 2 * RENEW_MS) this.pausedUntil = now;
      // a tick that hangs (on a server gone away) must not keep actors past their leases
      else if (this.ticking && now - Math.max(this.tickStartedAt, this.pausedUntil) > SELF_STOP_MS) this.stopUnrenewed();
      lastRun = now;
      void this.tick();
    }, RENEW_MS);
    await this.tick();
  }

  /** Follows the connection: no renewal is tried while it is down, and all are due the moment it is back. */
  private watchConnection(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (this.stopped) break;
        if (s.type === "disconnect") this.cutOff = true;
        else if (s.type === "reconnect") {
          this.cutOff = false;
          if (this.soleServer) this.resumedAt = Date.now();
          void this.tick();
        }
        this.moveFence();
      }
    })();
  }

  /** Declares that an actor should run somewhere in the cluster. */
  async ensure(ref: ActorRef): Promise<void> {
    const revision = await this.configKv.put(`actors.${kvKey(ref.kind, ref.id)}`, encodePayload(ref));
    this.desired.declared(kvKey(ref.kind, ref.id), ref, revision);
    await this.tick();
  }

  /** Declares several actors at once (a sharded kind's shards): one placement pass for all of them. */
  async ensureAll(refs: ActorRef[]): Promise<void> {
    const revisions = await Promise.all(refs.map((ref) => this.configKv.put(`actors.${kvKey(ref.kind, ref.id)}`, encodePayload(ref))));
    for (const [i, ref] of refs.entries()) this.desired.declared(kvKey(ref.kind, ref.id), ref, revisions[i]!);
    await this.tick();
  }

  /** Declares that an actor should no longer run. */
  async unassign(ref: ActorRef): Promise<void> {
    await this.configKv.delete(`actors.${kvKey(ref.kind, ref.id)}`);
    this.desired.removed(kvKey(ref.kind, ref.id));
    await this.tick();
  }

  /** The actor did not start here after all (its start outlived the take): its lease goes back for any node to take. */
  async giveBack(ref: ActorRef): Promise<void> {
    const key = kvKey(ref.kind, ref.id);
    if (this.held.has(key)) await this.let(key, ref, "start-failed");
  }

  liveNodes(): string[] {
    return [...this.live].sort();
  }

  owns(ref: ActorRef): boolean {
    return this.held.has(kvKey(ref.kind, ref.id));
  }

  private async heartbeat(): Promise<void> {
    // no longer than a renewal may take: a tick waiting on a server that went away holds back the renewals
    await this.nodesKv.put(kvKey("node", this.node), encodePayload({ node: this.node, at: Date.now(), ...this.info() }), {
      timeout: RENEW_TIMEOUT_MS,
    });
  }

  /**
   * Live nodes from the view; the desired actors are kept current by the config watch itself. A node whose heartbeat
   * is late is probed: gone once the servers say its connection is closed, else live until NODE_SILENT_MS.
   */
  private refresh(): void {
    this.live.clear();
    const now = Date.now();
    for (const k of this.nodesView.keys()) {
      const node = parseKvKey(k).id;
      const heartbeatAt = this.nodesView.seenAt(k) ?? now;
      if (node !== this.node && now - heartbeatAt > HEARTBEAT_LATE_MS) {
        if (this.liveness.isGone(node, heartbeatAt)) continue;
        this.liveness.probe(node, heartbeatAt);
      }
      this.live.add(node);
    }
    // this node's heartbeat was just written: after an outage the view may not have it back yet, and a view
    // without this node would give every actor it holds away
    this.live.add(this.node);
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    this.tickStartedAt = Date.now();
    try {
      if (!this.cutOff) {
        // Renewal first: a slow heartbeat write must never make this node's leases late.
        await this.renew();
        await this.heartbeat();
        this.refresh();
        await this.balance();
      }
    } catch (e) {
      this.log.warn("placement tick failed", { error: errorMessage(e) });
    } finally {
      this.ticking = false;
    }
    // after the renewals were tried: a node whose event loop stalled renews what it still holds rather than stopping it
    this.stopUnrenewed();
  }

  /**
   * An actor whose lease could not be renewed in time stops itself, whatever else failed: at the end of each tick,
   * and on the clock while a tick hangs. While the sole server is down, or just back and not yet answering the
   * renewals, no other node can have taken a lease.
   */
  private stopUnrenewed(): void {
    if (this.soleServer && this.cutOff) return;
    const now = Date.now();
    for (const [key, h] of this.held) {
      if (now - Math.max(h.renewedAt, this.resumedAt, this.pausedUntil) > SELF_STOP_MS) void this.let(key, h.ref, "lease-lost");
    }
  }

  /**
   * Hands the hooks the moment the earliest lease held stops being confirmed: its last renewal's send time (the
   * server stamped it later) plus SELF_STOP_MS. A pause of this process extends nothing: while the thread that
   * renews is stalled, the threads hosting the actors must not outlive the leases it could not renew.
   */
  private moveFence(): void {
    let until = Number.POSITIVE_INFINITY;
    if (!(this.soleServer && this.cutOff))
      for (const h of this.held.values()) until = Math.min(until, Math.max(h.renewedAt, this.resumedAt) + SELF_STOP_MS);
    if (until === this.actUntil) return;
    this.actUntil = until;
    this.hooks.fence?.(until);
  }

  /**
   * Renews the leases renewed longest ago (at most every RENEW_AGE_MS each). A renewal is a KV update by hand: a
   * publish to the key's subject expecting its revision, answered on our own reply inbox — the KV client's
   * request() built three Error objects per call, most of the node's main-thread CPU with hundreds of actors.
   */
  private async renew(): Promise<void> {
    const now = Date.now();
    const value = encodePayload({ node: this.node });
    await Promise.all(
      [...this.held].map(async ([key, h]) => {
        if (now - h.renewedAt < RENEW_AGE_MS && h.renewedAt > this.resumedAt) return;
        const sentAt = Date.now();
        try {
          const headers = natsHeaders();
          headers.set("Nats-Expected-Last-Subject-Sequence", String(h.revision));
          const m = await this.inbox.request(`$KV.${buckets.leases}.${key}`, value, headers, RENEW_TIMEOUT_MS);
          const ack = JSON.parse(utf8.decode(m.data)) as { seq?: number; error?: { description?: string } };
          if (ack.error?.description === KEY_GONE) {
            // Our lease key is gone (it expired while we were cut off, or the server restarted without it): no
            // other node holds it, so take it again; create fails if one took it meanwhile, and the journal fences.
            const createdAt = Date.now();
            h.revision = await this.leasesKv.create(key, value);
            h.renewedAt = createdAt;
            return;
          }
          if (ack.error?.description?.startsWith("wrong last sequence")) {
            if (await this.ownRenewalStored(key, h)) return;
            // another node holds the lease now (it expired while we could not renew): stop at once
            void this.let(key, h.ref, "lease-lost");
            return;
          }
          if (ack.error || typeof ack.seq !== "number") throw new Error(ack.error?.description ?? "no sequence in the acknowledgement");
          h.revision = ack.seq;
          h.renewedAt = sentAt;
          placementMetrics?.renewals.add(1, placementMetrics.ok);
        } catch (e) {
          placementMetrics?.renewals.add(1, placementMetrics.failed);
          this.log.warn("lease renewal failed", { actor: `${h.ref.kind}/${h.ref.id}`, error: errorMessage(e) });
        }
      }),
    );
    this.moveFence();
  }

  /**
   * A renewal refused for its revision, where the key's last write is this node's: a renewal of ours was stored but
   * its answer lost (written just before the connection dropped: the reply inbox fails it, the next one is sent on
   * the old revision). No other node wrote since, so the lease is still ours: its revision is adopted, and the next
   * tick renews it (the confirmed renewal time stays the older one, so the fence does not move on a guess).
   */
  private async ownRenewalStored(key: string, h: { revision: number }): Promise<boolean> {
    const e = await this.leasesKv.get(key).catch(() => null);
    if (e?.operation !== "PUT" || (decodePayload(e.value) as { node?: string }).node !== this.node) return false;
    h.revision = e.revision;
    this.log.info("lease renewal stored without its answer: kept", { key, revision: e.revision });
    return true;
  }

  private async balance(): Promise<void> {
    const nodes = [...this.live];
    for (const [key, ref] of this.desired.entries()) {
      if (this.transitions.has(key) || this.queued.has(key)) continue;
      const owner = ownerOf(key, nodes);
      const mine = this.held.has(key);
      if (owner === this.node && !mine) {
        this.queued.add(key);
        this.toTake.push([key, ref]);
      } else if (owner !== this.node && mine) void this.let(key, ref, "rebalance");
    }
    const rank = this.hooks.rank;
    if (rank) this.toTake.sort((a, b) => rank(a[1]) - rank(b[1]));
    this.pumpTakes();
    for (const [key, h] of this.held) if (!this.desired.has(key) && !this.transitions.has(key)) void this.let(key, h.ref, "unassigned");
  }

  /**
   * Takes run beside the tick, a bounded few at a time: after a failover each is a KV create plus a journal replay.
   * Awaited in the tick they held back the renewals of the leases already held, past their self-stop time.
   */
  private pumpTakes(): void {
    while (this.takers < TAKE_CONCURRENCY && this.toTake.length) {
      const [key, ref] = this.toTake.shift()!;
      this.takers++;
      const go = this.stopped || this.held.has(key) ? Promise.resolve() : this.take(key, ref);
      void go.finally(() => {
        this.takers--;
        this.queued.delete(key);
        this.pumpTakes();
      });
    }
  }

  private async take(key: string, ref: ActorRef): Promise<void> {
    let revision: number;
    const sentAt = Date.now();
    try {
      revision = await this.leasesKv.create(key, encodePayload({ node: this.node }));
    } catch {
      // held by another node until it releases or its lease expires
      await this.retryAtExpiry(key, ref);
      return;
    }
    this.transitions.add(key);
    this.held.set(key, { ref, revision, renewedAt: sentAt });
    this.moveFence();
    try {
      await this.hooks.acquire(ref);
      this.log.debug("actor placed here", { actor: `${ref.kind}/${ref.id}` });
    } catch (e) {
      this.log.warn("actor could not start here", { actor: `${ref.kind}/${ref.id}`, error: errorMessage(e) });
      this.held.delete(key);
      this.moveFence();
      await this.leasesKv.delete(key).catch(() => {});
    } finally {
      this.transitions.delete(key);
    }
  }

  /**
   * The lease is held by a node that is gone: take it the moment its TTL since the last renewal has passed, rather
   * than when the server gets to dropping it (a quarter second later or more) and the next tick after that. Its
   * holder, if alive but cut off, stopped the actor at SELF_STOP_MS, 450 ms before. Only that revision is deleted:
   * a renewal meanwhile keeps the lease where it is.
   */
  private async retryAtExpiry(key: string, ref: ActorRef): Promise<void> {
    if (this.expiryRetries.has(key) || this.stopped) return;
    const e = await this.leasesKv.get(key).catch(() => null);
    if (e?.operation !== "PUT" || this.live.has((decodePayload(e.value) as { node?: string }).node ?? "")) return;
    const waitMs = Math.max(0, e.created.getTime() + leaseTtlMs + EXPIRY_SLACK_MS - Date.now());
    if (waitMs > leaseTtlMs + EXPIRY_SLACK_MS) return; // clocks too far apart to judge: the ticks take it
    this.expiryRetries.set(
      key,
      setTimeout(() => {
        this.expiryRetries.delete(key);
        if (this.stopped || this.held.has(key) || this.queued.has(key) || ownerOf(key, [...this.live]) !== this.node) return;
        this.queued.add(key);
        void this.leasesKv
          .delete(key, { previousSeq: e.revision })
          .catch(() => {})
          .then(() => {
            this.toTake.push([key, ref]);
            this.pumpTakes();
          });
      }, waitMs),
    );
  }

  private async let(key: string, ref: ActorRef, why: ReleaseReason): Promise<void> {
    if (this.transitions.has(key) && why !== "shutdown") return;
    this.transitions.add(key);
    try {
      await this.hooks
        .release(ref, why)
        .catch((e) => this.log.warn("actor stop failed", { actor: `${ref.kind}/${ref.id}`, error: errorMessage(e) }));
      const h = this.held.get(key);
      this.held.delete(key);
      this.moveFence();
      if (why !== "lease-lost" && h) await this.leasesKv.delete(key, { previousSeq: h.revision }).catch(() => {});
      (why === "lease-lost" ? this.log.warn : this.log.debug)("actor released", { actor: `${ref.kind}/${ref.id}`, why });
    } finally {
      this.transitions.delete(key);
    }
  }

  /** Stops hosting everything, releases leases and leaves the cluster. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const retry of this.expiryRetries.values()) clearTimeout(retry);
    this.expiryRetries.clear();
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    this.stopped = true;
    this.toTake.length = 0;
    while (this.takers > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.held].map(([key, h]) => this.let(key, h.ref, "shutdown")));
    await this.nodesKv.delete(kvKey("node", this.node)).catch(() => {});
    await Promise.all([this.nodesView.stop(), this.actorsView.stop()]);
    this.liveness.stop();
    this.inbox.close();
  }
}

export type { KvEntry };
