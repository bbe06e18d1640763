import { createActor, SimulatedClock } from "xstate";
import {
  type ExecType,
  type OrderEvent,
  type SubmitOrder,
  priceOf,
  quantityOf,
  ZERO_PRICE,
  ZERO_QUANTITY,
  type Quantity,
} from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { fullCapabilities, type VenueCapabilities } from "./capabilities.ts";
import { type ExecutionReportInput, type SubmitOrderInput, submitInput } from "./decision.ts";
import { type OrderInput, orderMachine } from "./machine.ts";

/** Test fixtures for order actors: a driven actor that records what it emits, and input builders. */
export const T0 = 1_700_000_000_000_000;

export function submitCommand(over: Partial<SubmitOrder> = {}): SubmitOrder {
  return {
    clientOrderId: "c1",
    instrument: "AAPL.XNAS",
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(10),
    price: priceOf(100),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    strategy: "s1",
    book: "b1",
    tsEvent: T0,
    tsInit: T0,
    ...over,
  };
}

export const submit = (over: Partial<SubmitOrder> = {}, nowUs = T0): SubmitOrderInput => submitInput(submitCommand(over), nowUs);

let execSeq = 0;
export function report(execType: ExecType, over: Partial<ExecutionReportInput> = {}): ExecutionReportInput {
  execSeq += 1;
  return {
    type: "ExecutionReport",
    clientOrderId: "c1",
    venueOrderId: "v1",
    execId: `x${execSeq}`,
    execType,
    instrument: "AAPL.XNAS",
    side: "BUY",
    lastQty: ZERO_QUANTITY,
    lastPx: ZERO_PRICE,
    cumQty: ZERO_QUANTITY,
    leavesQty: ZERO_QUANTITY,
    avgPx: ZERO_PRICE,
    fee: 0,
    venueSeq: execSeq,
    tsEvent: T0 + execSeq,
    tsInit: T0 + execSeq,
    nowUs: T0 + execSeq,
    ...over,
  };
}

export const fill = (lastQty: Quantity, lastPx = priceOf(100), over: Partial<ExecutionReportInput> = {}): ExecutionReportInput =>
  report("PARTIAL_FILL", { lastQty, lastPx, liquidity: "MAKER", ...over });

/** An order actor on a simulated clock (its timers fire only when a test moves the clock). */
export function startOrder(capabilities: VenueCapabilities = fullCapabilities, clock: SimulatedClock = new SimulatedClock()) {
  const actor = createActor(orderMachine, { input: { capabilities }, clock });
  const out: Emitted[] = [];
  actor.on("*", (e) => {
    out.push(e as Emitted);
  });
  actor.start();
  return {
    actor,
    /** everything emitted since start */
    out,
    /** sends one input and returns what it emitted */
    send(e: OrderInput): Emitted[] {
      const from = out.length;
      actor.send(e);
      return out.slice(from);
    },
    status: () => (actor.getSnapshot().value as { status: string }).status,
    order: () => actor.getSnapshot().context.order,
    /** the domain events emitted so far: the journal */
    journal: (): OrderEvent[] => out.flatMap((e) => (e.type === "domain" ? [e.event as OrderEvent] : [])),
  };
}

export const domainEvents = (emitted: Emitted[]): OrderEvent[] =>
  emitted.flatMap((e) => (e.type === "domain" ? [e.event as OrderEvent] : []));
export const replyOf = (emitted: Emitted[]) => emitted.find((e) => e.type === "reply");
