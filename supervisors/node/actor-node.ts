// Over 400 lines on purpose: hosting, cells, quarantine and shard placement share the node's maps of hosted actors.
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  type ActorKind,
  type ActorLifecycle,
  defaultSupervision,
  errorMessage,
  subjects,
  systemClock,
} from "../../actors/contract/index.ts";
import { type Config, loadConfig } from "../../infra/config/index.ts";
import { encodeMessage, encodePayload, decodePayload } from "../../infra/nats/codec.ts";
import { BucketKeys } from "../../infra/nats/bucket-keys.ts";
import { withConsumerRoom } from "../../infra/nats/consumer-room.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey, parseKvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { Cell, CellRequestTimeout, CellEndedByActorError } from "../cells/cell.ts";
import { type ActorRef, Placement } from "../placement/placement.ts";
import { bucketOf } from "../placement/rendezvous.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";
import { type HostedKinds, loadKinds } from "../runtime/kinds-module.ts";
import { RestartIntensity, RestartType, Supervisor } from "../supervision/index.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { ConfigWatch, storeConfiguration } from "./config-watch.ts";
import { storeRetrainSchedule } from "./kinds/retrain-schedules.ts";
import { serveAdmin } from "./admin-api.ts";
import { type Deployable, DeployError, DeployRefusal } from "./kinds/deployments.ts";

export interface ActorNodeOptions {
  nc: NatsConnection;
  natsUrl: string;
  node: string;
  /** module URL exporting `createKinds(env)` returning kinds (and optionally `deployable`), called by every cell */
  kindsModule: string;
  /** the settings handed to the kinds on this thread and in every cell (default: loadConfig(), the environment) */
  config?: Config;
  cells: number;
  hangBudgetMs: number;
  log: Logger;
  logLevel: "debug" | "info" | "warn" | "error";
  /** the node runs the cluster's only NATS server (local servers): its actors keep their leases through its restarts */
  soleServer?: boolean;
  /** how long a take waits for a cell to start an actor (default 10 s); a slower start keeps its lease meanwhile */
  spawnTimeoutMs?: number;
}

const SPAWN_TIMEOUT_MS = 10_000;
/** a start still unanswered this long after it began gives its lease back (a cell that hangs is ended sooner) */
const STALLED_START_MS = 60_000;
/** starts of a cell tried when they time out (see startCell), the next after attempt × this wait */
const CELL_START_TRIES = 3;
const CELL_START_BACKOFF_MS = 500;

/**
 * The kinds an order passes through, in the order a node takes them after a failover: trading resumes before market
 * analytics catch up. The exchange comes before the venue connection, whose first logon would otherwise find no one.
 */
const orderPath = ["exchange", "risk-book", "order", "venue", "order-list", "execution-algo"];
const takeRank = (r: ActorRef): number => {
  const i = orderPath.indexOf(r.kind);
  return i < 0 ? orderPath.length : i;
};

/** An actor's name in logs, quarantines and cell choice (`bucketOf(keyOf(r), cells)`). */
export const keyOf = (r: ActorRef) => `${r.kind}/${r.id}`;

/**
 * A node process's runtime: worker-thread cells under the node's root supervisor, actors placed on this node by
 * the cluster's placement and spread over the cells, quarantine, lifecycle events on am.sys, and the admin API.
 */
export class ActorNode {
  private kinds = new Map<string, ActorKind>();
  private deployable = new Map<string, Deployable>();
  private cells: (Cell | undefined)[] = [];
  /** the placement's lease fence, handed to every cell (a restarted one too) */
  private actUntil = Number.POSITIVE_INFINITY;
  private root!: Supervisor;
  private placement!: Placement;
  /** starts that outlived the spawn timeout, by actor: the attempt whose answer (or deadline) decides */
  private readonly slowStarts = new Map<string, number>();
  private starts = 0;
  private configWatch!: ConfigWatch;
  private config!: KV;
  /** actors this node hosts (placement gave it their lease) */
  private readonly hosted = new Map<string, ActorRef>();
  /** the cluster's quarantine records (kind/id → reason), kept current by one watch of `quarantine.>` */
  private readonly quarantined = new Map<string, string>();
  private quarantineView: BucketKeys | undefined;
  private readonly hangs = new Map<string, RestartIntensity>();
  private subs: Subscription[] = [];
  /** what the kinds module holds open on this thread (its KV watches), if it says */
  private closeKinds: (() => Promise<void>) | undefined;

