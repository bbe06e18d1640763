import { defineKind } from "../contract/index.ts";
import "../regime/index.ts"; // RegimeEstimated is known to the codec wherever a strategy hears it
import type { StrategyConfigInput } from "./config.ts";
import type { StrategyDefinition } from "./strategy.ts";
import { strategyMachine } from "./machine.ts";
import { type SessionRecord, StrategySession } from "./session.ts";
import type { StrategyMachineContext } from "./state.ts";
import { subscriptions } from "./subscriptions.ts";

/** A strategy a node can run: the sample's definition, its configuration, and whether it trades whenever it runs. */
export interface HostedStrategy {
  definition: StrategyDefinition<unknown>;
  config: StrategyConfigInput;
  autoStart: boolean;
}

/** Where a node finds its strategies (built in, or deployed at run time and followed from KV). */
export interface StrategyHosting {
  definitionOf(id: string): HostedStrategy | undefined;
  /** the ids it knows, named when an unknown one is asked for */
  known(): string[];
}

/**
 * A strategy (id = strategyId) running one of the samples, snapshotted: its positions, open orders, parameters,
 * order ids and the latest market data it was fed (to rebuild its indicators) survive a crash, a restart and a
 * move to another node. Snapshotted rather than event-sourced: most of a strategy's input is market data, which
 * would cost a journal append per tick, while its state is small and cheap to write at most once a second. What
 * the last snapshot missed, the book knows: every start and resume asks the book (GetStrategyView) and reconciles.
 */
export const strategyKind = ({ definitionOf, known }: StrategyHosting) => {
  const of = (id: string): HostedStrategy => {
    const s = definitionOf(id);
    if (!s) throw new Error(`strategy ${id} has no definition (known: ${known().join(", ")})`);
    return s;
  };
  return defineKind({
    name: "strategy",
    machine: strategyMachine,
    // Strategies with autoStart trade whenever they run: a restarted or moved strategy starts again at once
    // (startAtUs, read by the runtime, never by the machine); StartStrategy to a running one is a no-op.
    input: (id) => {
      const s = of(id);
      return { definition: s.definition, config: s.autoStart ? { ...s.config, startAtUs: Date.now() * 1000 } : s.config };
    },
    consumes: (id) => {
      const s = subscriptions(of(id).config);
      return [...s.marketData, ...s.orderEvents];
    },
    persistence: "snapshot",
    // its latest market data makes a snapshot some 80 KB: one every 5 s; what a restore misses of positions and
    // open orders, the book's answer to ReconcileWithBook restores
    snapshotEveryMs: 5_000,
    persist: {
      toPlain: (c) => {
        const x = c as StrategyMachineContext;
        return { state: x.state, autoStart: x.autoStart, session: x.session.toPlain() };
      },
      fromPlain: (p) => {
        const stored = p as { state: StrategyMachineContext["state"]; autoStart: boolean; session: SessionRecord };
        const s = of(stored.session.strategyId);
        const session = new StrategySession(s.definition, s.config);
        session.restore(stored.session);
        return { state: stored.state, autoStart: stored.autoStart, session } satisfies StrategyMachineContext;
      },
    },
    // on a first start and on every restore the strategy asks its book what the book holds of it
    startWith: { type: "ReconcileWithBook" },
    resumeWith: { type: "ReconcileWithBook" },
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const x = c as StrategyMachineContext;
      return {
        state: x.state,
        // a list, so the quantity (1e-8 units) is named as such where a view formats it for people
        positions: x.session.config.instruments.map((i) => ({ instrument: i.id, quantity: x.session.ledger.position(i.id) })),
        openOrders: x.session.ledger.openOrderCount,
        // a proposal waiting for an operator shows in the tree and the admin list
        ...(x.session.approvals.pending ? { pendingProposal: x.session.approvals.pending.proposalId } : {}),
      };
    },
  });
};
