import { type CccGarchModel, fitCccGarch, generateReturns } from "./ccc-garch.ts";
import { mean } from "simple-statistics";
import { correlationGap, type StylisedFacts, stylisedFacts } from "./stylised-facts.ts";

export interface FactChecks {
  /** smallest kurtosis over the instruments (fat tails: > 3) */
  minKurtosis: number;
  /** smallest autocorrelation of |r| over instruments and lags 1..10 (clustering: > 0) */
  minAbsAutocorrelation: number;
  /** mean autocorrelation of |r| over instruments and lags 1..10 */
  meanAbsAutocorrelation: number;
  /** largest |autocorrelation of r| over instruments and lags 1..10 (≈ 0) */
  maxAbsRawAutocorrelation: number;
}

export interface ScenarioModelReport {
  model: CccGarchModel;
  training: FactChecks;
  generated: FactChecks;
  /** largest off-diagonal gap between the generated and the training correlation */
  correlationGap: number;
  trainingCorrelation: number[][];
  generatedCorrelation: number[][];
  generatedDays: number;
  fitMs: number;
}

export function factChecks(f: StylisedFacts): FactChecks {
  const abs = f.absAutocorrelation.flat();
  return {
    minKurtosis: Math.min(...f.kurtosis),
    minAbsAutocorrelation: Math.min(...abs),
    meanAbsAutocorrelation: mean(abs),
    maxAbsRawAutocorrelation: Math.max(...f.autocorrelation.flat().map(Math.abs)),
  };
}

/**
 * Fits the model to the training panel and checks the stylised facts on one long generated path (the model's
 * long-run behaviour, out of sample: a seed of its own) against the training data's.
 */
export function trainScenarioModel(
  instruments: readonly string[],
  rows: readonly (readonly number[])[],
  o: { seed: number; generatedDays: number },
): ScenarioModelReport {
  const t0 = performance.now();
  const model = fitCccGarch(instruments, rows);
  const fitMs = Math.round(performance.now() - t0);
  const generated = generateReturns(model, { seed: o.seed, paths: 1, days: o.generatedDays, start: "long-run" })[0]!;
  const trainFacts = stylisedFacts(rows);
  const genFacts = stylisedFacts(generated);
  return {
    model,
    training: factChecks(trainFacts),
    generated: factChecks(genFacts),
    correlationGap: correlationGap(trainFacts.correlation, genFacts.correlation),
    trainingCorrelation: trainFacts.correlation,
    generatedCorrelation: genFacts.correlation,
    generatedDays: o.generatedDays,
    fitMs,
  };
}