  constructor(private readonly o: ActorNodeOptions) {}

  async start(): Promise<void> {
    const config = this.o.config ?? loadConfig();
    const {
      kinds,
      deployable = [],
      close,
    } = await loadKinds<HostedKinds & { deployable?: Deployable[] }>(this.o.kindsModule, { nc: this.o.nc, config, log: this.o.log });
    this.closeKinds = close;
    for (const k of kinds) this.kinds.set(k.name, k);
    for (const d of deployable) this.deployable.set(d.kind, d);
    this.config = await new Kvm(this.o.nc).open(buckets.config);
    // Every node follows the records live: one read at start let an actor quarantined later return on another node.
    this.quarantineView = new BucketKeys(this.o.nc, {
      bucket: buckets.config,
      filter: "quarantine.>",
      // Placement watches this bucket too, under the node's name: a consumer name of its own, same owner prefix.
      owner: `${this.o.node}_quarantine`,
      log: this.o.log,
      onChange: (k, present) => void this.onQuarantineRecord(k.slice("quarantine.".length), present),
    });
    await withConsumerRoom(this.o.nc, this.o.node, this.o.log, () => this.quarantineView!.start());
    // The cells' first starts run side by side (each loads the kinds, a second or more); the supervisor adopts them in
    // order, and starts a cell it restarts later on its own.
    const firstStarts: (Promise<Cell> | undefined)[] = Array.from({ length: this.o.cells }, (_, i) => this.startCell(i, config));
    for (const p of firstStarts) p?.catch(() => {}); // a failure is the supervisor's to report, when it adopts the cell
    this.root = new Supervisor({
      name: `node ${this.o.node}`,
      strategy: "one_for_one",
      maxRestarts: 20,
      periodMs: 10_000,
      onEvent: (e) => {
        if (e.type === "exited" && typeof e.reason === "object" && "error" in e.reason && e.reason.error instanceof CellEndedByActorError)
          this.onCellEndedBy(e.reason.error);
      },
      children: Array.from({ length: this.o.cells }, (_, i) => ({
        id: `cell-${i}`,
        type: "supervisor" as const,
        restart: RestartType.Permanent,
        shutdownMs: 20_000,
        start: async () => {
          const first = firstStarts[i];
          firstStarts[i] = undefined;
          const cell = await (first ?? this.startCell(i, config));
          this.cells[i] = cell;
          cell.onExit(() => {
            if (this.cells[i] === cell) this.cells[i] = undefined;
          });
          // A (re)started cell takes back its share of the node's actors at once.
          await Promise.all(
            [...this.hosted.values()]
              .filter((r) => this.cellIndex(r) === i && !this.quarantined.has(keyOf(r)))
              .map((r) =>
                cell
                  .request({ op: "spawn", ...r })
                  .catch((e) => this.o.log.warn("spawn failed", { actor: keyOf(r), error: errorMessage(e) })),
              ),
          );
          return cell;
        },
      })),
    });
    await this.root.start().catch((e: unknown) => {
      // the cells started beside the one that failed, and not adopted, end with the start
      for (const p of firstStarts)
        void p?.then(
          (c) => c.kill(),
          () => {},
        );
      throw e;
    });
    this.placement = new Placement(
      this.o.nc,
      this.o.node,
      {
        acquire: (r) => this.host(r),
        release: (r, why) => this.unhost(r, why),
        rank: takeRank,
        fence: (until) => {
          this.actUntil = until;
          for (const c of this.cells) c?.fence(until);
        },
      },
      this.o.log,
      () => ({ cells: this.o.cells, actors: this.hosted.size }),
      this.o.soleServer,
    );
    this.subs.push(
      ...serveAdmin(this.o.nc, {
        node: this.o.node,
        hosts: (r) => this.hosts(r),
        liveNodes: () => this.placement.liveNodes(),
        tree: () => this.tree(),
        list: (kind) => this.list(kind),
        describe: (r) => this.describe(r),
        restart: (r) => this.cellOf(r).request({ op: "restart", ...r }),
        unassign: (r) => this.placement.unassign(r),
        quarantine: (r, reason, by) => this.quarantine(r, reason, by),
        release: (r) => this.release(r),
        ensure: (r) => this.ensure(r),
        deploy: (r, config) => this.deploy(r, config),
        configure: (section, id, value, by) =>
          section === "retrain" ? storeRetrainSchedule(this.o.nc, id, value, by) : storeConfiguration(this.o.nc, section, id, value, by),
      }),
    );
    this.configWatch = new ConfigWatch(
      this.o.nc,
      this.o.node,
      (r) => this.hosted.has(keyOf(r)) && !this.quarantined.has(keyOf(r)),
      this.o.log,
    );
    await this.configWatch.start();
    await this.placement.start();
    // a sharded kind is placed shard by shard; declaring them is idempotent, so every node does it
    const shards = [...this.kinds.values()].flatMap((k) =>
      k.sharding ? shardNames(k.sharding.shards).map((id) => ({ kind: k.name, id })) : [],
    );
    if (shards.length) await this.placement.ensureAll(shards);
    this.o.log.info("actor node started", { cells: this.o.cells, kinds: [...this.kinds.keys()].join(",") });
  }

