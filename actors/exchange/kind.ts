import { defineKind, subjects } from "../contract/index.ts";
import { asQuantity, quantityOf } from "../domain/index.ts";
import type { InstrumentDefinition } from "../instrument/index.ts";
import { checkFillModel, type FillModel } from "./fill-model.ts";
import { type SimulatedVenueContext, simulatedVenueMachine } from "./machine.ts";
import type { VenueSessionSnapshot } from "./session-snapshot.ts";
import { fixExchangeSubjects } from "../venue/index.ts";
import { type SimulatedVenueConfig, SimulatedVenueSession } from "./venue-session.ts";

/** The instruments a node knows, by id; the exchange lists those of its own venue. */
export type ExchangeCatalogue = ReadonlyMap<string, Pick<InstrumentDefinition, "id" | "venue" | "priceIncrement" | "lotSize">>;

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

/**
 * The simulated exchange of a venue (id = venue): takes the venue-adapter protocol on am.cmd.venue-adapter.<venue>
 * and every quote of that venue's instruments (background liquidity, batched). Write-ahead: what an input changed
 * in its books (book-record.ts) is appended to its journal, group-committed, before any report of it is published,
 * so a crash never loses an order it acknowledged or a fill it reported. A compaction snapshot of the session
 * bounds the replay. A restarted venue puts its orders back as they were and opens a new trading session
 * (execution ids above the old ones, sequence numbers too), and its clients log on again and reconcile; only
 * commands it had not answered yet (in flight, or waiting out its latency) are lost, as on any venue.
 */
export const exchangeKind = (
  catalogue: ExchangeCatalogue,
  costs: Readonly<Record<string, ExchangeCosts>> = {},
  /** queue position and slippage by venue (fill-model.ts); a venue not named fills on touch without slippage */
  fills: Readonly<Record<string, FillModel>> = {},
  /** resting size per level of each venue's background book (1e-8 units); a venue not named shows 100 units */
  depth: Readonly<Record<string, number>> = {},
  /** venues traded over FIX: their exchange takes commands from, and answers, the FIX acceptor in front of it */
  fixFronted: ReadonlySet<string> = new Set(),
) => {
  for (const m of Object.values(fills)) checkFillModel(m);
  const configOf = (venue: string): SimulatedVenueConfig => ({
    venue,
    instruments: [...catalogue.values()]
      .filter((d) => d.venue === venue)
      .map((d) => ({ id: d.id, tickSize: d.priceIncrement, lotSize: d.lotSize })),
    background: { levels: 5, stepTicks: 1, quantity: asQuantity(depth[venue] ?? quantityOf(100)) },
    // the runtime, not the machine, reads the wall clock: a new session numbers above every earlier one
    seqBase: Date.now() * 1000,
    ...venueCosts(costs[venue]),
    ...(fills[venue] ? { fills: fills[venue] } : {}),
    ...(fixFronted.has(venue) ? { replyTo: fixExchangeSubjects(venue).fromExchange } : {}),
  });
  return defineKind({
    name: "exchange",
    machine: simulatedVenueMachine,
    input: configOf,
    // its venue's quotes (and trades, whose prints move the queue under the visible model): with several venues
    // each exchange hears its own listings only, not every quote of the market
    consumes: (venue) => [
      fixFronted.has(venue) ? fixExchangeSubjects(venue).toExchange : subjects.cmd("venue-adapter", venue),
      subjects.mdVenue("quote", venue),
      ...(fills[venue]?.queue === "visible" ? [subjects.mdVenue("trade", venue)] : []),
      ...(fills[venue]?.queue === "l2" ? [subjects.mdVenue("book", venue)] : []),
    ],
    // one record per input that changed our orders (a few hundred bytes), and the whole session (26-77 KB in the
    // demo) only every few seconds, when it changed, so that a restart replays a few seconds of records
    persistence: "event-sourced",
    snapshotEveryMs: 5_000,
    compactJournal: true,
    // quotes keep moving the books while a record is being stored: waiting for it would conflate them
    pipelined: true,
    persist: {
      toPlain: (c) => (c as SimulatedVenueContext).session.snapshot(),
      // a fresh session (this incarnation's seqBase, the catalogue and costs as they are now) with the old orders
      fromPlain: (p) => {
        const stored = p as VenueSessionSnapshot;
        const session = new SimulatedVenueSession(configOf(stored.venue));
        session.restore(stored);
        return { session };
      },
    },
    startWith: { type: "OpenTradingSession" },
    // clients still logged on to the old session must log on to this one and reconcile
    resumeWith: { type: "OpenTradingSession" },
    batchAs: "QuoteBatch",
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const session = (c as SimulatedVenueContext).session;
      return { openOrders: session.openOrderCount, loggedOn: session.loggedOn };
    },
  });
};
