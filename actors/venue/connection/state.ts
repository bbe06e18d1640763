import type {
  ActivateVenueKillSwitch,
  ExecutionReport,
  ReleaseVenueKillSwitch,
  VenueCancelOrder,
  VenueNewOrder,
  VenueReplaceOrder,
} from "../../domain/index.ts";
import type { Emitted, ForwardRefused } from "../../contract/index.ts";
import type { AdapterEvent } from "./adapter.ts";
import type { LocalOrder } from "./reconcile.ts";
import type { VenueOrderStatusRequest } from "./status-request.ts";
import { type BreakerState, closedBreaker, fullBucket, type TokenBucket } from "./resilience.ts";

export interface VenueConnectionConfig {
  venue: string;
  /** seed of the jitter stream: the same seed gives the same reconnect schedule */
  seed: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;
  reconcileTimeoutMs: number;
  /** consecutive connect failures within breakerWindowUs that open the circuit */
  breakerThreshold: number;
  breakerWindowUs: number;
  /** how long the circuit stays open before one probe */
  breakerCooldownMs: number;
  /** token bucket on new orders and replaces: burst size and refill per second */
  rateCapacity: number;
  ratePerSecond: number;
  /**
   * An order open at the venue that this connection does not know after a reconnect: "cancel" (the default) cancels
   * it there, as the platform holds every live order in this view (an exchange restored from a snapshot older than
   * its last cancels and fills shows orders the platform closed); "report" only reports it (a venue account shared
   * with people or systems trading outside the platform).
   */
  unknownOrders: "cancel" | "report";
}

export const defaultVenueConnectionConfig: Omit<VenueConnectionConfig, "venue"> = {
  seed: 1,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  connectTimeoutMs: 10_000,
  reconcileTimeoutMs: 15_000,
  breakerThreshold: 5,
  breakerWindowUs: 60_000_000,
  breakerCooldownMs: 60_000,
  rateCapacity: 20,
  ratePerSecond: 10,
  unknownOrders: "cancel",
};

type Delivered<T> = T & { nowUs: number };

/** What a status request asks about (VenueOrderStatusRequest without its stamps). */
export type OrderStatusRequest = Omit<VenueOrderStatusRequest, "tsEvent" | "tsInit">;
export type VenueConnectionInput =
  | { type: "Start"; nowUs: number }
  /** the connection restored in a new process (node or cell restart): its venue session died with the old one */
  | { type: "ResumeVenueSession"; nowUs: number }
  /** the host's clock tick (the kind's tickEveryMs): a gap's request still unanswered is asked again */
  | { type: "Tick"; nowUs: number }
  | AdapterEvent
  | Delivered<ExecutionReport & { type: "ExecutionReport" }>
  | Delivered<VenueNewOrder & { type: "VenueNewOrder" }>
  | Delivered<VenueCancelOrder & { type: "VenueCancelOrder" }>
  | Delivered<VenueReplaceOrder & { type: "VenueReplaceOrder" }>
  | Delivered<VenueOrderStatusRequest & { type: "VenueOrderStatusRequest" }>
  | Delivered<ActivateVenueKillSwitch & { type: "ActivateVenueKillSwitch" }>
  | Delivered<ReleaseVenueKillSwitch & { type: "ReleaseVenueKillSwitch" }>
  /** the runtime's word that an order actor refused a report for good */
  | Delivered<ForwardRefused>;

export interface VenueConnectionContext {
  config: VenueConnectionConfig;
  nowUs: number;
  rng: number;
  attempt: number;
  nextDelayMs: number;
  breaker: BreakerState;
  bucket: TokenBucket;
  killSwitch: { active: boolean; reason?: string; by?: string };
  orders: Record<string, LocalOrder>;
  lastVenueSeq: number;
  /** orders whose re-sent cancel must be answered before the connection is ready */
  awaiting: string[];
  /** status requests that arrived before the session was reconciled: answered once it is */
  statusRequests: OrderStatusRequest[];
  /** orders asked of the venue while their cancel or replace is unanswered, until the venue's answer comes */
  statusAwaiting: Record<string, "CANCEL" | "REPLACE">;
  /** orders not in the view asked of the venue, until its answer comes (absent in a snapshot saved before) */
  statusUnknown?: Record<string, OrderStatusRequest>;
  /** venue orders this connection did not know and cancels: their reports go to no order actor */
  orphans?: string[];
  /** venue sequence numbers skipped by the reports received, asked of the venue (see gap-fill.ts) */
  missingSeqs?: number[];
  /** when the venue was last asked for them (connection clock, µs) */
  gapAskedUs?: number;
}

/** What a decision produces: the context fields it changes and what the connection emits, in order. */
export interface Outcome {
  patch: Partial<VenueConnectionContext>;
  emitted: Emitted[];
}

export function initialContext(input: Partial<VenueConnectionConfig> & { venue: string }): VenueConnectionContext {
  const config: VenueConnectionConfig = { ...defaultVenueConnectionConfig, ...input };
  return {
    config,
    nowUs: 0,
    rng: config.seed,
    attempt: 0,
    nextDelayMs: 0,
    breaker: closedBreaker,
    bucket: fullBucket(config.rateCapacity, 0),
    killSwitch: { active: false },
    orders: {},
    lastVenueSeq: 0,
    awaiting: [],
    statusRequests: [],
    statusAwaiting: {},
  };
}
