import { defineKind } from "../../contract/index.ts";
import type { InstrumentCatalogue } from "../../instrument/index.ts";
import { simulatorFeedMachine } from "./machine.ts";

/** The market simulator feed (one actor, id = its source name), simulating every instrument of the catalogue. */
export const simulatorFeedKind = (catalogue: InstrumentCatalogue) =>
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
