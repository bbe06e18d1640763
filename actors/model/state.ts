import type { Delivered } from "../contract/index.ts";
import type { ServingWindow } from "./serving-stats.ts";
import type { Challenger, ChallengeSpec } from "./challenger.ts";
import type {
  InferenceCompleted,
  InferenceFailed,
  ModelLoaded,
  ModelLoadFailed,
  Predict,
  PromoteVersion,
  StartChallenger,
} from "./messages.ts";

/** One caller waiting for its row. */
export interface Waiting {
  requestId: string;
  replyTo: string;
  row: number[];
  tsInit: number;
  /** when the actor took the request (its clock): the start of the latency it reports */
  takenUs: number;
  /** the version whose batch took the request (a swap may promote another while it runs) */
  version?: number;
  /** a feature stream's row: answered with a ModelForecast (see Predict) */
  forecastFor?: ForecastFor;
}

export interface ForecastFor {
  instrument: string;
  barType: string;
  /** the features' time (their bar's close), which the forecast carries */
  tsEvent: number;
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
  /** the challenge the registry holds for this model: a started (or restarted) actor runs it again */
  challenge?: ChallengeSpec;
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
  /** recent latencies and batch sizes, for the summary operators read */
  recent: ServingWindow;
  /** when the actor last reported its service (ModelServingReported) */
  reportedUs: number;
  provider: string;
  /** the port has this version's session open */
  loaded: boolean;
  /** a promoted version being loaded; the current one serves until it is ready */
  swapTo?: number;
  /** why the last promotion did not take */
  swapRefused?: string;
  /** a version tried beside this one (shadow or canary) */
  challenger?: Challenger;
  /** why the last challenger was refused or dropped */
  challengerRefused?: string;
}

export type ModelEvent = (
  | ({ type: "Predict" } & Predict)
  /** consecutive Predicts folded by the runtime (the kind's foldCommands): the same as each delivered alone */
  | { type: "PredictBatch"; items: readonly Predict[] }
  | ({ type: "InferenceCompleted" } & InferenceCompleted)
  | ({ type: "InferenceFailed" } & InferenceFailed)
  | ({ type: "ModelLoaded" } & ModelLoaded)
  | ({ type: "ModelLoadFailed" } & ModelLoadFailed)
  | { type: "LoadTimedOut" }
  | ({ type: "PromoteVersion" } & PromoteVersion)
  | ({ type: "StartChallenger" } & StartChallenger)
  | { type: "StopChallenger" }
  | { type: "FlushBatch" }
  | { type: "InferenceTimedOut"; batchId: number }
  | { type: "ModelFailed"; reason: string }
) &
  Delivered;
