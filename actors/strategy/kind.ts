import { defineKind } from "../contract/index.ts";
import type { StrategyConfigInput } from "./config.ts";
import type { StrategyDefinition } from "./strategy.ts";
import { strategyMachine } from "./machine.ts";
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
 * A strategy (id = strategyId) running one of the samples. Its context holds the strategy's live objects
 * (indicators, ledger), so no persistence: a restarted strategy warms up again (and forgets its open orders).
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
    persistence: "none",
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const x = c as { state: string; session: { ledger: { position(i: string): number }; config: { instruments: { id: string }[] } } };
      return {
        state: x.state,
        positions: Object.fromEntries(x.session.config.instruments.map((i) => [i.id, x.session.ledger.position(i.id)])),
      };
    },
  });
};
