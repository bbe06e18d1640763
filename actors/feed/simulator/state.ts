import type { Delivered, Emitted } from "../../contract/index.ts";
import type { MarketSimulator, SimulatorConfig } from "./market-simulator.ts";

export interface SimulatorFeedInput {
  /** feed source name: raw messages go to am.feed.<source>.<venue>.<symbol> */
  source: string;
  simulator: Omit<SimulatorConfig, "startUs">;
  /** how often the feed wakes to publish what the market did since, ms */
  stepMs: number;
}

export interface SimulatorFeedContext {
  source: string;
  stepMs: number;
  config: Omit<SimulatorConfig, "startUs">;
  /** mutable on purpose: the simulated market's books and random streams advance in place every step */
  sim: MarketSimulator | null;
  published: number;
}

export type SimulatorFeedEvent =
  | ({ type: "Step" } & Delivered)
  | ({ type: "BookSnapshotRequest"; instrument: string } & Delivered)
  | ({ type: "GetFeedStatus" } & Delivered);

/** What a decision produces: the context fields it changes and what the feed emits, in order. */
export interface Outcome {
  patch: Partial<SimulatorFeedContext>;
  emitted: Emitted[];
}

export const initialContext = (input: SimulatorFeedInput): SimulatorFeedContext => ({
  source: input.source,
  stepMs: input.stepMs,
  config: input.simulator,
  sim: null,
  published: 0,
});
