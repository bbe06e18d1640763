import { defineKind, subjects } from "../contract/index.ts";
import type { InstrumentDefinition } from "../instrument/index.ts";
import { type SimulatedVenueContext, simulatedVenueMachine } from "./machine.ts";

/** The instruments a node knows, by id; the exchange lists those of its own venue. */
export type ExchangeCatalogue = ReadonlyMap<string, Pick<InstrumentDefinition, "id" | "venue" | "priceIncrement" | "lotSize">>;

/**
 * The simulated exchange of a venue (id = venue): takes the venue-adapter protocol on am.cmd.venue-adapter.<venue>
 * and every quote of that venue's instruments (background liquidity, batched). No persistence: a restarted venue
 * is a new trading session (new execution ids, sequence numbers above the old ones), and its clients reconcile.
 */
const venueCosts = (c: ExchangeCosts | undefined) =>
  c
    ? {
        makerFeeBps: c.makerFeeBps,
        takerFeeBps: c.takerFeeBps,
        // a fixed seed: the same configuration gives the same delays, run after run
        latency: { fixedUs: c.latencyUs, jitterUs: c.jitterUs, seed: 1 },
      }
    : {};

/** Fees (bps, negative = rebate) and one-way latency (µs) of a venue; a venue not named trades free and at once. */
export interface ExchangeCosts {
  makerFeeBps: number;
  takerFeeBps: number;
  latencyUs: number;
  jitterUs: number;
}

export const exchangeKind = (catalogue: ExchangeCatalogue, costs: Readonly<Record<string, ExchangeCosts>> = {}) =>
  defineKind({
    name: "exchange",
    machine: simulatedVenueMachine,
    input: (venue) => ({
      venue,
      instruments: [...catalogue.values()]
        .filter((d) => d.venue === venue)
        .map((d) => ({ id: d.id, tickSize: d.priceIncrement, lotSize: d.lotSize })),
      background: { levels: 5, stepTicks: 1, quantity: 100 * 100_000_000 },
      // the runtime, not the machine, reads the wall clock: a new session numbers above every earlier one
      seqBase: Date.now() * 1000,
      ...venueCosts(costs[venue]),
    }),
    // all quotes: the session ignores instruments not listed on its venue
    consumes: (venue) => [subjects.cmd("venue-adapter", venue), subjects.mdAll("quote")],
    persistence: "none",
    startWith: { type: "OpenTradingSession" },
    batchAs: "QuoteBatch",
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const session = (c as SimulatedVenueContext).session;
      return { openOrders: session.openOrderCount, loggedOn: session.loggedOn };
    },
  });
