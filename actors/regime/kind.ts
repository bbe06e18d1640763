import { defineKind, MdChannel, parseInstrumentId, subjects } from "../contract/index.ts";
import { checkChangepointSettings } from "./changepoint.ts";
import { regimeMachine } from "./machine.ts";
import "./messages.ts"; // RegimeEstimated is known to the codec wherever the kind is hosted
import { defaultRegimeSettings, type RegimeContext, type RegimeSettings } from "./state.ts";

export class RegimeSettingsError extends Error {
  override name = "RegimeSettingsError";
}

/** The settings a kind is made with, defaults filled in; out-of-range values are refused naming the field. */
export function regimeSettings(over: Partial<RegimeSettings> = {}): RegimeSettings {
  const s = { ...defaultRegimeSettings, ...over, prior: { ...defaultRegimeSettings.prior, ...over.prior } };
  if (!/^\d+(ms|s|m|h|d|t|v)$/.test(s.barType)) throw new RegimeSettingsError(`barType ${JSON.stringify(s.barType)} must be like "1m"`);
  if (!Number.isSafeInteger(s.warmupBars) || s.warmupBars < 2)
    throw new RegimeSettingsError(`warmupBars must be an integer ≥ 2, got ${s.warmupBars}`);
  checkChangepointSettings(s);
  return s;
}

/**
 * One regime actor per instrument (id = instrument id), fed by the instrument's bars on am.md.bar.<venue>.<symbol>,
 * publishing RegimeEstimated on am.evt.regime.<venue>.<symbol>. No persistence: a restarted actor warms up again
 * from the next bars (warmupBars of them), which is the price of not snapshotting a 500-entry posterior per bar.
 */
export const regimeKind = (over: Partial<RegimeSettings> = {}) => {
  const settings = regimeSettings(over);
  return defineKind({
    name: "regime",
    machine: regimeMachine,
    input: (id) => {
      parseInstrumentId(id);
      return { instrument: id, settings };
    },
    consumes: (id) => [subjects.md(MdChannel.Bar, parseInstrumentId(id))],
    persistence: "none",
    mailboxCapacity: 10_000,
    summarize: (context) => {
      const c = context as RegimeContext;
      return {
        barType: c.settings.barType,
        warming: c.model === undefined,
        observations: c.model?.observations ?? 0,
        ...(c.latest
          ? { runLength: c.latest.runLength, changeProbability: Number(c.latest.changeProbability.toFixed(4)) }
          : { warmupBars: c.warmup.length }),
      };
    },
  });
};
