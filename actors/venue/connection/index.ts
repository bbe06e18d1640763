export {
  AdapterConnect,
  AdapterDisconnect,
  type AdapterEvent,
  AdapterOrderStatusRequest,
  AdapterRequestState,
  type VenueAdapter,
  type VenueOpenOrder,
  type VenueOrderView,
  type VenueView,
} from "./adapter.ts";
export {
  UnknownVenueOrderFound,
  VenueCircuitOpened,
  type VenueConnectionEvent,
  VenueGapFilled,
  VenueKillSwitchActivated,
  VenueKillSwitchReleased,
  VenueReconciled,
  VenueReportRefused,
} from "./events.ts";
export { decideHeld, decideReconcile, decideRouted, type VenueCommandInput } from "./decide.ts";
export { afterReport, trackReport } from "./evolve.ts";
export { type VenueConnectionMachine, venueConnectionMachine } from "./machine.ts";
export {
  defaultVenueConnectionConfig,
  initialContext,
  type Outcome,
  type VenueConnectionConfig,
  type VenueConnectionContext,
  type VenueConnectionInput,
} from "./state.ts";
export { type LocalOrder, type LocalView, type ReconcileAction, type Reconciliation, reconcile } from "./reconcile.ts";
export { VenueReason } from "./reasons.ts";
export {
  backoffMs,
  type BreakerState,
  breakerFailure,
  closedBreaker,
  fullBucket,
  nextRandom,
  type TokenBucket,
  takeToken,
} from "./resilience.ts";
export { venueKind } from "./kind.ts";
export { VenueOrderStatusRequest } from "./status-request.ts";
