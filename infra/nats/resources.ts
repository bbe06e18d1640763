import {
  DiscardPolicy,
  type JetStreamManager,
  JetStreamApiError,
  RetentionPolicy,
  type StreamConfig,
  StorageType,
  jetstreamManager,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { MdChannel, storedEventsRule, subjects } from "../../actors/contract/index.ts";

const ms = (n: number): number => n * 1_000_000; // JetStream durations are nanoseconds
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Names of everything the platform declares on JetStream; other modules refer to these, never to literals. */
export const streams = { marketData: "AM_MD", events: "AM_EVT", deadLetters: "AM_DLQ", awake: "AM_AWAKE" } as const;
export const buckets = {
  snapshots: "am-snapshots",
  leases: "am-leases",
  nodes: "am-nodes",
  config: "am-config",
  instruments: "am-instruments",
} as const;

/** How long a lease or a node registration lives without renewal. */
export const leaseTtlMs = 1_500;
export const nodeTtlMs = 1_500;

type DeclaredStream = Pick<
  StreamConfig,
  "name" | "subjects" | "storage" | "retention" | "discard" | "max_age" | "max_bytes" | "duplicate_window" | "num_replicas" | "deny_delete"
> &
  Partial<StreamConfig>;

/**
 * The market data channels AM_MD keeps: all but book updates. An instrument publishes its book at every change (as
 * many as its quotes) for live subscribers, such as the exchange's L2 queue model, and nothing reads one back:
 * stored, they doubled the stream's writes and the recorder's deliveries, each acknowledged unread.
 */
export const storedMarketData: string[] = Object.values(MdChannel)
  .filter((c) => c !== MdChannel.Book)
  .map((c) => subjects.mdAll(c));

/** What an earlier version's stream captured, moved in place to the declared subjects at start. */
const earlierSubjects: Record<string, string[]> = { [streams.marketData]: ["am.md.>"] };

export function declaredStreams(replicas: number): DeclaredStream[] {
  return [
    {
      name: streams.marketData,
      description: "Normalised market data: quotes, trades, bars, status, factors and alternative data",
      subjects: storedMarketData,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: ms(60 * 60_000),
      max_bytes: 4 * GiB,
      duplicate_window: ms(10_000),
      num_replicas: replicas,
      deny_delete: false,
    },
    {
      // Events are the source of truth: when full, refuse new ones rather than lose old ones.
      name: streams.events,
      description: "Domain events of event-sourced actors (orders, risk books)",
      subjects: ["am.evt.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      max_age: 0,
      max_bytes: 16 * GiB,
      duplicate_window: ms(120_000),
      num_replicas: replicas,
      deny_delete: true,
      // journals read history with direct gets (no consumer) and group-commit with atomic batches
      allow_direct: true,
      allow_atomic: true,
      // what it stored, on am.stored.>: live listeners hear an event only once it is in the journals
      republish: { ...storedEventsRule },
    },
    {
      name: streams.deadLetters,
      description: "Rejected input with the reason, for operators",
      subjects: ["am.dlq.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: ms(7 * 24 * 60 * 60_000),
      max_bytes: 256 * MiB,
      duplicate_window: ms(10_000),
      num_replicas: replicas,
      deny_delete: false,
    },
    {
      name: streams.awake,
      description: "Sharded entities that must run while their state says so, one subject each, by shard",
      subjects: ["am.awake.>"],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 0,
      max_bytes: 64 * MiB,
      max_msgs_per_subject: 1,
      duplicate_window: ms(10_000),
      num_replicas: replicas,
      deny_delete: false,
    },
  ];
}

interface DeclaredBucket {
  bucket: string;
  description: string;
  history: number;
  ttl: number;
  max_bytes: number;
}

export function declaredBuckets(): DeclaredBucket[] {
  return [
    { bucket: buckets.snapshots, description: "Actor snapshots with their last applied sequence", history: 1, ttl: 0, max_bytes: 2 * GiB },
    { bucket: buckets.leases, description: "Ownership leases of <kind>/<id>", history: 1, ttl: leaseTtlMs, max_bytes: 256 * MiB },
    { bucket: buckets.nodes, description: "Live nodes and their heartbeats", history: 1, ttl: nodeTtlMs, max_bytes: 64 * MiB },
    {
      bucket: buckets.config,
      description: "Configuration: strategy parameters, risk limits, quarantines",
      history: 16,
      ttl: 0,
      max_bytes: 1 * GiB,
    },
    // the last 5 values of each definition stay readable: who changed a tick size, and from what
    {
      bucket: buckets.instruments,
      description: "Instrument definitions by id (JSON, decimals as strings)",
      history: 5,
      ttl: 0,
      max_bytes: 256 * MiB,
    },
  ];
}

export class ResourceConflictError extends Error {
  override name = "ResourceConflictError";
}

const isNotFound = (e: unknown): boolean =>
  e instanceof JetStreamApiError ? e.code === 404 || e.status === 404 : /not found/i.test(String(e));

function conflicts(kind: string, name: string, declared: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, want] of Object.entries(declared)) {
    if (k === "description") continue;
    const have = actual[k] ?? (typeof want === "boolean" ? false : undefined);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      out.push(`${kind} ${name}: ${k} is ${JSON.stringify(have)}, declared ${JSON.stringify(want)}`);
    }
  }
  return out;
}

