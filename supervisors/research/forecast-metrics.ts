import { sampleCorrelation, sampleRankCorrelation } from "simple-statistics";

/** Out-of-sample figures of a return forecast, the same set the model cards carry (scripts/models/README.md). */
export interface ForecastMetrics {
  /** Pearson correlation of forecast and outcome */
  ic: number;
  /** Spearman correlation */
  rankIc: number;
  /** share of rows whose forecast has the outcome's sign */
  hitRate: number;
  rmse: number;
  samples: number;
}

const round = (v: number, digits: number) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : Number.NaN);

export function forecastMetrics(forecast: readonly number[], outcome: readonly number[]): ForecastMetrics {
  const n = forecast.length;
  if (n !== outcome.length) throw new RangeError(`${n} forecasts for ${outcome.length} outcomes`);
  if (n < 3) throw new RangeError(`forecast metrics need at least 3 rows, got ${n}`);
  let hits = 0;
  let se = 0;
  for (let i = 0; i < n; i++) {
    if (Math.sign(forecast[i]!) === Math.sign(outcome[i]!)) hits++;
    se += (forecast[i]! - outcome[i]!) ** 2;
  }
  return {
    ic: round(sampleCorrelation([...forecast], [...outcome]), 6),
    rankIc: round(sampleRankCorrelation([...forecast], [...outcome]), 6),
    hitRate: round(hits / n, 6),
    rmse: round(Math.sqrt(se / n), 9),
    samples: n,
  };
}
