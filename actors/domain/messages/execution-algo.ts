import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { instrumentId, micros, nonNegativeQuantity, positivePrice, positiveQuantity, side, stamped } from "./schemas.ts";

/**
 * Commands to an execution algorithm on am.cmd.execution-algo.<parentId> (request/reply), and the events it
 * journals on am.evt.execution-algo.<parentId>.<Event>. Quantities and prices are 1e-8 units (fixed.ts).
 */
const parentId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "1-40 of A-Z a-z 0-9 _ -");
const childId = z.string().min(1).max(64);
const reason = z.string().max(256).optional();
const venueId = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, "a venue id like SIMX (upper-case letters, digits, _ or -)");

export const AlgoKind = {
  Twap: "TWAP",
  Vwap: "VWAP",
  Pov: "POV",
  Iceberg: "ICEBERG",
  Shortfall: "IS",
  Routed: "SOR",
  Learned: "RL",
} as const;
export type AlgoKind = (typeof AlgoKind)[keyof typeof AlgoKind];

const horizon = {
  /** when the schedule ends, microseconds since the epoch */
  endAtUs: z.number().int().positive(),
  /** number of equal-time slices of the horizon */
  slices: z.number().int().min(1).max(10_000),
};
/** at most this share of the market volume traded since the previous child (0 < cap <= 1) */
const participationCap = z.number().gt(0).max(1).optional();
/** the smallest child, in lots */
const minChildLots = z.number().int().min(1).default(1);

export const algoParams = z.discriminatedUnion("algo", [
  z.object({ algo: z.literal(AlgoKind.Twap), ...horizon, participationCap, minChildLots }),
  z.object({
    algo: z.literal(AlgoKind.Vwap),
    ...horizon,
    /** relative volume of each slice of the horizon (one weight per slice; normalised by the algorithm) */
    profile: z.array(z.number().nonnegative()).min(1).max(10_000),
    participationCap,
    minChildLots,
  }),
  z.object({
    algo: z.literal(AlgoKind.Pov),
    /** target share of the instrument's traded volume since the start (0 < rate <= 1) */
    rate: z.number().gt(0).max(1),
    /** how often the participation is checked, in ms */
    checkEveryMs: z.number().int().min(10).max(3_600_000).default(1_000),
    minChildLots,
  }),
  z.object({
    algo: z.literal(AlgoKind.Iceberg),
    /** the quantity shown at the venue at a time; refilled when a child is done */
    displayQuantity: positiveQuantity,
    checkEveryMs: z.number().int().min(10).max(3_600_000).default(1_000),
  }),
  z.object({
    algo: z.literal(AlgoKind.Shortfall),
    ...horizon,
    /** Almgren–Chriss risk aversion λ (per unit of currency), ≥ 0; 0 is TWAP */
    riskAversion: z.number().nonnegative(),
    /** volatility σ of the price per unit time of one slice (currency per share per √slice) */
    volatility: z.number().positive(),
    /** temporary impact η (currency per share per share-per-slice) */
    temporaryImpact: z.number().positive(),
    /** permanent impact γ (currency per share per share) */
    permanentImpact: z.number().nonnegative().default(0),
    participationCap,
    minChildLots,
  }),
  z.object({
    algo: z.literal(AlgoKind.Routed),
    /** the venues listing the parent's symbol that it may be routed to (the child's instrument is SYMBOL.<venue>) */
    venues: z.array(venueId).min(1).max(16),
    /** how often the rest is routed again while no child is open, in ms */
    checkEveryMs: z.number().int().min(10).max(3_600_000).default(200),
    /** what one millisecond of a venue's latency costs, in bps of the price */
    latencyBpsPerMs: z.number().nonnegative().max(100).default(0.1),
    /** what a routed unit that does not fill costs, in bps: weighs a venue's fill rate so far */
    missCostBps: z.number().nonnegative().max(1_000).default(5),
    minChildLots,
  }),
  z.object({
    algo: z.literal(AlgoKind.Learned),
    ...horizon,
    /** the learned policy deciding each slice's child: a model actor whose input is liquidation-state v1 */
    model: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "a model name (lower-case kebab)"),
    /** the instrument's tick (1e-8 units): the policy sees the spread in ticks */
    tickSize: positivePrice,
  }),
]);
export type AlgoParams = z.output<typeof algoParams>;

/** A parent order's terms: what StartAlgo asks and AlgoStarted journals. */
const parentTerms = {
  instrument: instrumentId,
  side,
  quantity: positiveQuantity,
  /** the instrument's lot size; every child is a multiple of it */
  lotSize: positiveQuantity,
  /** children are LIMIT orders at this price when given (required for ICEBERG), MARKET IOC otherwise */
  limitPrice: positivePrice.optional(),
  params: algoParams,
  book: z.string().min(1).max(64),
  /** the owner the children carry as their strategy */
  strategy: z.string().min(1).max(64),
};

export const StartAlgo = defineMessage(
  "StartAlgo",
  1,
  z.object({ ...parentTerms, ...stamped }),
  "Start an execution algorithm for a parent order; its children go through the risk book.",
);
export type StartAlgo = MessageOf<typeof StartAlgo>;

export const PauseAlgo = defineMessage(
  "PauseAlgo",
  1,
  z.object({ reason, ...stamped }),
  "Stop sending children and cancel the open ones; the schedule's timer is cleared.",
);
export type PauseAlgo = MessageOf<typeof PauseAlgo>;

export const ResumeAlgo = defineMessage("ResumeAlgo", 1, z.object({ reason, ...stamped }), "Resume a paused algorithm.");
export type ResumeAlgo = MessageOf<typeof ResumeAlgo>;

