import { z } from "zod";

/**
 * What the files of a drop folder hold: which column is the observation's time, which names the instrument, and
 * which columns are values (each becomes a series of that name). Given as JSON in AM_FILE_FEED_SCHEMA, e.g.
 * {"time":"date","instrument":"ticker","values":["car_count","fill_ratio"]}.
 */
export const fileDropSchema = z.strictObject({
  /** ISO 8601 with a zone (2024-05-01T14:00:00Z), a date (2024-05-01, read as 00:00 UTC) or epoch ms */
  time: z.string().min(1),
  /** a SYMBOL.VENUE id, or a name the symbol map turns into one */
  instrument: z.string().min(1),
  values: z
    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "a series name: a letter, then letters, digits or _"))
    .min(1)
    .max(64),
});
export type FileDropSchema = z.output<typeof fileDropSchema>;

export class FileDropSchemaError extends Error {
  override name = "FileDropSchemaError";
}

/** Parses the schema text; the error names the field. */
export function parseFileDropSchema(text: string, setting: string): FileDropSchema {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FileDropSchemaError(`${setting}: not JSON (expected {"time":..,"instrument":..,"values":[..]})`);
  }
  const r = fileDropSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new FileDropSchemaError(`${setting}.${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return r.data;
}

/** Epoch ms of a time cell; throws naming what it expected. */
export function cellTimeMs(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  if (/^\d{10,13}$/.test(text)) return Number(text);
  throw new TypeError(`${JSON.stringify(text)} is not an ISO time with a zone, a YYYY-MM-DD date or epoch ms`);
}
