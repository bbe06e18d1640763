export {
  capabilitiesOf,
  fullCapabilities,
  routeOrder,
  type Routing,
  type VenueCapabilities,
  type VenueCapabilityTable,
} from "./capabilities.ts";
export { decide } from "./decide.ts";
export {
  type CancelOrderInput,
  type Decision,
  type ExecutionReportInput,
  type OrderCommandInput,
  type OrderReply,
  type QuoteInput,
  type ReplaceOrderInput,
  type SubmitOrderInput,
  submitInput,
  type TradeInput,
  type VenueCommand,
} from "./decision.ts";
export { evolve } from "./evolve.ts";
export { addFill, divRoundHalfUp, type FillTotals } from "./fill.ts";
export {
  type OrderContext,
  type OrderInput,
  type OrderJournalInput,
  type OrderQueryInput,
  type OrderMachine,
  type OrderMachineInput,
  orderMachine,
} from "./machine.ts";
export { isTerminal, OrdStatus, type OrderState, ordStatuses, workingStatus } from "./order-state.ts";
export { OrderReason } from "./reasons.ts";
export { type OrderSnapshot, replay } from "./replay.ts";
export { askDelayMs, decideVenueInquiry, defaultVenueInquiry, type VenueInquiry, waitsOnVenue } from "./venue-inquiry.ts";
export { answerGetOrder, type OrderView, orderView } from "./view.ts";
export { orderKind } from "./kind.ts";
