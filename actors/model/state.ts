import type { Delivered } from "../contract/index.ts";
import type { InferenceCompleted, InferenceFailed, ModelLoaded, ModelLoadFailed, Predict } from "./messages.ts";

/** One caller waiting for its row. */
export interface Waiting {
  requestId: string;
  replyTo: string;
  row: number[];
  tsInit: number;
}

export interface Batching {
  /** the most requests one inference serves */
  maxBatch: number;
  /** how long the first request of a batch waits for others */
  maxWaitMs: number;
  /** an inference not answered within this fails its callers and restarts the actor */
  timeoutMs: number;
  /** a session not loaded within this fails the waiting callers and restarts the actor */
  loadTimeoutMs: number;
}

export interface ModelMachineInput extends Batching {
  name: string;
  version: number;
  features: string[];
  outputWidth: number;
}

export interface ModelContext extends ModelMachineInput {
  /** feature name → input column */
  columns: Record<string, number>;
  pending: Waiting[];
  /** batches handed to the inference port, by batch id */
  inFlight: Record<number, Waiting[]>;
  nextBatchId: number;
  flushArmed: boolean;
  served: number;
  batches: number;
  failures: number;
  provider: string;
  /** the port has this version's session open */
  loaded: boolean;
}

export type ModelEvent = (
  | ({ type: "Predict" } & Predict)
  | ({ type: "InferenceCompleted" } & InferenceCompleted)
  | ({ type: "InferenceFailed" } & InferenceFailed)
  | ({ type: "ModelLoaded" } & ModelLoaded)
  | ({ type: "ModelLoadFailed" } & ModelLoadFailed)
  | { type: "LoadTimedOut" }
  | { type: "FlushBatch" }
  | { type: "InferenceTimedOut"; batchId: number }
  | { type: "ModelFailed"; reason: string }
) &
  Delivered;
