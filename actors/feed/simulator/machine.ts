import { emit, enqueueActions, setup } from "xstate";
import { type Delivered, type Emitted, parseInstrumentId, subjects } from "../../contract/index.ts";
import { MarketSimulator, type SimulatorConfig } from "./market-simulator.ts";

export interface SimulatorFeedInput {
  /** feed source name: raw messages go to am.feed.<source>.<venue>.<symbol> */
  source: string;
  simulator: Omit<SimulatorConfig, "startUs">;
  /** how often the feed wakes to publish what the market did since, ms */
  stepMs: number;
}

interface SimulatorFeedContext {
  source: string;
  stepMs: number;
  config: Omit<SimulatorConfig, "startUs">;
  sim: MarketSimulator | null;
  published: number;
}

type SimulatorFeedEvent =
  | ({ type: "Step" } & Delivered)
  | ({ type: "BookSnapshotRequest"; instrument: string } & Delivered)
  | ({ type: "GetFeedStatus" } & Delivered);

/**
 * The market simulator as a feed actor: it wakes every stepMs, lets the simulated market run up to the delivered
 * time, and publishes what happened as raw feed messages; it answers instruments' book snapshot requests. The
 * market starts at the actor's first delivered time, so a restarted feed starts a fresh (seeded) market.
 */
export const simulatorFeedMachine = setup({
  types: {} as { context: SimulatorFeedContext; events: SimulatorFeedEvent; input: SimulatorFeedInput; emitted: Emitted },
  delays: { step: ({ context }) => context.stepMs },
  actions: {
    step: enqueueActions(({ context, event, enqueue }) => {
      const nowUs = (event as unknown as Delivered).nowUs;
      if (!context.sim) {
        enqueue.assign({ sim: new MarketSimulator({ ...context.config, startUs: nowUs }) });
        return;
      }
      const events = context.sim.step(nowUs);
      for (const e of events) enqueue.emit({ type: "publish", subject: subjects.feed(context.source, parseInstrumentId(e.instrument)), message: e });
      enqueue.assign({ published: context.published + events.length });
    }),
  },
}).createMachine({
  id: "simulator-feed",
  context: ({ input }) => ({ source: input.source, stepMs: input.stepMs, config: input.simulator, sim: null, published: 0 }),
  initial: "running",
  states: {
    running: {
      after: { step: { target: "running", reenter: true, actions: "step" } },
      on: {
        BookSnapshotRequest: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (!context.sim) return;
            const snap = context.sim.snapshot(event.instrument, event.nowUs);
            enqueue.emit({ type: "publish", subject: subjects.feed(context.source, parseInstrumentId(event.instrument)), message: snap });
          }),
        },
        GetFeedStatus: {
          actions: emit(({ context }) => ({ type: "reply" as const, ok: true as const, result: { published: context.published, instruments: context.config.instruments.length } })),
        },
      },
    },
  },
})

