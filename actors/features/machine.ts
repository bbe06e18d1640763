import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { decideBar } from "./decide.ts";
import { type FeaturesContext, type FeaturesEvent, type FeaturesInput, initialContext } from "./state.ts";

/** One instrument's feature actor: each bar of its bar type moves the factor window and publishes the bar's factors. */
export const featuresMachine = setup({
  types: {} as { context: FeaturesContext; events: FeaturesEvent; input: FeaturesInput; emitted: Emitted },
  actions: {
    bar: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "Bar") return;
      const o = decideBar(context, event, event.nowUs);
      for (const e of o.emitted) enqueue.emit(e);
      if (o.patch) enqueue.assign(o.patch);
    }),
  },
}).createMachine({
  id: "features",
  context: ({ input }) => initialContext(input),
  on: { Bar: { actions: "bar" } },
});
