import { defineKind, parseInstrumentId, subjects } from "../contract/index.ts";
import { fullCapabilities, type VenueCapabilityTable } from "./capabilities.ts";
import { emulatesStop } from "./emulation.ts";
import { type OrderContext, orderMachine } from "./machine.ts";
import { isTerminal } from "./order-state.ts";
import { defaultVenueInquiry, type VenueInquiry } from "./venue-inquiry.ts";

/**
 * One entity per order (id = clientOrderId), event-sourced, in 32 shards: the shard's owner activates an order on
 * its first command (the book's SubmitOrder) with no KV write and no read, and passivates it a little after it closes. An order
 * the venue owes an answer keeps its ask timer armed, so it is not passivated before it hears. An order holding a
 * stop for a venue without stops hears its instrument's quotes and trades until it triggers or closes (and is not
 * passivated meanwhile); no other order hears market data.
 */
export const orderKind = (settings: { venueInquiry?: VenueInquiry; venues?: VenueCapabilityTable } = {}) =>
  defineKind({
    name: "order",
    machine: orderMachine,
    input: () => ({
      capabilities: fullCapabilities,
      venues: settings.venues ?? {},
      venueInquiry: settings.venueInquiry ?? defaultVenueInquiry,
    }),
    persistence: "event-sourced",
    interest: (c) => {
      const o = (c as OrderContext).order;
      if (o === null || !emulatesStop(o)) return [];
      const instrument = parseInstrumentId(o.instrument);
      return [subjects.md("quote", instrument), subjects.md("trade", instrument)];
    },
    sharding: {
      shards: 32,
      // an emulated stop watches the market and an emulated GTD waits for its expiry: woken with their shard
      keepAwake: (c) => {
        const o = (c as OrderContext | undefined)?.order;
        return o !== null && o !== undefined && !isTerminal(o.status) && (emulatesStop(o) || o.emulatedGtd);
      },
      doneWhen: (c) => {
        const o = (c as OrderContext).order;
        return o !== null && isTerminal(o.status);
      },
      // the book's SubmitOrder makes a new order: activated by it, an order does not read its (empty) journal first
      createdBy: ["SubmitOrder"],
      // reports lost while the connection was away, or while the venue session was down: open orders ask
      wake: { reconnectWith: { type: "ResumeOrder" }, broadcast: [subjects.evtAll("venue")] },
    },
    // restored from its journal in a new process: reports sent to it while it was down are lost, so ask
    resumeWith: { type: "ResumeOrder" },
    summarize: (c) => {
      const o = (c as { order: { status: string; cumQty: number; quantity: number } | null }).order;
      return o ? { status: o.status, cumQty: o.cumQty, quantity: o.quantity } : { status: "NONE" };
    },
  });
