/** Parameter changes: a patch merged over the current set and validated as a whole; all or nothing. */
import type { z } from "zod";
import type { ReplyError } from "../contract/index.ts";

export const StrategyRejectCode = {
  InvalidParameters: "INVALID_PARAMETERS",
  InvalidState: "INVALID_STATE",
} as const;
export type StrategyRejectCode = (typeof StrategyRejectCode)[keyof typeof StrategyRejectCode];

export type ParameterResult<P> = { ok: true; params: P } | { ok: false; error: ReplyError };

export function mergeParameters<P>(
  schema: z.ZodType<P>,
  current: P | undefined,
  patch: Readonly<Record<string, unknown>>,
  strategyName: string,
): ParameterResult<P> {
  const merged = { ...(current as Record<string, unknown> | undefined), ...patch };
  const r = schema.safeParse(merged);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = i.path.length > 0 ? `parameters.${i.path.map(String).join(".")}` : "parameters";
    return { ok: false, error: { code: StrategyRejectCode.InvalidParameters, message: `${field}: ${i.message}` } };
  }
  // zod strips unknown keys; a misspelt parameter must be an error, not a silent no-op
  const known = r.data as Record<string, unknown>;
  for (const key of Object.keys(patch)) {
    if (!(key in known)) {
      return {
        ok: false,
        error: { code: StrategyRejectCode.InvalidParameters, message: `parameters.${key}: not a parameter of ${strategyName}` },
      };
    }
  }
  return { ok: true, params: r.data };
}