  /**
   * A cell's start-up asks JetStream for its buckets and streams, and a cluster that has just formed may still be
   * electing their leaders: a start that timed out is tried again in a fresh thread, a few times, before the node
   * gives up. Any other failure ends the start at once.
   */
  private async startCell(i: number, config: Config): Promise<Cell> {
    for (let attempt = 1; ; attempt++) {
      const cell = new Cell({
        cell: i,
        node: this.o.node,
        natsUrl: this.o.natsUrl,
        kindsModule: this.o.kindsModule,
        config,
        hangBudgetMs: this.o.hangBudgetMs,
        logLevel: this.o.logLevel,
        onLifecycle: (ev) => this.onLifecycle(ev),
      });
      cell.fence(this.actUntil);
      try {
        await cell.start();
        return cell;
      } catch (e) {
        cell.kill();
        if (attempt >= CELL_START_TRIES || (e as Error | undefined)?.name !== "TimeoutError") throw e;
        this.o.log.warn("cell start timed out; starting it again", { cell: i, attempt, error: errorMessage(e) });
        await new Promise((r) => setTimeout(r, attempt * CELL_START_BACKOFF_MS));
      }
    }
  }

  private cellIndex(r: ActorRef): number {
    return bucketOf(keyOf(r), this.o.cells);
  }

  private cellOf(r: ActorRef): Cell {
    const c = this.cells[this.cellIndex(r)];
    if (!c) throw new Error(`cell ${this.cellIndex(r)} of node ${this.o.node} is restarting`);
    return c;
  }

