import { defineKind, parseInstrumentId, subjects } from "../contract/index.ts";
import { demoUniverse, type InstrumentDefinition } from "./definition.ts";
import { instrumentMachine } from "./machine.ts";

/** The source name of the market simulator feed, which instrument actors read. */
export const SIM_SOURCE = "sim";

/** Instrument definitions by id; a node's catalogue follows KV, so a kind closing over it sees later definitions. */
export type InstrumentCatalogue = ReadonlyMap<string, InstrumentDefinition>;

/** The demo universe as a catalogue (a node's catalogue is read from KV: supervisors/node/kinds.ts). */
export function instrumentCatalogue(demoInstruments: number): Map<string, InstrumentDefinition> {
  return new Map(demoUniverse(demoInstruments).map((d) => [d.id, d]));
}

/** One instrument actor per instrument: raw feed in (batched), normalised market data out. */
export const instrumentKind = (catalogue: InstrumentCatalogue) =>
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
    // decide.ts checks every feed field and dead-letters with a reason: the schema pass is for commands only
    validate: "commands",
    batchAs: "RawBatch",
    tickEveryMs: 250,
    mailboxCapacity: 50_000,
    summarize: (c) => (c as { handler: { toJSON(): Record<string, unknown> } }).handler.toJSON(),
  });
