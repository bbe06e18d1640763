import { z } from "zod";

/** A venue id as instrument ids spell it (`SYMBOL.VENUE`). */
const venueId = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, "a venue id like SIMX (upper-case letters, digits, _ or -)");

/**
 * A setting that is a JSON object by venue ({"SIMX": {...}}), each venue's value read by `perVenue`; empty text is
 * no venue at all. An error names the venue and the field.
 */
export const jsonByVenue = <T extends z.ZodType>(perVenue: T) =>
  z.string().transform((text, ctx): Record<string, z.output<T>> => {
    if (!text.trim()) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `not JSON: ${(e as Error).message}` });
      return z.NEVER;
    }
    const r = z.record(venueId, perVenue).safeParse(parsed);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      ctx.addIssue({ code: "custom", message: `${issue.path.join(".") || "value"}: ${issue.message}` });
      return z.NEVER;
    }
    return r.data as Record<string, z.output<T>>;
  });
