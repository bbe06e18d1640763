import { parseInstrumentId, subjects } from "../../../actors/domain/index.ts";
import type { InstrumentDefinition } from "../../../actors/instrument/index.ts";
import { fullCapabilities, isTerminal, type OrderContext, orderMachine } from "../../../actors/order/index.ts";
import { approvedOrderForwards, type RiskBookContext, riskBookMachine } from "../../../actors/risk-book/index.ts";
import { strategyMachine, subscriptions } from "../../../actors/strategy/index.ts";
import { venueConnectionMachine } from "../../../actors/venue/connection/index.ts";
import { simulatedVenueMachine } from "../../../actors/venue/exchange/index.ts";
import { initialTransition } from "xstate";
import { defineKind } from "../../runtime/kind.ts";
import { DEMO_BOOK, demoBook, demoStrategies } from "./demo-trading.ts";
import { deployedStrategy, deployedStrategyIds } from "./strategy-deployments.ts";

type Catalogue = Map<string, InstrumentDefinition>;

/**
 * The simulated exchange of a venue (id = venue): takes the venue-adapter protocol on am.cmd.venue-adapter.<venue>
 * and every quote of that venue's instruments (background liquidity, batched). No persistence: a restarted venue
 * is a new trading session (new execution ids, sequence numbers above the old ones), and its clients reconcile.
 */
export const exchangeKind = (catalogue: Catalogue) =>
  defineKind({
    name: "exchange",
    machine: simulatedVenueMachine,
    input: (venue) => ({
      venue,
      instruments: [...catalogue.values()].filter((d) => d.venue === venue).map((d) => ({ id: d.id, tickSize: d.priceIncrement, lotSize: d.lotSize })),
      background: { levels: 5, stepTicks: 1, quantity: 100 * 100_000_000 },
      // the runtime, not the machine, reads the wall clock: a new session numbers above every earlier one
      seqBase: Date.now() * 1000,
    }),
    // all quotes: the session ignores instruments not listed on its venue
    consumes: (venue) => [subjects.cmd("venue-adapter", venue), subjects.mdAll("quote")],
    persistence: "none",
    batchAs: "QuoteBatch",
    mailboxCapacity: 50_000,
    summarize: (c) => ({ openOrders: (c as { session: { openOrderCount: number; loggedOn: boolean } }).session.openOrderCount, loggedOn: (c as { session: { loggedOn: boolean } }).session.loggedOn }),
  });

/**
 * A venue connection (id = venue): order commands in on am.cmd.venue.<venue>, adapter answers on the same subject.
 * Snapshot persistence keeps its view of open orders and the last venue sequence for reconciliation; a fresh one
 * is started with `Start` (connect, log on, reconcile).
 */
export const venueKind = () =>
  defineKind({
    name: "venue",
    machine: venueConnectionMachine,
    // the first reconnect waits a second, so that after a node restart its order actors are back to hear the result
    input: (venue) => ({ venue, rateCapacity: 50, ratePerSecond: 50, backoffBaseMs: 1_000, backoffMaxMs: 5_000 }),
    persistence: "snapshot",
    snapshotEveryMs: 500,
    startWith: { type: "Start" },
    // the venue session died with the process that held it: reconnect and reconcile what the snapshot remembers
    resumeWith: { type: "AdapterDisconnected", reason: "venue connection resumed in a new process" },
    summarize: (c) => ({ openOrders: Object.keys((c as { orders: object }).orders).length, lastVenueSeq: (c as { lastVenueSeq: number }).lastVenueSeq }),
  });

/**
 * One entity per order (id = clientOrderId), event-sourced, in 32 shards: the shard's owner activates an order on
 * its first command (the book's SubmitOrder) with no KV write, and passivates it a little after it closes.
 */
export const orderKind = () =>
  defineKind({
    name: "order",
    machine: orderMachine,
    input: () => ({ capabilities: fullCapabilities }),
    persistence: "event-sourced",
    sharding: { shards: 32, doneWhen: (c) => { const o = (c as OrderContext).order; return o !== null && isTerminal(o.status); } },
    summarize: (c) => {
      const o = (c as { order: { status: string; cumQty: number; quantity: number } | null }).order;
      return o ? { status: o.status, cumQty: o.cumQty, quantity: o.quantity } : { status: "NONE" };
    },
  });