  private async host(r: ActorRef): Promise<void> {
    if (!this.kinds.has(r.kind)) throw new Error(`node ${this.o.node} does not know actor kind ${r.kind}`);
    this.hosted.set(keyOf(r), r);
    // Where each actor last ran: an actor arriving from another node is reported as moved. Kept beside the spawn,
    // not before it: two KV round trips of bookkeeping would delay every actor's restore after a failover.
    const placedKey = `placed.${kvKey(r.kind, r.id)}`;
    // bookkeeping only: a failed write must not fail the spawn it runs beside (the actor would run unleased)
    const placed = (async () => {
      const before = await this.config.get(placedKey).catch(() => null);
      await this.config
        .put(placedKey, encodePayload({ node: this.o.node, at: Date.now() }))
        .catch((e: Error) => this.o.log.warn("placement record not written", { actor: keyOf(r), error: e.message }));
      return before?.operation === "PUT" ? String((decodePayload(before.value) as { node: string }).node) : undefined;
    })();
    if (this.quarantined.has(keyOf(r))) {
      await placed;
      return;
    }
    const key = keyOf(r);
    const cell = this.cellOf(r);
    const spawnTimeoutMs = this.o.spawnTimeoutMs ?? SPAWN_TIMEOUT_MS;
    // A start slower than the timeout (a starved machine, a long restore) keeps its lease: the take ends, placement
    // renews the lease, and the cell's answer decides. A start that fails hands the lease back. Giving the lease back
    // on the timeout instead left the cell to finish the start unleased, and the actor ran beside its next owner.
    const attempt = ++this.starts;
    const spawned = cell.request({ op: "spawn", ...r }, spawnTimeoutMs, (ok) => this.startedLate(r, attempt, ok));
    let from: string | undefined;
    try {
      [from] = await Promise.all([placed, spawned]);
    } catch (e) {
      if (e instanceof CellRequestTimeout) {
        this.o.log.warn("actor still starting: its lease is kept until its cell answers", { actor: key, afterMs: spawnTimeoutMs });
        this.slowStarts.set(key, attempt);
        // a start that never answers must not hold the lease for good
        setTimeout(
          () => this.startedLate(r, attempt, false, `no answer from its cell within ${STALLED_START_MS} ms`),
          STALLED_START_MS,
        ).unref();
        return;
      }
      this.hosted.delete(key);
      throw e;
    }
    await this.configWatch.placed(r);
    if (from && from !== this.o.node)
      this.publishLifecycle({ event: "moved", kind: r.kind, id: r.id, restarts: 0, reason: `from ${from} to ${this.o.node}` });
  }

  /**
   * The end of a start that outlived the spawn timeout (`attempt`): the cell's answer, or the stall deadline. The
   * actor runs, or its lease goes back; one no longer hosted here is stopped (its stop may have reached the cell
   * before its start finished).
   */
  private startedLate(r: ActorRef, attempt: number, ok: boolean, why = "its start failed"): void {
    const key = keyOf(r);
    const current = this.slowStarts.get(key) === attempt;
    if (current) this.slowStarts.delete(key);
    if (!this.hosted.has(key)) {
      if (ok)
        void this.cellOf(r)
          .request({ op: "stop", ...r })
          .catch(() => {});
      return;
    }
    // hosted by a later attempt, or decided already (answered, or given up at the deadline)
    if (!current) return;
    if (ok) {
      this.o.log.info("actor started after all", { actor: key });
      void this.configWatch.placed(r);
      return;
    }
    this.o.log.warn("actor could not start here: its lease goes back", { actor: key, why });
    this.hosted.delete(key);
    void this.placement.giveBack(r); // its release stops the actor in the cell, should the start still finish
  }

  private async unhost(r: ActorRef, why: string): Promise<void> {
    this.hosted.delete(keyOf(r));
    const cell = this.cells[this.cellIndex(r)];
    if (cell) await cell.request({ op: "stop", ...r });
    this.o.log.debug("actor left this node", { actor: keyOf(r), why });
    // Operators must see a lease loss: the actor is down until another node (or this one) takes the lease again.
    if (why === "lease-lost")
      this.publishLifecycle({
        event: "lease-lost",
        kind: r.kind,
        id: r.id,
        restarts: 0,
        reason: `lease on ${this.o.node} not renewed in time`,
      });
  }

  /**
   * A quarantine record written or deleted anywhere in the cluster. A record stops the actor if this node runs it
   * (its lease may have moved here after the quarantine); a deletion by another node's release lets this node, when
   * it holds the lease, run the actor again.
   */
  private async onQuarantineRecord(key: string, present: boolean): Promise<void> {
    const r = parseKvKey(key);
    const k = keyOf(r);
    try {
      if (!present) {
        if (!this.quarantined.delete(k)) return;
        this.hangs.delete(k);
        if (this.hosted.has(k)) await this.cellOf(r).request({ op: "release", ...r });
        return;
      }
      const known = this.quarantined.has(k);
      if (!known) this.quarantined.set(k, "quarantined");
      const e = await this.config.get(`quarantine.${key}`);
      const reason = e?.operation === "PUT" ? String((decodePayload(e.value) as { reason?: unknown }).reason ?? "quarantined") : undefined;
      if (reason === undefined || !this.quarantined.has(k)) return; // released meanwhile
      this.quarantined.set(k, reason);
      if (!known && this.hosted.has(k)) await this.cells[this.cellIndex(r)]?.request({ op: "quarantine", ...r, reason });
    } catch (e) {
      this.o.log.warn("quarantine record not applied", { actor: k, present, error: errorMessage(e) });
    }
  }