export interface DeclareReport {
  created: string[];
  existing: string[];
}

/** Settings an existing stream may lack from an earlier version; they are set in place. */
const upgradable = new Set(["allow_direct", "allow_atomic", "republish"]);

/**
 * Creates the platform's streams and KV buckets when missing. An existing one with the declared settings is left
 * alone; one whose settings differ is reported (ResourceConflictError naming each field) and nothing is changed.
 */
export async function declareResources(nc: NatsConnection, opts: { replicas: number }): Promise<DeclareReport> {
  const jsm = await jetstreamManager(nc);
  const report: DeclareReport = { created: [], existing: [] };
  const problems: string[] = [];
  for (const s of declaredStreams(opts.replicas)) {
    const info = await jsm.streams.info(s.name).catch((e) => (isNotFound(e) ? null : Promise.reject(e)));
    if (!info) {
      await jsm.streams.add(s);
      report.created.push(`stream ${s.name}`);
    } else {
      const actual = info.config as unknown as Record<string, unknown>;
      const differ = conflicts("stream", s.name, s, actual);
      const declared = s as Record<string, unknown>;
      const missing = [...upgradable].filter((k) => declared[k] !== undefined && (actual[k] === undefined || actual[k] === false));
      const earlier = JSON.stringify(info.config.subjects) === JSON.stringify(earlierSubjects[s.name]);
      const others = differ.filter(
        (d) => !missing.some((k) => d.startsWith(`stream ${s.name}: ${k} `)) && !(earlier && d.startsWith(`stream ${s.name}: subjects `)),
      );
      problems.push(...others);
      if (!others.length && (missing.length || earlier)) {
        await jsm.streams.update(s.name, {
          ...info.config,
          ...Object.fromEntries(missing.map((k) => [k, declared[k]])),
          ...(earlier ? { subjects: s.subjects } : {}),
        });
        const changed = [...missing.map((k) => `${k} set`), ...(earlier ? [`subjects now ${s.subjects.join(" ")}`] : [])];
        report.created.push(`stream ${s.name} (${changed.join(", ")})`);
      }
      report.existing.push(`stream ${s.name}`);
    }
  }
  const kvm = new Kvm(nc);
  for (const b of declaredBuckets()) {
    const streamName = `KV_${b.bucket}`;
    const info = await jsm.streams.info(streamName).catch((e) => (isNotFound(e) ? null : Promise.reject(e)));
    if (!info) {
      await kvm.create(b.bucket, {
        description: b.description,
        history: b.history,
        ttl: b.ttl,
        max_bytes: b.max_bytes,
        replicas: opts.replicas,
      });
      report.created.push(`bucket ${b.bucket}`);
    } else {
      const actual = info.config;
      problems.push(
        ...conflicts(
          "bucket",
          b.bucket,
          { history: b.history, ttl: ms(b.ttl), max_bytes: b.max_bytes, replicas: opts.replicas },
          { history: actual.max_msgs_per_subject, ttl: actual.max_age, max_bytes: actual.max_bytes, replicas: actual.num_replicas },
        ),
      );
      report.existing.push(`bucket ${b.bucket}`);
    }
  }
  if (problems.length) {
    throw new ResourceConflictError(
      `existing JetStream resources differ from the declared ones (nothing was changed):\n  ${problems.join("\n  ")}`,
    );
  }
  return report;
}

export type { JetStreamManager };
