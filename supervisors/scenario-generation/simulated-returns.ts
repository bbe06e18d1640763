import { asPrice, asQuantity } from "../../actors/domain/index.ts";
import { MarketSimulator } from "../../actors/feed/simulator/index.ts";

const DAY_US = 86_400_000_000;
const START_US = 1_704_153_600_000_000; // 2024-01-02T00:00:00Z

export interface SimulatedReturnsOptions {
  seed: number;
  /** the instruments' ids, one return series each */
  instruments: readonly string[];
  /** daily bars */
  days: number;
  /** each instrument's loading on the common (market) series */
  betas: readonly number[];
}

/** Daily log returns, one row per day, one column per instrument. */
export interface ReturnPanel {
  instruments: string[];
  /** rows[t][i]: instrument i's log return on day t */
  rows: number[][];
  source: Record<string, unknown>;
}

/**
 * Daily log returns of several instruments from the seeded market simulator (Heston variance, so volatility
 * clusters over weeks, and Poisson jumps, so tails are fat). The simulator draws each instrument independently,
 * so the panel has a one-factor structure made of its own series: instrument i's return is βᵢ × the return of a
 * simulated market instrument plus its own simulated return, which gives the cross-correlation real books see.
 */
export function simulatedReturnPanel(o: SimulatedReturnsOptions): ReturnPanel {
  if (o.instruments.length < 2) throw new RangeError(`instruments: ${o.instruments.length}, a joint model needs at least 2`);
  if (o.betas.length !== o.instruments.length)
    throw new RangeError(`betas: ${o.betas.length} values for ${o.instruments.length} instruments`);
  if (!(Number.isInteger(o.days) && o.days >= 100)) throw new RangeError(`days: ${o.days} must be an integer of at least 100`);
  const ids = ["MARKET", ...o.instruments];
  const sim = new MarketSimulator({
    seed: o.seed,
    startUs: START_US,
    instruments: ids.map((id) => ({
      id,
      priceIncrement: asPrice(1_000),
      lotSize: asQuantity(100_000_000),
      initialPrice: 100 * 100_000_000,
    })),
    // a few events a day: daily closes need only the mid path (the simulator's variance steps at each event)
    eventsPerSecond: 24 / 86_400,
    branchingRatio: 0.2,
    decayPerSecond: 1 / 3_600,
    jumpsPerDay: 0.08,
    jumpStdev: 0.03,
    volOfVol: 1.2,
    meanReversion: 6,
    snapshotOnStart: false,
    checksums: false,
  });
  const index = new Map(ids.map((id, i) => [id, i]));
  const mid = new Float64Array(ids.length);
  const prev = new Float64Array(ids.length);
  const rows: number[][] = [];
  // the first day's close is the base of the first return
  for (let d = 1; d <= o.days + 1; d++) {
    for (const e of sim.events(START_US + d * DAY_US)) {
      if (e.type === "RawQuote" && e.bid < e.ask) mid[index.get(e.instrument)!] = (e.bid + e.ask) / 2;
    }
    if (mid.some((m) => m === 0)) throw new Error(`seed ${o.seed}: an instrument had no quote by day ${d}`);
    if (d > 1) {
      const own = Array.from(mid, (m, i) => Math.log(m / prev[i]!));
      rows.push(o.instruments.map((_, i) => o.betas[i]! * own[0]! + own[i + 1]!));
    }
    prev.set(mid);
  }
  return {
    instruments: [...o.instruments],
    rows,
    source: { generator: "seeded market simulator, one-factor panel", seed: o.seed, days: o.days, betas: [...o.betas], startUs: START_US },
  };
}
