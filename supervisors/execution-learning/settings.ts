import { defaultLiquidationSettings, type LiquidationSettings } from "./liquidation-env.ts";

/** Settings over the defaults from JSON; an unknown field or a non-number is an error naming it. */
export function parseLiquidationSettings(doc: unknown): LiquidationSettings {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new TypeError("liquidation settings: must be a JSON object");
  const out: LiquidationSettings = { ...defaultLiquidationSettings };
  for (const [field, v] of Object.entries(doc)) {
    if (!(field in defaultLiquidationSettings))
      throw new RangeError(`liquidation.${field}: unknown (known: ${Object.keys(defaultLiquidationSettings).join(", ")})`);
    if (typeof v !== "number") throw new TypeError(`liquidation.${field}: ${JSON.stringify(v)} must be a number`);
    out[field as keyof LiquidationSettings] = v;
  }
  return out;
}