  /** Asks the cluster to run an actor; placement picks the node. */
  ensure(r: ActorRef): Promise<void> {
    if (!this.kinds.has(r.kind)) throw new Error(`unknown actor kind ${r.kind}; known: ${[...this.kinds.keys()].join(", ")}`);
    return this.placement.ensure(r);
  }

  hosts(r: ActorRef): boolean {
    return this.hosted.has(keyOf(r));
  }

  /** A cell ended by one actor's handler (hung, over its heap budget): the actor is quarantined past its intensity. */
  private onCellEndedBy(err: CellEndedByActorError): void {
    this.o.log.error(`cell ${err.what}: ended`, { cell: err.cell, culprit: err.culprit, reason: err.message });
    if (!err.culprit) return;
    const [kind, ...rest] = err.culprit.split("/");
    const ref = { kind: kind!, id: rest.join("/") };
    const spec = { ...defaultSupervision, ...this.kinds.get(ref.kind)?.supervision };
    let intensity = this.hangs.get(err.culprit);
    if (!intensity) {
      intensity = new RestartIntensity(spec.maxRestarts, spec.periodMs);
      this.hangs.set(err.culprit, intensity);
    }
    const allowed = intensity.allow(Date.now());
    this.publishLifecycle({ event: "failed", kind: ref.kind, id: ref.id, restarts: 0, reason: err.message });
    if (!allowed) void this.quarantine(ref, `${err.what} ${spec.maxRestarts + 1} times within ${spec.periodMs} ms (${err.budget})`);
  }

  private onLifecycle(e: LifecycleEvent): void {
    if (e.type === "quarantined") void this.recordQuarantine(e, e.reason);
    this.lifecycle(e);
  }

  private lifecycle(e: LifecycleEvent): void {
    this.publishLifecycle({
      event: e.type,
      kind: e.kind,
      id: e.id,
      restarts: e.restarts,
      ...("error" in e ? { reason: e.error } : "reason" in e ? { reason: e.reason } : {}),
    });
  }

  private publishLifecycle(p: Omit<ActorLifecycle, "node" | "tsEvent" | "tsInit">): void {
    const now = systemClock.nowUs();
    const { data, headers } = encodeMessage({ type: "ActorLifecycle", ...p, node: this.o.node, tsEvent: now, tsInit: now });
    this.o.nc.publish(subjects.sys(p.event, this.o.node), data, { headers });
  }

  /** `by`: who quarantined it (an admin request's requester), else this node's own supervision */
  private async recordQuarantine(r: ActorRef, reason: string, by = `node/${this.o.node}`): Promise<void> {
    this.quarantined.set(keyOf(r), reason);
    await this.config.put(`quarantine.${kvKey(r.kind, r.id)}`, encodePayload({ ...r, reason, by, node: this.o.node, at: Date.now() }));
  }

  async quarantine(r: ActorRef, reason: string, by?: string): Promise<void> {
    const first = !this.quarantined.has(keyOf(r));
    await this.recordQuarantine(r, reason, by);
    // The cell reports the quarantine as a lifecycle event; only when no cell can, the node reports it.
    const cell = this.cells[this.cellIndex(r)];
    const reported = cell
      ? await cell.request({ op: "quarantine", ...r, reason }).then(
          () => true,
          () => false,
        )
      : false;
    if (first && !reported) this.publishLifecycle({ event: "quarantined", kind: r.kind, id: r.id, restarts: 0, reason });
  }

