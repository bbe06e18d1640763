import type { StrategyState, StrategyStateChanged } from "../domain/index.ts";
import type { StrategyMachineContext } from "./state.ts";

/*
 * The lifecycle state changes only by a StrategyStateChanged event, emitted with it. The session's own state
 * (positions and open orders in ledger.ts, the strategy's indicators) evolves in place as the session is fed.
 */

type StateChange = StrategyStateChanged & { type: "StrategyStateChanged" };

/** Entering a lifecycle state: the event announcing it, or null when the state does not change. */
export function stateChange(context: StrategyMachineContext, state: StrategyState): StateChange | null {
  if (context.state === state) return null;
  const now = context.session.lastNowUs;
  return {
    type: "StrategyStateChanged",
    strategy: context.session.config.strategyId,
    state,
    previous: context.state,
    tsEvent: now,
    tsInit: now,
  };
}

/** The lifecycle state a StrategyStateChanged leaves. */
export const evolve = (e: StateChange): StrategyState => e.state;
