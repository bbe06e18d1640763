import { asPrice, quantityOf } from "../../../actors/domain/index.ts";
import { demoUniverse, type InstrumentDefinition } from "../../../actors/instrument/index.ts";

/** A simulated venue of the demo market: its tick, what it charges, how far away it is and how deep its book is. */
export interface DemoVenue {
  venue: string;
  /** the tick of its listings, in 1e-8 units */
  tickSize: number;
  makerFeeBps: number;
  takerFeeBps: number;
  latencyUs: number;
  jitterUs: number;
  /** resting size per price level of its background book, in 1e-8 units */
  depth: number;
}

/**
 * Three venues that differ the way real ones do, so the smart router has a choice: SIMX is the primary market (cent
 * tick, deep book, mid fees, close); SIMY is cheap to take from but far away with a nickel tick and a thin book; SIMZ
 * has a half-cent tick and pays makers but charges takers the most. SIMX keeps the demo universe's cent tick, so the
 * demo strategies trade on it as before.
 */
export const DEMO_VENUES: readonly DemoVenue[] = [
  { venue: "SIMX", tickSize: 1_000_000, makerFeeBps: 0, takerFeeBps: 0.5, latencyUs: 100, jitterUs: 50, depth: quantityOf(100) },
  { venue: "SIMY", tickSize: 5_000_000, makerFeeBps: 0, takerFeeBps: 0.1, latencyUs: 2_000, jitterUs: 500, depth: quantityOf(20) },
  { venue: "SIMZ", tickSize: 500_000, makerFeeBps: -0.2, takerFeeBps: 1.2, latencyUs: 400, jitterUs: 100, depth: quantityOf(50) },
];

/** The demo symbols listed on every demo venue (the first few: routing needs a handful, not the whole universe). */
export const DEMO_ROUTED_SYMBOLS = 4;

/**
 * The other listings of the demo universe's first DEMO_ROUTED_SYMBOLS symbols (SIM001.SIMY, SIM001.SIMZ, …), each on
 * its venue's tick; their SIMX listings are the demo universe's own.
 */
export function demoListings(instruments: number): InstrumentDefinition[] {
  const primary = demoUniverse(Math.min(instruments, DEMO_ROUTED_SYMBOLS));
  return DEMO_VENUES.filter((v) => v.venue !== primary[0]?.venue).flatMap((v) =>
    primary.map((d) => ({ ...d, id: `${d.symbol}.${v.venue}`, venue: v.venue, priceIncrement: asPrice(v.tickSize) })),
  );
}

export type VenueCostTable = Readonly<Record<string, Pick<DemoVenue, "makerFeeBps" | "takerFeeBps" | "latencyUs" | "jitterUs">>>;

/** The demo venues' fees and latency under the node's AM_VENUE_COSTS: a venue the setting names keeps its terms. */
export function withDemoVenueCosts(configured: VenueCostTable): VenueCostTable {
  const demo = DEMO_VENUES.map(({ venue, makerFeeBps, takerFeeBps, latencyUs, jitterUs }) => [
    venue,
    { makerFeeBps, takerFeeBps, latencyUs, jitterUs },
  ]);
  return { ...Object.fromEntries(demo), ...configured };
}

/** Each demo venue's background depth per price level (1e-8 units). */
export const demoVenueDepth = (): Readonly<Record<string, number>> => Object.fromEntries(DEMO_VENUES.map((v) => [v.venue, v.depth]));
