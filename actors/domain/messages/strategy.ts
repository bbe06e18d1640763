import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import {
  instrumentId,
  stamped,
  nonNegativeQuantity,
  orderType,
  positivePrice,
  positiveQuantity,
  quantity,
  side,
  units,
} from "./schemas.ts";

/** Commands to a strategy actor on am.cmd.strategy.<id> (request/reply), and the events it publishes. */
const reason = z.string().max(256).optional();
/** who changed a strategy: the sender stamps it from credentials (a node from Am-Configured-By, the gateway from the JWT) */
const who = z.string().min(1).max(128);

export const StartStrategy = defineMessage(
  "StartStrategy",
  1,
  z.object({ reason, ...stamped }),
  "Start a stopped strategy: it warms up on market data, then trades.",
);
export type StartStrategy = MessageOf<typeof StartStrategy>;

export const PauseStrategy = defineMessage(
  "PauseStrategy",
  1,
  z.object({ cancelOpenOrders: z.boolean().default(false), reason, ...stamped }),
  "Stop sending orders; indicators keep updating so a resume trades at once.",
);
export type PauseStrategy = MessageOf<typeof PauseStrategy>;

export const ResumeStrategy = defineMessage("ResumeStrategy", 1, z.object({ reason, ...stamped }), "Resume a paused strategy.");
export type ResumeStrategy = MessageOf<typeof ResumeStrategy>;

export const StopStrategy = defineMessage(
  "StopStrategy",
  1,
  z.object({ cancelOpenOrders: z.boolean().default(true), reason, ...stamped }),
  "Stop a strategy; by default its open orders are canceled.",
);
export type StopStrategy = MessageOf<typeof StopStrategy>;

export const SetStrategyParameters = defineMessage(
  "SetStrategyParameters",
  1,
  z.object({ parameters: z.record(z.string(), z.unknown()), by: who, ...stamped }),
  "Change some parameters (audited: `by` names who); validated against the strategy's schema, all or nothing.",
);
export type SetStrategyParameters = MessageOf<typeof SetStrategyParameters>;

export const StrategyState = {
  Stopped: "stopped",
  WarmingUp: "warmingUp",
  Running: "running",
  Paused: "paused",
} as const;
export type StrategyState = (typeof StrategyState)[keyof typeof StrategyState];

export const StrategyStateChanged = defineMessage(
  "StrategyStateChanged",
  1,
  z.object({
    strategy: z.string().min(1).max(64),
    state: z.enum(Object.values(StrategyState)),
    previous: z.enum(Object.values(StrategyState)),
    ...stamped,
  }),
  "A strategy's lifecycle state changed.",
);
export type StrategyStateChanged = MessageOf<typeof StrategyStateChanged>;

export const StrategyParametersChanged = defineMessage(
  "StrategyParametersChanged",
  1,
  z.object({ strategy: z.string().min(1).max(64), parameters: z.record(z.string(), z.unknown()), by: who, ...stamped }),
  "A strategy accepted new parameters: who (`by`), when (tsEvent), and the full set after the change.",
);
export type StrategyParametersChanged = MessageOf<typeof StrategyParametersChanged>;

const strategyId = z.string().min(1).max(64);

export const GetStrategyView = defineMessage(
  "GetStrategyView",
  1,
  z.object({ strategy: strategyId, ...stamped }),
  "A strategy starting (restarted, moved) asks its risk book what the book holds of it; the book answers with StrategyBookView on am.cmd.strategy.<id>.",
);
export type GetStrategyView = MessageOf<typeof GetStrategyView>;

export const StrategyBookView = defineMessage(
  "StrategyBookView",
  1,
  z.object({
    book: z.string().min(1).max(64),
    strategy: strategyId,
    /** signed net position per instrument from the strategy's fills; absent when the book does not keep them */
    positions: z.record(instrumentId, quantity).optional(),
    /** the strategy's orders the book approved and still holds open */
    orders: z.array(
      z.object({
        clientOrderId: z.string().min(1).max(64),
        instrument: instrumentId,
        side,
        orderType: orderType.optional(),
        quantity: positiveQuantity,
        remaining: nonNegativeQuantity,
        price: positivePrice.optional(),
      }),
    ),
    ...stamped,
  }),
  "What a risk book holds of one strategy (its positions and open orders): the strategy reconciles with it on start.",
);
export type StrategyBookView = MessageOf<typeof StrategyBookView>;

export const StrategyPositionReconciled = defineMessage(
  "StrategyPositionReconciled",
  1,
  z.object({
    strategy: strategyId,
    book: z.string().min(1).max(64),
    instrument: instrumentId,
    believed: quantity,
    held: quantity,
    ...stamped,
  }),
  "A starting strategy believed another position than its book holds; the book's position wins.",
);
export type StrategyPositionReconciled = MessageOf<typeof StrategyPositionReconciled>;

/**
 * The part of the order events a strategy consumes. Deliberately small and not registered as messages: the order
 * actor owns OrderAccepted/OrderFilled/..., the runtime maps them onto this shape.
 */
export const StrategyOrderEventType = {
  Accepted: "OrderAccepted",
  Filled: "OrderFilled",
  Canceled: "OrderCanceled",
  Rejected: "OrderRejected",
  Expired: "OrderExpired",
} as const;
export type StrategyOrderEventType = (typeof StrategyOrderEventType)[keyof typeof StrategyOrderEventType];

export const strategyOrderEvent = z.object({
  type: z.enum(Object.values(StrategyOrderEventType)),
  clientOrderId: z.string().min(1).max(64),
  /** known from the order the strategy sent; required only for fills of orders it does not remember */
  instrument: instrumentId.optional(),
  side: side.optional(),
  /** OrderFilled: this fill's quantity and price */
  lastQty: nonNegativeQuantity.optional(),
  lastPx: positivePrice.optional(),
  /** OrderFilled: fee of this fill in 1e-8 units of the account currency (negative for a rebate) */
  fee: units.optional(),
  cumQty: nonNegativeQuantity.optional(),
  leavesQty: nonNegativeQuantity.optional(),
  reason: z.string().max(256).optional(),
  ...stamped,
});
export type StrategyOrderEvent = z.output<typeof strategyOrderEvent>;
