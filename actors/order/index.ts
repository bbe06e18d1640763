export { fullCapabilities, routeOrder, type Routing, type VenueCapabilities } from "./capabilities.ts";
export {
  type CancelOrderInput,
  type Decision,
  decide,
  type ExecutionReportInput,
  type OrderCommandInput,
  answerGetOrder,
  type OrderReply,
  type OrderView,
  orderView,
  type QuoteInput,
  type ReplaceOrderInput,
  type SubmitOrderInput,
  submitInput,
  type TradeInput,
  type VenueCommand,
} from "./decide.ts";
export { addFill, divRoundHalfUp, type FillTotals } from "./fill.ts";
export { type OrderContext, type OrderInput, type OrderJournalInput, type OrderQueryInput, type OrderMachine, type OrderMachineInput, orderMachine } from "./machine.ts";
export { evolve, isTerminal, OrdStatus, type OrderState, ordStatuses, workingStatus } from "./order-state.ts";
export { OrderReason } from "./reasons.ts";
export { type OrderSnapshot, replay } from "./replay.ts";
export { orderKind } from "./kind.ts";
