import { challengerRefusal, newChallenger } from "./challenger.ts";
import { emptyWindow } from "./serving-stats.ts";
import type { ModelContext, ModelMachineInput, Waiting } from "./state.ts";

/** The model actor's state changes, pure: what queues, what is in flight, what has been served. */

export function initialContext(input: ModelMachineInput): ModelContext {
  const { challenge, ...rest } = input;
  const refusal = challenge && challengerRefusal(input.name, input.version, challenge);
  return {
    ...rest,
    ...(challenge && !refusal ? { challenger: newChallenger(challenge.version, challenge.mode, challenge.share ?? 0) } : {}),
    ...(refusal ? { challengerRefused: refusal } : {}),
    columns: Object.fromEntries(input.features.map((f, i) => [f, i])),
    pending: [],
    inFlight: {},
    nextBatchId: 1,
    flushArmed: false,
    served: 0,
    batches: 0,
    failures: 0,
    recent: emptyWindow(),
    reportedUs: 0,
    provider: "none yet",
    loaded: false,
  };
}

/**
 * The queue is the one part of the context changed in place: a request joins it and a batch leaves it without
 * copying the rest, so a backlog of n requests costs O(n) to serve, not O(n²). The kind keeps no state, so no
 * snapshot holds the array, and a restart resumes with the queue as the last step left it.
 */
export function enqueue(c: ModelContext, w: Waiting): Waiting[] {
  c.pending.push(w);
  return c.pending;
}

/** The next batch taken from the head of the queue: the oldest requests, at most maxBatch. */
export function takeBatch(c: ModelContext): { batchId: number; batch: Waiting[]; next: Partial<ModelContext> } {
  const batch = c.pending.splice(0, c.maxBatch);
  for (const w of batch) w.version = c.version;
  const batchId = c.nextBatchId;
  return {
    batchId,
    batch,
    next: { pending: c.pending, inFlight: { ...c.inFlight, [batchId]: batch }, nextBatchId: batchId + 1 },
  };
}

export function settle(c: ModelContext, batchId: number): Partial<ModelContext> {
  const { [batchId]: _done, ...rest } = c.inFlight;
  return { inFlight: rest };
}

export const inFlightCount = (c: ModelContext): number => Object.keys(c.inFlight).length;
