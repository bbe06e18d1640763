import { randomUUID } from "node:crypto";
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { errorMessage } from "../../actors/contract/index.ts";
import { decodePayload, encodePayload } from "../../infra/nats/index.ts";
import type { TrialRunner } from "./optimiser.ts";
import type { TrialOutcome, TrialRequest } from "./trial.ts";
import { TrialPool } from "./trial-pool.ts";

/** the work queue of trials (one message a trial, gone once acknowledged) and the stream of their results */
export const SWEEP_TRIALS_STREAM = "AM_SWEEP_TRIALS";
export const SWEEP_RESULTS_STREAM = "AM_SWEEP_RESULTS";
/** the one durable consumer every worker of every node pulls trials from */
export const SWEEP_WORKERS = "sweep-workers";
const trialSubject = (sweep: string): string => `am.sweep.trial.${sweep}`;
const resultSubject = (sweep: string, batch: number): string => `am.sweep.result.${sweep}.${batch}`;
/** a trial whose worker died this many times is given up (the sweep fails naming it) */
const MAX_DELIVER = 5;
const ns = (ms: number): number => ms * 1_000_000;

interface QueuedTrial {
  sweep: string;
  batch: number;
  request: TrialRequest;
}
type TrialResult = { id: number; worker: string; delivery: number } & ({ outcome: TrialOutcome } | { error: string });

export interface SweepQueueOptions {
  /** how long a trial may go without its worker's heartbeat before it is handed to another (default 30 s) */
  ackWaitMs?: number;
  replicas?: number;
}

/**
 * Declares the sweep streams and the workers' consumer where they are missing (the first declaration's settings
 * stand). Results are kept a day: a coordinator that reconnects still finds them.
 */
export async function declareSweepQueue(nc: NatsConnection, o: SweepQueueOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const replicas = o.replicas ?? 1;
  const ensure = async (name: string, subjects: string[], retention: RetentionPolicy, maxAgeMs: number): Promise<void> => {
    const config = {
      name,
      subjects,
      retention,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: ns(maxAgeMs),
      duplicate_window: ns(120_000),
      num_replicas: replicas,
    };
    // an existing stream is kept as it is: its replicas are the cluster's choice
    const exists = await jsm.streams.info(name).then(
      () => true,
      () => false,
    );
    if (!exists) await jsm.streams.add(config);
  };
  await ensure(SWEEP_TRIALS_STREAM, ["am.sweep.trial.>"], RetentionPolicy.Workqueue, 7 * 86_400_000);
  await ensure(SWEEP_RESULTS_STREAM, ["am.sweep.result.>"], RetentionPolicy.Limits, 86_400_000);
  const consumer = { ack_wait: ns(o.ackWaitMs ?? 30_000), max_deliver: MAX_DELIVER, max_ack_pending: 10_000 };
  const declared = await jsm.consumers.info(SWEEP_TRIALS_STREAM, SWEEP_WORKERS).then(
    () => true,
    () => false,
  );
  if (!declared) await jsm.consumers.add(SWEEP_TRIALS_STREAM, { durable_name: SWEEP_WORKERS, ack_policy: AckPolicy.Explicit, ...consumer });
}

export interface SweepWorkerOptions {
  /** trials run at once, each on its own worker thread */
  slots: number;
  /** how this worker is named in results (default: a random id) */
  name?: string;
  /** heartbeats (`working`) go out this often while a trial runs: well inside the consumer's ack wait */
  heartbeatMs?: number;
  onTrialStarted?: (t: { sweep: string; id: number; delivery: number }) => void;
  /** a slot's failure (NATS, its thread); the trial it held is redelivered and the slot goes on */
  onError?: (error: Error) => void;
}

/**
 * Takes trials from the sweep work queue and runs them, `slots` at a time on worker threads (so heartbeats go out
 * while a backtest runs): each result is published, then the trial acknowledged. A worker that dies mid-trial stops
 * its heartbeats and, after the consumer's ack wait, JetStream hands the trial to another worker.
 */
export class SweepWorker {
  /** taking trials from the queue (false once stopping) */
  private taking = true;
  /** stopped at once: running trials end unanswered */
  private abandoned = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** each slot's worker thread, opened on its first trial: an idle node pays only for a pull request now and then */
  private readonly pools: Promise<TrialPool>[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly o: SweepWorkerOptions & { name: string },
  ) {}

  static async start(nc: NatsConnection, o: SweepWorkerOptions): Promise<SweepWorker> {
    if (!(Number.isInteger(o.slots) && o.slots >= 1))
      throw new RangeError(`sweep worker slots ${o.slots} must be a whole number of at least 1`);
    const w = new SweepWorker(nc, jetstream(nc), { ...o, name: o.name ?? randomUUID() });
    const consumer = await w.js.consumers.get(SWEEP_TRIALS_STREAM, SWEEP_WORKERS);
    for (let i = 0; i < o.slots; i++) void w.slot(consumer);
    return w;
  }

  get name(): string {
    return this.o.name;
  }

