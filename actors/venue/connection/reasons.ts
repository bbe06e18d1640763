/** Why a venue connection refused an order command. */
export const VenueReason = {
  /** disconnected, connecting, reconciling or degraded: orders wait for `ready` */
  NotReady: "VENUE_NOT_READY",
  RateLimited: "RATE_LIMITED",
  KillSwitchActive: "KILL_SWITCH_ACTIVE",
  /** a cancel or replace for an order this connection never sent or already closed */
  UnknownOrder: "UNKNOWN_ORDER",
} as const;
export type VenueReason = (typeof VenueReason)[keyof typeof VenueReason];