export const AmendAlgo = defineMessage(
  "AmendAlgo",
  1,
  z.object({
    /** new parent quantity: not below what is filled and open */
    quantity: positiveQuantity.optional(),
    limitPrice: positivePrice.optional(),
    /** new end of the schedule (TWAP, VWAP, IS): the remaining quantity is rescheduled over what is left */
    endAtUs: z.number().int().positive().optional(),
    ...stamped,
  }),
  "Change a running or paused parent's quantity, limit price or end time.",
);
export type AmendAlgo = MessageOf<typeof AmendAlgo>;

export const CancelAlgo = defineMessage(
  "CancelAlgo",
  1,
  z.object({ reason, ...stamped }),
  "Cancel the parent: its open children are canceled and no more are sent.",
);
export type CancelAlgo = MessageOf<typeof CancelAlgo>;

export const GetAlgo = defineMessage("GetAlgo", 1, z.object({ ...stamped }), "The parent's progress, children and TCA (request/reply).");
export type GetAlgo = MessageOf<typeof GetAlgo>;

/** Transaction cost of a parent; slippage in bps, positive = a cost (bought above / sold below the benchmark). */
export const algoTca = z.object({
  avgPx: z.number().nonnegative(),
  arrivalMid: z.number().nonnegative(),
  intervalVwap: z.number().nonnegative(),
  closeMid: z.number().nonnegative(),
  arrivalBps: z.number().nullable(),
  intervalVwapBps: z.number().nullable(),
  closeBps: z.number().nullable(),
});
export type AlgoTca = z.output<typeof algoTca>;

export const AlgoStarted = defineMessage(
  "AlgoStarted",
  1,
  z.object({ parentId, ...parentTerms, ...stamped }),
  "A parent order started under an algorithm.",
);
export type AlgoStarted = MessageOf<typeof AlgoStarted>;

export const AlgoChildSent = defineMessage(
  "AlgoChildSent",
  1,
  z.object({
    parentId,
    clientOrderId: childId,
    quantity: positiveQuantity,
    /** the slice of the schedule it serves; the next slice is planned after it */
    slice: z.number().int().nonnegative(),
    /** when the next evaluation is due */
    nextAtUs: micros,
    /** a routed child's listing and limit price (the venue's touch); other children trade the parent's */
    instrument: instrumentId.optional(),
    price: positivePrice.optional(),
    ...stamped,
  }),
  "A child order was planned and sent to the risk book.",
);
export type AlgoChildSent = MessageOf<typeof AlgoChildSent>;

export const AlgoSliceSkipped = defineMessage(
  "AlgoSliceSkipped",
  1,
  z.object({ parentId, slice: z.number().int().nonnegative(), nextAtUs: micros, why: z.string().max(256), ...stamped }),
  "A slice sent nothing (below the minimum child, held by the participation cap, nothing left to send).",
);
export type AlgoSliceSkipped = MessageOf<typeof AlgoSliceSkipped>;

export const AlgoChildFilled = defineMessage(
  "AlgoChildFilled",
  1,
  z.object({ parentId, clientOrderId: childId, lastQty: positiveQuantity, lastPx: positivePrice, cumQty: positiveQuantity, ...stamped }),
  "A child of the parent filled (cumQty is the child's total).",
);
export type AlgoChildFilled = MessageOf<typeof AlgoChildFilled>;

export const AlgoChildClosed = defineMessage(
  "AlgoChildClosed",
  1,
  z.object({
    parentId,
    clientOrderId: childId,
    cumQty: nonNegativeQuantity,
    /** why the child ended without filling in full: canceled, expired, rejected, denied */
    outcome: z.enum(["FILLED", "CANCELED", "EXPIRED", "REJECTED", "DENIED"]),
    reason,
    ...stamped,
  }),
  "A child order ended; what it did not fill goes back to the parent's remaining quantity.",
);
export type AlgoChildClosed = MessageOf<typeof AlgoChildClosed>;

export const AlgoPaused = defineMessage("AlgoPaused", 1, z.object({ parentId, reason, ...stamped }), "The parent was paused.");
export type AlgoPaused = MessageOf<typeof AlgoPaused>;

export const AlgoResumed = defineMessage(
  "AlgoResumed",
  1,
  z.object({ parentId, nextAtUs: micros, reason, ...stamped }),
  "The parent resumed; its next evaluation is due at nextAtUs.",
);
export type AlgoResumed = MessageOf<typeof AlgoResumed>;

export const AlgoAmended = defineMessage(
  "AlgoAmended",
  1,
  z.object({
    parentId,
    quantity: positiveQuantity,
    limitPrice: positivePrice.optional(),
    endAtUs: z.number().int().positive().optional(),
    ...stamped,
  }),
  "The parent's quantity, limit price or end time changed (the values after the change).",
);
export type AlgoAmended = MessageOf<typeof AlgoAmended>;

export const AlgoCompleted = defineMessage(
  "AlgoCompleted",
  1,
  z.object({ parentId, filledQty: nonNegativeQuantity, tca: algoTca, ...stamped }),
  "The parent is filled; its transaction cost analysis is attached.",
);
export type AlgoCompleted = MessageOf<typeof AlgoCompleted>;

export const AlgoCanceled = defineMessage(
  "AlgoCanceled",
  1,
  z.object({ parentId, filledQty: nonNegativeQuantity, tca: algoTca, reason, ...stamped }),
  "The parent was canceled; what it filled and its transaction cost analysis are attached.",
);
export type AlgoCanceled = MessageOf<typeof AlgoCanceled>;
