import { demoUniverse, type InstrumentDefinition, instrumentMachine } from "../../../actors/instrument/index.ts";
import { simulatorFeedMachine } from "../../../actors/feed/simulator/machine.ts";
import { defineKind, parseInstrumentId, subjects } from "../../../actors/contract/index.ts";

export const SIM_SOURCE = "sim";

/** The demo universe as a catalogue (a node's catalogue is read from KV: kinds.ts). */
export function instrumentCatalogue(demoInstruments: number): Map<string, InstrumentDefinition> {
  return new Map(demoUniverse(demoInstruments).map((d) => [d.id, d]));
}

/** One instrument actor per instrument: raw feed in (batched), normalised market data out. */
export const instrumentKind = (catalogue: Map<string, InstrumentDefinition>) =>
  defineKind({
    name: "instrument",
    machine: instrumentMachine,
    input: (id) => {
      const definition = catalogue.get(id);
      if (!definition) throw new Error(`instrument ${id} has no definition`);
      return { definition, feedSource: SIM_SOURCE, barTypes: ["1s", "1m"] };
    },
    consumes: (id) => [subjects.feedAnySource(parseInstrumentId(id))],
    persistence: "none",
    batchAs: "RawBatch",
    tickEveryMs: 250,
    mailboxCapacity: 50_000,
    summarize: (c) => (c as { handler: { toJSON(): Record<string, unknown> } }).handler.toJSON(),
  });

/** The market simulator feed (one actor, id = its source name). */
export const simulatorFeedKind = (catalogue: Map<string, InstrumentDefinition>) =>
  defineKind({
    name: "feed",
    machine: simulatorFeedMachine,
    input: (id) => ({
      source: id,
      stepMs: 20,
      simulator: {
        seed: 42,
        instruments: [...catalogue.values()].map((d) => ({ id: d.id, priceIncrement: d.priceIncrement, lotSize: d.lotSize })),
        eventsPerSecond: 20,
      },
    }),
    persistence: "none",
    summarize: (c) => ({ published: (c as { published: number }).published }),
  });
