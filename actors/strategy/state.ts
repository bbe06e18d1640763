import type {
  ApproveProposal,
  GetProposals,
  RejectProposal,
  OrderDenied,
  PauseStrategy,
  ResumeStrategy,
  SetStrategyParameters,
  StartStrategy,
  StopStrategy,
  StrategyBookView,
  StrategyOrderEvent,
  StrategyState,
} from "../domain/index.ts";
import type { Delivered } from "../contract/index.ts";
import type { StrategyConfigInput } from "./config.ts";
import type { MarketDataEvent, StrategySession } from "./session.ts";
import type { StrategyDefinition } from "./strategy.ts";

export type StrategyCommandEvent =
  | (StartStrategy & { type: "StartStrategy" })
  | (PauseStrategy & { type: "PauseStrategy" })
  | (ResumeStrategy & { type: "ResumeStrategy" })
  | (StopStrategy & { type: "StopStrategy" })
  | (SetStrategyParameters & { type: "SetStrategyParameters" })
  | (ApproveProposal & { type: "ApproveProposal" })
  | (RejectProposal & { type: "RejectProposal" })
  | (GetProposals & { type: "GetProposals" });

/** Command payloads may arrive without defaults applied; stamps are optional for the machine. */
type Loose<E> = E extends unknown
  ? Omit<E, "tsEvent" | "tsInit" | "cancelOpenOrders"> & { tsEvent?: number; tsInit?: number; cancelOpenOrders?: boolean }
  : never;

/** The risk book's refusal, as much of it as a strategy reads (it counts as a rejection of the order). */
type StrategyOrderDenied = { type: "OrderDenied" } & Pick<OrderDenied, "clientOrderId" | "tsEvent" | "tsInit"> & { reason?: string };

/**
 * ReconcileWithBook: the runtime's start or resume event (the kind's startWith/resumeWith), after which the strategy
 * asks its book what the book holds of it; StrategyBookView: the book's answer.
 */
type Reconciliation = { type: "ReconcileWithBook" } | (StrategyBookView & { type: "StrategyBookView" });

/** The machine's own delayed event at a proposal's deadline (proposals.ts): it lapses even when no input arrives. */
export type ProposalDeadline = { type: "ProposalDeadline"; proposalId: string };

export type StrategyEvent = (
  | MarketDataEvent
  | StrategyOrderEvent
  | StrategyOrderDenied
  | Loose<StrategyCommandEvent>
  | Reconciliation
  | ProposalDeadline
) &
  Delivered;

export interface StrategyMachineInput {
  definition: StrategyDefinition<unknown>;
  config: StrategyConfigInput;
}

export interface StrategyMachineContext {
  session: StrategySession;
  state: StrategyState;
  /** a supervisor restart with config.startAtUs: start once, on creation */
  autoStart: boolean;
}
