import type { DatasetRow } from "./dataset.ts";
import { type ForecastMetrics, forecastMetrics } from "./forecast-metrics.ts";
import { combinatorialPurgedSplits, groupRange, purgedKFold, type Split, walkForwardSplits } from "./purged-cv.ts";
import { fitRidge, predictRidge } from "./ridge-forecaster.ts";

export interface ValidationOptions {
  folds: number;
  /** CPCV groups and test groups per split */
  groups: number;
  testGroups: number;
  embargoUs: number;
  /** ridge penalty on standardised features */
  lambda: number;
  /** walk-forward windows: the first half of the rows' time trains the first window, the rest is cut in this many */
  walkForwardWindows: number;
}

export interface FoldResult {
  fold: number;
  train: number;
  test: number;
  /** rows left out of training for overlapping the test fold or falling in its embargo */
  purged: number;
  metrics: ForecastMetrics;
}

export interface ValidationReport {
  model: string;
  rows: number;
  options: ValidationOptions;
  kFold: { folds: FoldResult[]; pooled: ForecastMetrics };
  cpcv: { splits: number; paths: { path: number; metrics: ForecastMetrics }[]; meanIc: number; icDeviation: number };
  /** rolling windows of equal in-sample length, each out-of-sample window after the last; stitched: all of them */
  walkForward: { windows: { window: number; train: number; test: number; metrics: ForecastMetrics }[]; stitched: ForecastMetrics };
}

export interface ValidationProgress {
  done: number;
  total: number;
}

/** The out-of-sample forecasts of one split: a ridge fitted on its training rows, scored on its test rows. */
/** The model's inputs: the bar factors, then the alternative data features where the dataset has them. */
const inputsOf = (r: DatasetRow): number[] => (r.alt ? [...r.features, ...Object.values(r.alt)] : r.features);

function forecastSplit(rows: readonly DatasetRow[], s: Split, lambda: number): Map<number, number> {
  const model = fitRidge(
    s.train.map((i) => inputsOf(rows[i]!)),
    s.train.map((i) => rows[i]!.ret),
    lambda,
  );
  return new Map(s.test.map((i) => [i, predictRidge(model, inputsOf(rows[i]!))]));
}

/**
 * Purged k-fold and combinatorial purged CV of a ridge forecaster of the rows' forward return: per fold figures
 * and the pooled out-of-sample figures, then each CPCV backtest path's figures and the spread of their IC (one
 * number per path, so the spread says how much the figure depends on which history was held out), then a
 * walk-forward that only ever trains on the past.
 */
export function validateRidge(
  rows: readonly DatasetRow[],
  o: ValidationOptions,
  onProgress?: (p: ValidationProgress) => void,
): ValidationReport {
  const kFold = purgedKFold(rows, o.folds, o.embargoUs);
  const plan = combinatorialPurgedSplits(rows, o.groups, o.testGroups, o.embargoUs);
  const startUs = rows[0]!.t0;
  const endUs = rows[rows.length - 1]!.t0 + 1;
  const inSampleUs = Math.floor((endUs - startUs) / 2);
  const outOfSampleUs = Math.floor((endUs - startUs - inSampleUs - o.embargoUs) / o.walkForwardWindows);
  if (!Number.isSafeInteger(o.walkForwardWindows) || o.walkForwardWindows < 1 || outOfSampleUs < 1)
    throw new RangeError(`walkForwardWindows ${o.walkForwardWindows} does not fit the rows' second half after the embargo`);
  const walk = walkForwardSplits(rows, { startUs, endUs, inSampleUs, outOfSampleUs, embargoUs: o.embargoUs }).filter(
    (s) => s.train.length >= 2 && s.test.length >= 3,
  );
  const total = kFold.length + plan.splits.length + walk.length;
  let done = 0;
  const step = () => onProgress?.({ done: ++done, total });
  const pooled = new Map<number, number>();
  const folds = kFold.map((s, fold): FoldResult => {
    const f = forecastSplit(rows, s, o.lambda);
    for (const [i, v] of f) pooled.set(i, v);
    step();
    return {
      fold,
      train: s.train.length,
      test: s.test.length,
      purged: rows.length - s.train.length - s.test.length,
      metrics: forecastMetrics(
        s.test.map((i) => f.get(i)!),
        s.test.map((i) => rows[i]!.ret),
      ),
    };
  });
  const order = [...pooled.keys()].sort((a, b) => a - b);
  const splitForecasts = plan.splits.map((s) => {
    const f = forecastSplit(rows, s, o.lambda);
    step();
    return f;
  });
  // a path's forecast of a row is that of the split the path takes for the row's group
  const paths = plan.paths.map((path, p) => {
    const forecast: number[] = [];
    const outcome: number[] = [];
    path.forEach((split, g) => {
      const [from, to] = groupRange(rows.length, o.groups, g);
      for (let i = from; i < to; i++) {
        forecast.push(splitForecasts[split]!.get(i)!);
        outcome.push(rows[i]!.ret);
      }
    });
    return { path: p, metrics: forecastMetrics(forecast, outcome) };
  });
  const stitched = { forecast: [] as number[], outcome: [] as number[] };
  const windows = walk.map((s) => {
    const f = forecastSplit(rows, s, o.lambda);
    step();
    const forecast = s.test.map((i) => f.get(i)!);
    const outcome = s.test.map((i) => rows[i]!.ret);
    stitched.forecast.push(...forecast);
    stitched.outcome.push(...outcome);
    return { window: s.window, train: s.train.length, test: s.test.length, metrics: forecastMetrics(forecast, outcome) };
  });
  const ics = paths.map((p) => p.metrics.ic);
  const meanIc = ics.reduce((a, v) => a + v, 0) / ics.length;
  const icDeviation = Math.sqrt(ics.reduce((a, v) => a + (v - meanIc) ** 2, 0) / ics.length);
  return {
    model: "ridge",
    rows: rows.length,
    options: o,
    kFold: {
      folds,
      pooled: forecastMetrics(
        order.map((i) => pooled.get(i)!),
        order.map((i) => rows[i]!.ret),
      ),
    },
    cpcv: { splits: plan.splits.length, paths, meanIc: Number(meanIc.toFixed(6)), icDeviation: Number(icDeviation.toFixed(6)) },
    walkForward: { windows, stitched: forecastMetrics(stitched.forecast, stitched.outcome) },
  };
}