/**
 * A risk book (id = book), event-sourced. It hears its orders' events by consuming am.evt.order.> (order events
 * carry no book): the machine acts only on orders it approved and ignores the rest. Marks come from the quotes of
 * the instruments its strategies trade. Only the journaled book is snapshotted; marks, the VaR window and the
 * valuation cache refill from market data.
 */
export const riskBookKind = (catalogue: Catalogue) => {
  const config = demoBook(catalogue);
  const traded = [...new Set(demoStrategies(catalogue).flatMap((s) => s.config.instruments.map((i) => i.id)))];
  return defineKind({
    name: "risk-book",
    machine: riskBookMachine,
    input: (book) => {
      if (book !== DEMO_BOOK) throw new Error(`risk book ${book} has no configuration (known: ${DEMO_BOOK})`);
      return { config };
    },
    consumes: () => [subjects.evtAll("order"), ...traded.map((id) => subjects.md("quote", parseInstrumentId(id)))],
    persistence: "event-sourced",
    // order events published while the book was down are read back from the stream (fills de-duplicated by execId)
    catchUp: { subjects: () => [subjects.evtAll("order")], overlapMs: 2_000 },
    // an approval whose forward was in flight when the book's process died still reaches its order
    outbox: (c) => approvedOrderForwards((c as RiskBookContext).book),
    mailboxCapacity: 50_000,
    persist: {
      // the journaled book plus the bounded equity curve (not journaled: it would survive only in the snapshot)
      toPlain: (c) => ({ book: (c as RiskBookContext).book, equityCurve: (c as RiskBookContext).equityCurve }),
      // a fresh context (empty marks, VaR window and valuation cache) around the stored book and curve
      fromPlain: (p) => {
        const stored = p as { book: RiskBookContext["book"]; equityCurve?: RiskBookContext["equityCurve"] };
        const fresh = initialTransition(riskBookMachine, { config })[0].context;
        return { ...fresh, book: stored.book, equityCurve: stored.equityCurve ?? fresh.equityCurve };
      },
    },
    summarize: (c) => {
      const b = (c as RiskBookContext).book;
      return { pending: Object.keys(b.pending).length, killSwitch: b.killSwitch.book !== null || b.killSwitch.global !== null };
    },
  });
};

/**
 * A strategy (id = strategyId) running one of the samples. Its context holds the strategy's live objects
 * (indicators, ledger), so no persistence: a restarted strategy warms up again (and forgets its open orders).
 */
export const strategyKind = (catalogue: Catalogue) => {
  const byId = new Map(demoStrategies(catalogue).map((s) => [s.id, { ...s, autoStart: true }]));
  // demo strategies in code first, then those deployed at run time (followed from KV by each cell)
  const of = (id: string) => {
    const s = byId.get(id) ?? deployedStrategy(id);
    if (!s) throw new Error(`strategy ${id} has no definition (known: ${[...byId.keys(), ...deployedStrategyIds()].join(", ")})`);
    return s;
  };
  return defineKind({
    name: "strategy",
    machine: strategyMachine,
    // Demo strategies (and deployments with autoStart) trade whenever they run: a restarted or moved strategy starts
    // again at once (startAtUs, read by the runtime, never by the machine); StartStrategy to a running one is a no-op.
    input: (id) => {
      const s = of(id);
      return { definition: s.definition, config: s.autoStart ? { ...s.config, startAtUs: Date.now() * 1000 } : s.config };
    },
    consumes: (id) => {
      const s = subscriptions(of(id).config);
      return [...s.marketData, ...s.orderEvents];
    },
    persistence: "none",
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const x = c as { state: string; session: { ledger: { position(i: string): number } ; config: { instruments: { id: string }[] } } };
      return { state: x.state, positions: Object.fromEntries(x.session.config.instruments.map((i) => [i.id, x.session.ledger.position(i.id)])) };
    },
  });
};
