/**
 * The simulated exchange as an actor behind the venue-adapter protocol (am.cmd.venue-adapter.<venue>): it answers
 * a venue connection's logon, state requests and orders with AdapterLoggedOn, VenueStateSnapshot and
 * ExecutionReports, and rests background liquidity around the market's quotes so our orders meet a market.
 * Execution ids are `<session>:<instrument>:<engine seq>`; venue sequence numbers start at the session's seqBase.
 */
export * from "./matching/index.ts";
export { AdapterConnectFailed, AdapterDisconnected, AdapterLoggedOn, VenueOrderStatus, VenueStateSnapshot } from "./messages.ts";
export { decide, type ExchangeDecision, type SimulatedVenueInput } from "./decide.ts";
export { evolve } from "./evolve.ts";
export { type SimulatedVenueContext, type SimulatedVenueMachine, simulatedVenueMachine } from "./machine.ts";
export * from "./simulated-venue.ts";
export * from "./fill-model.ts";
export * from "./l2-queue.ts";
export { type ExchangeInstrument, SESSION_OWNER, type SimulatedVenueConfig, SimulatedVenueSession } from "./venue-session.ts";
export type { SessionOrderSnapshot, VenueSessionSnapshot } from "./session-snapshot.ts";
export { type ExchangeCatalogue, type ExchangeCosts, exchangeKind } from "./kind.ts";
