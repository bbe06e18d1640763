import type { CommandBus } from "../commands.ts";
import type { BarHistory } from "../history.ts";
import type { OrderProjection } from "../order-view.ts";
import type { StreamSettings } from "../settings.ts";
import type { NatsConnection } from "@nats-io/transport-node";

/** What the service tables close over. */
export interface Services {
  nc: NatsConnection;
  bus: CommandBus;
  orders: OrderProjection;
  history: BarHistory | undefined;
  streams: StreamSettings;
  /** live stream sinks, for stats and for stop() */
  sinks: Set<import("../stream-sink.ts").StreamSink<unknown>>;
}
