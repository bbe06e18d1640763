import type { CommandBus } from "../commands.ts";
import type { BacktestRunner } from "../backtests.ts";
import type { TrainingJobRunner } from "../training.ts";
import type { BarHistory } from "../history.ts";
import type { OrderProjection } from "../order-view.ts";
import type { StreamSettings } from "../settings.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PredictClient } from "../../infra/models/index.ts";

/** What the service tables close over. */
export interface Services {
  nc: NatsConnection;
  bus: CommandBus;
  /** Predict requests to model actors (am.cmd.model.<name>), answers matched on one inbox */
  predictions: PredictClient;
  /** how long a call without a deadline waits for an actor */
  defaultTimeoutMs: number;
  orders: OrderProjection;
  history: BarHistory | undefined;
  /** where Backtests runs backtests (the node's worker threads); none: UNAVAILABLE */
  backtests: BacktestRunner | undefined;
  /** where Models runs training jobs (the node's TrainingJobs); none: UNAVAILABLE */
  training: TrainingJobRunner | undefined;
  streams: StreamSettings;
  /** live stream sinks, for stats and for stop() */
  sinks: Set<import("../stream-sink.ts").StreamSink<unknown>>;
}
