import { decideCancel, decideReplace } from "./amend.ts";
import type { VenueCapabilities } from "./capabilities.ts";
import { type Decision, fold, type OrderCommandInput, settleReplaced } from "./decision.ts";
import { decideExpiry, decideMarketData } from "./emulation.ts";
import { decideReport } from "./execution-report.ts";
import type { OrderState } from "./order-state.ts";
import { decideSubmit } from "./submit.ts";

/*
 * The decision half of the order actor: given the journaled state and one input, which domain events happen,
 * which venue commands go out, and what the sender is told. Pure; the machine applies the events with `evolve`.
 * Each kind of input is decided in its own module: submit, amend (cancel/replace), execution-report, emulation.
 */

/** One delivered input: first any due local expiry (on the delivered clock), then the input itself. */
export function decide(o: OrderState | null, input: OrderCommandInput, caps: VenueCapabilities): Decision {
  const exp = decideExpiry(o, input.nowUs);
  const base = exp.events.length > 0 ? settleReplaced(fold(o, exp.events)!) : o;
  let main: Decision;
  switch (input.type) {
    case "SubmitOrder":
      main = decideSubmit(base, input, caps);
      break;
    case "CancelOrder":
      main = decideCancel(base, input);
      break;
    case "ReplaceOrder":
      main = decideReplace(base, input);
      break;
    case "ExecutionReport":
      main = decideReport(base, input);
      break;
    case "Quote":
    case "Trade":
      main = decideMarketData(base, input);
      break;
  }
  if (exp.events.length === 0) return main;
  return {
    events: [...exp.events, ...main.events],
    commands: [...exp.commands, ...main.commands],
    ...(main.reply ? { reply: main.reply } : {}),
  };
}
