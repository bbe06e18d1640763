export { type BusMessage, defaultFixSession, type FixSessionConfig, fixExchangeSubjects, type VenueBus } from "./bus.ts";
export { FixExchangeAcceptor } from "./exchange-acceptor.ts";
export { FixVenueInitiator } from "./venue-initiator.ts";
export { VenueFixSession } from "./fix-session.ts";
export { DurableFixSessionStore, DurableFixSessionStores, type FixSessionBucket, memoryFixSessionBucket } from "./session-store.ts";
export { asPossibleDuplicate, fieldsOf, frame, gapFill, SOH, utcTimestamp } from "./raw-message.ts";
export { FixFieldError, FixMsgType } from "./wire.ts";
