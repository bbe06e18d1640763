import { sampleStandardDeviation } from "simple-statistics";
import { initialChangepoint, observe, runLengthView } from "./changepoint.ts";
import type { RegimeContext, RegimeMachineInput } from "./state.ts";

export const initialContext = (input: RegimeMachineInput): RegimeContext => ({ ...input, lastTsEvent: 0, warmup: [], scale: 0 });

/**
 * A bar's close moves the state on: the first bar only sets the close; then each log return is a warm-up return
 * until warmupBars of them have a positive spread, and an observation of the detector after that.
 */
export function afterBar(c: RegimeContext, close: number, tsEvent: number, logReturn: number | undefined): Partial<RegimeContext> {
  const moved = { lastClose: close, lastTsEvent: tsEvent };
  if (logReturn === undefined) return moved;
  if (!c.model) {
    const warmup = [...c.warmup, logReturn].slice(-c.settings.warmupBars);
    const scale = warmup.length >= Math.max(2, c.settings.warmupBars) ? sampleStandardDeviation(warmup) : 0;
    // a quiet market (no price change through the warm-up) gives no scale yet: keep warming
    if (!(scale > 0)) return { ...moved, warmup };
    return { ...moved, warmup, scale, model: initialChangepoint(c.settings.prior) };
  }
  const model = observe(c.model, logReturn / c.scale, c.settings);
  return { ...moved, model, latest: runLengthView(model, c.settings.window) };
}
