import type { Emitted, ReplyError } from "../contract/index.ts";
import { ModelErrorCode } from "./messages.ts";
import type { ModelContext, Waiting } from "./state.ts";

/**
 * The model actor's decisions, pure: a Predict becomes one input row or an error naming the feature or the width;
 * a finished inference becomes one answer per caller, each with its own row.
 */

export function rowOf(
  c: Pick<ModelContext, "name" | "features" | "columns">,
  p: { features?: Record<string, number>; row?: number[] },
): number[] | ReplyError {
  const width = c.features.length;
  if (p.row !== undefined && p.features !== undefined)
    return { code: ModelErrorCode.BadShape, message: `model ${c.name}: send either features or row, not both` };
  let row: number[];
  if (p.row !== undefined) {
    if (p.row.length !== width)
      return {
        code: ModelErrorCode.BadShape,
        message: `model ${c.name}: row has ${p.row.length} values, the model takes ${width} (${c.features.join(", ")})`,
      };
    row = p.row;
  } else if (p.features !== undefined) {
    row = new Array<number>(width).fill(Number.NaN);
    for (const [name, value] of Object.entries(p.features)) {
      const col = c.columns[name];
      if (col === undefined)
        return {
          code: ModelErrorCode.UnknownFeature,
          message: `model ${c.name}: unknown feature ${name} (it takes ${c.features.join(", ")})`,
        };
      row[col] = value;
    }
    const missing = c.features.filter((_, i) => Number.isNaN(row[i]));
    if (missing.length)
      return {
        code: ModelErrorCode.MissingFeature,
        message: `model ${c.name}: missing feature${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
      };
  } else return { code: ModelErrorCode.BadShape, message: `model ${c.name}: a Predict needs features or row` };
  const bad = row.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { code: ModelErrorCode.NotFinite, message: `model ${c.name}: feature ${c.features[bad]} is ${row[bad]}` };
  return row;
}

type Caller = Pick<Waiting, "requestId" | "replyTo" | "tsInit" | "version" | "forecastFor">;

/**
 * A caller's answer: a Prediction; for a feature stream's row a ModelForecast on its signal subject, and nothing
 * when the row failed (no one waits on a stream: the failure is counted in the actor's service figures).
 */
function answer(
  c: ModelContext,
  w: Caller,
  nowUs: number,
  body: { values: number[]; batchSize: number } | { error: ReplyError },
): Emitted[] {
  const version = w.version ?? c.version;
  if (w.forecastFor) {
    if (!("values" in body)) return [];
    const f = w.forecastFor;
    const message = {
      type: "ModelForecast",
      model: c.name,
      version,
      instrument: f.instrument,
      barType: f.barType,
      forecast: body.values[0]!,
      tsEvent: f.tsEvent,
      tsInit: nowUs,
    };
    return [{ type: "publish", subject: w.replyTo, message }];
  }
  const message = {
    type: "Prediction",
    requestId: w.requestId,
    model: c.name,
    version,
    ok: "values" in body,
    ...body,
    tsEvent: nowUs,
    tsInit: w.tsInit,
  };
  return [{ type: "publish", subject: w.replyTo, message }];
}

export const refused = (c: ModelContext, w: Caller, error: ReplyError, nowUs: number): Emitted[] => answer(c, w, nowUs, { error });

/** One answer per caller of the batch, each with its own output row. */
export function answers(c: ModelContext, batch: Waiting[], values: readonly number[], width: number, nowUs: number): Emitted[] {
  if (values.length !== batch.length * width) {
    const error = {
      code: ModelErrorCode.InferenceFailed,
      message: `model ${c.name}: inference returned ${values.length} values for ${batch.length} rows of ${width}`,
    };
    return batch.flatMap((w) => answer(c, w, nowUs, { error }));
  }
  return batch.flatMap((w, i) => answer(c, w, nowUs, { values: values.slice(i * width, (i + 1) * width), batchSize: batch.length }));
}

export const failed = (c: ModelContext, batch: Waiting[], error: ReplyError, nowUs: number): Emitted[] =>
  batch.flatMap((w) => answer(c, w, nowUs, { error }));
