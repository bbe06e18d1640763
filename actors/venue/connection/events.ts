import { z } from "zod";
import { schema } from "../../domain/index.ts";
import { defineMessage, type MessageOf } from "../../contract/index.ts";

/** Domain events of a venue connection, on am.evt.venue.<venue>.<Event>. */
const venue = z.string().min(1).max(32);
/** who activated or released a kill switch, for the audit trail */
const by = z.string().min(1).max(128);

export const VenueReconciled = defineMessage(
  "VenueReconciled",
  1,
  z.object({
    venue,
    appliedExecutions: z.number().int().nonnegative(),
    resolvedInFlight: z.number().int().nonnegative(),
    unknownOrders: z.number().int().nonnegative(),
    resentCancels: z.number().int().nonnegative(),
    closedAtVenue: z.number().int().nonnegative(),
    lastVenueSeq: z.number().int().nonnegative(),
    ...schema.stamped,
  }),
  "Local and venue state agreed after a (re)connect; the connection accepts orders again.",
);
export type VenueReconciled = MessageOf<typeof VenueReconciled>;

export const UnknownVenueOrderFound = defineMessage(
  "UnknownVenueOrderFound",
  1,
  z.object({
    venue,
    clientOrderId: z.string(),
    venueOrderId: z.string(),
    instrument: schema.instrumentId,
    side: schema.side,
    leavesQty: schema.nonNegativeQuantity,
    ...schema.stamped,
  }),
  "The venue has an open order this connection never sent (left alone; an operator decides).",
);
export type UnknownVenueOrderFound = MessageOf<typeof UnknownVenueOrderFound>;

export const VenueKillSwitchActivated = defineMessage(
  "VenueKillSwitchActivated",
  1,
  z.object({ venue, by, reason: z.string().max(256), canceled: z.number().int().nonnegative(), ...schema.stamped }),
  "All open orders at the venue are being canceled and new orders are refused.",
);
export type VenueKillSwitchActivated = MessageOf<typeof VenueKillSwitchActivated>;

export const VenueKillSwitchReleased = defineMessage(
  "VenueKillSwitchReleased",
  1,
  z.object({ venue, by, reason: z.string().max(256).optional(), ...schema.stamped }),
  "The venue accepts new orders again.",
);
export type VenueKillSwitchReleased = MessageOf<typeof VenueKillSwitchReleased>;

export const VenueCircuitOpened = defineMessage(
  "VenueCircuitOpened",
  1,
  z.object({ venue, failures: z.number().int().positive(), ...schema.stamped }),
  "Reconnects failed too often; the connection is degraded and probes after a cool-down.",
);
export type VenueCircuitOpened = MessageOf<typeof VenueCircuitOpened>;

export const VenueGapFilled = defineMessage(
  "VenueGapFilled",
  1,
  z.object({
    venue,
    missing: z.number().int().positive(),
    recovered: z.number().int().nonnegative(),
    lastVenueSeq: z.number().int().nonnegative(),
    ...schema.stamped,
  }),
  "Reports the venue sent were lost on the way (its sequence skipped numbers); those it still held were asked for and forwarded.",
);
export type VenueGapFilled = MessageOf<typeof VenueGapFilled>;

export const VenueReportRefused = defineMessage(
  "VenueReportRefused",
  1,
  z.object({
    venue,
    clientOrderId: z.string(),
    execId: z.string(),
    code: z.string().max(64),
    reason: z.string().max(1024),
    ...schema.stamped,
  }),
  "An order actor refused one of the venue's execution reports for good (it holds no such order, or the report does not fit it): what the venue did is not in the order's books, and an operator reconciles it.",
);
export type VenueReportRefused = MessageOf<typeof VenueReportRefused>;

export type VenueConnectionEvent =
  | ({ type: "VenueReconciled" } & VenueReconciled)
  | ({ type: "UnknownVenueOrderFound" } & UnknownVenueOrderFound)
  | ({ type: "VenueKillSwitchActivated" } & VenueKillSwitchActivated)
  | ({ type: "VenueKillSwitchReleased" } & VenueKillSwitchReleased)
  | ({ type: "VenueCircuitOpened" } & VenueCircuitOpened)
  | ({ type: "VenueGapFilled" } & VenueGapFilled)
  | ({ type: "VenueReportRefused" } & VenueReportRefused);