  async release(r: ActorRef): Promise<void> {
    this.quarantined.delete(keyOf(r));
    this.hangs.delete(keyOf(r));
    await this.config.delete(`quarantine.${kvKey(r.kind, r.id)}`);
    // Only the lease holder runs it; elsewhere the deleted record is what the holder's watch acts on.
    if (this.hosted.has(keyOf(r))) await this.cellOf(r).request({ op: "release", ...r });
    this.publishLifecycle({ event: "released", kind: r.kind, id: r.id, restarts: 0 });
  }

  async describe(r: ActorRef): Promise<Record<string, unknown>> {
    const reason = this.quarantined.get(keyOf(r));
    const cell = this.cells[this.cellIndex(r)];
    const d = cell ? ((await cell.request({ op: "describe", ...r })) as Record<string, unknown> | undefined) : undefined;
    return {
      ...(d ?? { kind: r.kind, id: r.id }),
      node: this.o.node,
      cell: this.cellIndex(r),
      ...(reason ? { status: "quarantined", reason } : {}),
    };
  }

  async tree(): Promise<Record<string, unknown>> {
    const cells = await Promise.all(
      this.cells.map(async (c, i) => ({
        cell: i,
        status: c ? "running" : "restarting",
        kinds: c ? await c.request({ op: "tree" }).catch(() => []) : [],
      })),
    );
    return {
      node: this.o.node,
      liveNodes: this.placement.liveNodes(),
      supervisor: this.root.whichChildren().map((c) => ({ id: c.id, status: c.status, restarts: c.restarts })),
      cells,
      quarantined: [...this.quarantined].map(([key, reason]) => ({ key, reason })),
    };
  }

  /** The actors this node hosts (of one kind, or all), as operators list them: one row each, with this node. */
  async list(kind?: string): Promise<{ node: string; actors: Record<string, unknown>[] }> {
    const { cells } = (await this.tree()) as { cells: { cell: number; kinds: { kind: string; actors: Record<string, unknown>[] }[] }[] };
    const actors: Record<string, unknown>[] = [];
    for (const c of cells) {
      for (const k of Array.isArray(c.kinds) ? c.kinds : []) {
        if (kind && k.kind !== kind) continue;
        for (const a of k.actors) {
          actors.push({
            kind: k.kind,
            id: a.id,
            node: this.o.node,
            cell: c.cell,
            status: a.status,
            state: a.state,
            summary: a.context,
            restarts: a.restarts ?? 0,
          });
        }
      }
    }
    return { node: this.o.node, actors: actors.sort((a, b) => String(a.id).localeCompare(String(b.id))) };
  }

  /**
   * Deploys an actor from a configuration: validated by its kind, stored in the config bucket (created only if
   * absent, so two nodes deploying at once agree), then spawned through placement. The same configuration again
   * is a no-op that spawns it if it is not running; a different one for a deployed id is refused (already-exists).
   */
  async deploy(r: ActorRef, config: Record<string, unknown>): Promise<{ deployed: string; key: string; created: boolean }> {
    const d = this.deployable.get(r.kind);
    if (!d)
      throw new DeployError(
        DeployRefusal.Invalid,
        `kind: ${r.kind} is not deployed from a configuration (deployable: ${[...this.deployable.keys()].join(", ") || "none"})`,
      );
    const text = d.prepare(r.id, config);
    const key = d.key(r.id);
    let created = true;
    try {
      await this.config.create(key, text);
    } catch (e) {
      const existing = await this.config.get(key);
      if (existing?.operation !== "PUT") throw e;
      if (existing.string() !== text) {
        throw new DeployError(
          DeployRefusal.AlreadyExists,
          `${r.kind} ${r.id} is deployed with another configuration (${key}); pick a new id`,
        );
      }
      created = false;
    }
    await this.ensure(r);
    for (const c of d.companions?.(r.id, text) ?? []) await this.ensure(c);
    return { deployed: keyOf(r), key, created };
  }

  /** Graceful stop: leave the cluster (actors stop in order, snapshots flushed, leases released), then the cells. */
  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.configWatch?.stop();
    await this.placement.stop();
    await this.quarantineView?.stop();
    await this.root.stop("shutdown");
    await this.closeKinds?.().catch(() => {});
  }
}