  /** One slot: pull a trial, run it, answer it; a failure (NATS, the thread) is reported and the slot goes on. */
  private async slot(consumer: Consumer): Promise<void> {
    let pool: Promise<TrialPool> | undefined;
    while (this.taking) {
      try {
        const msg = await consumer.next({ expires: 2_000 });
        if (!msg) continue;
        // a trial that arrives while stopping goes back to the queue at once
        if (!this.taking) {
          msg.nak();
          return;
        }
        if (!pool) {
          pool = TrialPool.open(1);
          this.pools.push(pool);
        }
        const run = this.runOne(pool, msg);
        this.inFlight.add(run);
        try {
          await run;
        } finally {
          this.inFlight.delete(run);
        }
      } catch (e) {
        if (!this.taking || this.nc.isClosed()) return;
        this.o.onError?.(e as Error);
        // a thread that would not open is opened afresh; a pause keeps a lasting failure from spinning
        pool = undefined;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async runOne(pool: Promise<TrialPool>, msg: JsMsg): Promise<void> {
    // heartbeats from the start: opening the slot's thread may itself take a while
    const heartbeat = setInterval(() => msg.working(), this.o.heartbeatMs ?? 5_000);
    try {
      const { sweep, batch, request } = decodePayload(msg.data) as QueuedTrial;
      const delivery = msg.info.deliveryCount;
      this.o.onTrialStarted?.({ sweep, id: request.id, delivery });
      let thread: TrialPool;
      try {
        thread = await pool;
      } catch (e) {
        // this node cannot run trials: the trial goes back to the queue for another
        msg.nak();
        throw e;
      }
      let result: TrialResult;
      try {
        const [outcome] = await thread.run([request]);
        result = { id: request.id, worker: this.o.name, delivery, outcome: outcome! };
      } catch (e) {
        if (this.abandoned) return;
        // a trial that throws throws again elsewhere: its error is its result
        result = { id: request.id, worker: this.o.name, delivery, error: errorMessage(e) };
      }
      if (this.abandoned) return;
      await this.js.publish(resultSubject(sweep, batch), encodePayload(result), { msgID: `${sweep}.${batch}.${request.id}` });
      msg.ack();
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Takes no more trials, answers the ones running, then ends the threads. */
  async stop(): Promise<void> {
    this.taking = false;
    await Promise.allSettled([...this.inFlight]);
    await this.closePools();
  }

  /** Stops at once: running trials are dropped unacknowledged, to be redelivered to another worker (as after a crash). */
  async abandon(): Promise<void> {
    this.taking = false;
    this.abandoned = true;
    await this.closePools();
  }

  private async closePools(): Promise<void> {
    await Promise.all(this.pools.map(async (p) => (await p).close()));
  }
}

/**
 * A sweep's trials run by the workers of the sweep work queue (any node): each batch is published, one message a
 * trial, and the results are collected from the results stream in request order. A trial given up after
 * MAX_DELIVER deliveries (its workers died) fails the batch, naming it.
 */
export class QueuedTrials implements TrialRunner {
  private readonly sweep = randomUUID();
  private batches = 0;
  private readonly js: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    /** the workers expected (reported as the sweep's workers; the queue takes any number) */
    readonly size: number,
  ) {
    this.js = jetstream(nc);
  }

  async run(requests: readonly TrialRequest[], onDone?: (outcome: TrialOutcome) => void): Promise<TrialOutcome[]> {
    if (!requests.length) return [];
    const batch = this.batches++;
    const at = new Map(requests.map((r, i) => [r.id, i]));
    const outcomes = new Array<TrialOutcome | undefined>(requests.length);
    let left = requests.length;
    const bySeq = new Map<number, number>();
    const consumer = await this.js.consumers.get(SWEEP_RESULTS_STREAM, {
      filter_subjects: [resultSubject(this.sweep, batch)],
      deliver_policy: DeliverPolicy.All,
    });
    const results = await consumer.consume();
    const advisories: Subscription = this.nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SWEEP_TRIALS_STREAM}.${SWEEP_WORKERS}`,
    );
    try {
      const givenUp = (async () => {
        for await (const m of advisories) {
          const seq = (m.json() as { stream_seq?: number }).stream_seq;
          const i = seq === undefined ? undefined : bySeq.get(seq);
          if (i !== undefined)
            throw new Error(`trial ${requests[i]!.id} was delivered ${MAX_DELIVER} times without a result: its workers died each time`);
        }
      })();
      for (const r of requests) {
        const ack = await this.js.publish(
          trialSubject(this.sweep),
          encodePayload({ sweep: this.sweep, batch, request: r } satisfies QueuedTrial),
          {
            msgID: `${this.sweep}.${batch}.${r.id}`,
          },
        );
        bySeq.set(ack.seq, at.get(r.id)!);
      }
      const collected = (async () => {
        for await (const m of results) {
          const res = decodePayload(m.data) as TrialResult;
          const i = at.get(res.id);
          // a redelivered trial can answer twice: the first answer stands
          if (i === undefined || outcomes[i]) continue;
          if ("error" in res)
            throw new Error(`trial ${res.id} (${JSON.stringify(requests[i]!.config.strategies.map((s) => s.parameters))}): ${res.error}`);
          outcomes[i] = res.outcome;
          onDone?.(res.outcome);
          if (--left === 0) return;
        }
      })();
      await Promise.race([collected, givenUp]);
      return outcomes as TrialOutcome[];
    } finally {
      advisories.unsubscribe();
      await results.close();
    }
  }

  /** Nothing to end: the workers belong to their nodes. */
  async close(): Promise<void> {}
}
