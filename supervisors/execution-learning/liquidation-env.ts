/**
 * The market an execution agent learns in: one parent sell order worked over a fixed horizon against the platform's
 * simulated exchange (SimulatedVenueSession: its matching engine, visible-queue fill model and taker fee) whose
 * background liquidity follows the seeded market simulator's quotes, exactly as the exchange actor does live.
 * Our orders do not move the simulator (its quotes are exogenous), so the same seed gives the same market to every
 * policy: two policies on one seed differ only by their own decisions (paired comparison).
 */
import type { Emitted } from "../../actors/contract/index.ts";
import {
  asPrice,
  asQuantity,
  type ExecutionReport,
  OrderType,
  type Quote,
  Side,
  TimeInForce,
  type Trade,
} from "../../actors/domain/index.ts";
import { SimulatedVenueSession } from "../../actors/exchange/index.ts";
import { liquidationChildLots, liquidationObservation, twapSchedule } from "../../actors/execution-algo/index.ts";
import { MarketSimulator, type SimulatedEvent } from "../../actors/feed/simulator/index.ts";

const UNIT = 100_000_000;

export interface LiquidationSettings {
  /** decisions per episode; the last one sells whatever is left */
  steps: number;
  /** seconds between decisions */
  stepSeconds: number;
  /** parent quantity in lots */
  parentLots: number;
  /** background quantity per book level beyond the touch, in lots (the depth a large child walks through) */
  levelLots: number;
  /** taker fee in basis points */
  takerFeeBps: number;
  /** the simulator's mean market events per second (quotes and trades) */
  eventsPerSecond: number;
  /** the simulator's annualised volatility */
  volatility: number;
  /**
   * λ of the reward's inventory-risk term, per bps²: each decision costs λ × (σ over one step in bps × share of the
   * parent still held)², the Almgren–Chriss mean-variance objective in per-step form; 0 is risk-neutral
   */
  riskAversion: number;
}

export const defaultLiquidationSettings: LiquidationSettings = {
  steps: 10,
  stepSeconds: 30,
  parentLots: 2_000,
  levelLots: 150,
  takerFeeBps: 0.5,
  eventsPerSecond: 4,
  volatility: 0.6,
  riskAversion: 0.1,
};

/** The observation and its documentation are the execution algorithm's: the `RL` algorithm serves the same row. */
export {
  liquidationFeatureDoc as observationDoc,
  liquidationFeatures as observationFeatures,
  OBSERVATION_WIDTH,
} from "../../actors/execution-algo/index.ts";

export interface StepResult {
  observation: number[];
  /**
   * this decision's execution cost against the mid when it was taken, negated, in bps of the parent's arrival value,
   * less the inventory-risk penalty of what is still held (higher is better)
   */
  reward: number;
  done: boolean;
}

export interface EpisodeOutcome {
  seed: number;
  /** implementation shortfall in bps of arrival value: (arrival mid × quantity − proceeds + fees) / (arrival mid × quantity) */
  shortfallBps: number;
  soldLots: number;
  feesPaid: number;
  /** Σ rewards: the objective learned (cost against each decision's mid plus the inventory-risk penalty), negated */
  objective: number;
  children: number;
}

const INSTRUMENT = "RLX.SIM";
const TICK = 1_000_000; // 0.01
const LOT = UNIT; // one share
const START_US = 1_767_258_000_000_000; // 2026-01-01T09:00:00Z

/**
 * One episode: `reset(seed)` warms the market up for a minute, records the arrival mid, and shows the first
 * observation; `step(action)` sends a MARKET IOC sell of the action's share of the rest, then lets the market run
 * until the next decision. Action u ∈ [0, 1]: the child is the lots left × min(1, 2u / decisions left), so u = 0.5
 * is TWAP's child, 0 waits and 1 sells twice TWAP's.
 */
export class LiquidationEpisode {
  private sim!: MarketSimulator;
  private venue!: SimulatedVenueSession;
  /** set by the first reset: sim and venue exist from then on */
  private started = false;
  private nowUs = START_US;
  private step_ = 0;
  private left = 0;
  private arrivalMid = 0;
  private proceeds = 0;
  private fees = 0;
  private children = 0;
  private objective = 0;
  private seed_ = 0;
  private bid = 0;
  private ask = 0;
  private bidSize = 0;
  /** lots of the last child the book could not take (IOC: canceled, they stay in the parent) */
  private unfilled = 0;
  private readonly events: SimulatedEvent[] = [];
  private readonly out: Emitted[] = [];

  constructor(readonly settings: LiquidationSettings = defaultLiquidationSettings) {
    const s = settings;
    for (const [field, v] of Object.entries(s)) {
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`liquidation.${field}: ${v} must be a finite non-negative number`);
    }
    if (!(Number.isInteger(s.steps) && s.steps >= 1)) throw new RangeError(`liquidation.steps: ${s.steps} must be a positive integer`);
    if (!(Number.isInteger(s.parentLots) && s.parentLots >= s.steps))
      throw new RangeError(`liquidation.parentLots: ${s.parentLots} must be an integer of at least steps (${s.steps})`);
    if (!(s.stepSeconds > 0 && s.eventsPerSecond > 0 && s.levelLots >= 1))
      throw new RangeError("liquidation: stepSeconds and eventsPerSecond must be positive, levelLots at least 1");
  }

  get seed(): number {
    return this.seed_;
  }

  get done(): boolean {
    return this.step_ >= this.settings.steps;
  }

  reset(seed: number): number[] {
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError(`seed: ${seed} must be a non-negative integer`);
    const s = this.settings;
    this.seed_ = seed;
    this.nowUs = START_US;
    this.sim = new MarketSimulator({
      seed,
      startUs: START_US,
      instruments: [{ id: INSTRUMENT, priceIncrement: asPrice(TICK), lotSize: asQuantity(LOT), initialPrice: 50 * UNIT }],
      eventsPerSecond: s.eventsPerSecond,
      volatility: s.volatility,
      snapshotOnStart: false,
      checksums: false,
    });
    this.venue = new SimulatedVenueSession({
      venue: "RLX",
      instruments: [{ id: INSTRUMENT, tickSize: asPrice(TICK), lotSize: asQuantity(LOT) }],
      background: { levels: 10, stepTicks: 1, quantity: asQuantity(s.levelLots * LOT) },
      seqBase: 1,
      takerFeeBps: s.takerFeeBps,
      fills: { queue: "visible", slippage: { model: "none" } },
    });
    this.venue.loggedOn = true;
    this.started = true;
    this.step_ = 0;
    this.left = s.parentLots;
    this.proceeds = 0;
    this.fees = 0;
    this.children = 0;
    this.objective = 0;
    this.bid = 0;
    this.advance(START_US + 60_000_000);
    if (!(this.bid > 0)) throw new Error(`seed ${seed}: the simulator quoted nothing in the warm-up minute`);
    this.arrivalMid = (this.bid + this.ask) / 2;
    return this.observe();
  }

  /** The TWAP child of this decision (the platform's schedule over the decisions left, in lots). */
  twapChildLots(): number {
    const left = this.settings.steps - this.step_;
    const slices = twapSchedule(this.left * LOT, LOT, 0, left, left);
    return slices[0]!.quantity / LOT;
  }

  /** The action that sends exactly TWAP's child now (any action once nothing is left). */
  twapAction(): number {
    if (this.left === 0) return 0.5;
    return (this.twapChildLots() / this.left) * ((this.settings.steps - this.step_) / 2);
  }

  step(action: number): StepResult {
    if (!this.started) throw new Error("step: no episode yet (reset(seed) starts one)");
    if (this.done) throw new Error(`seed ${this.seed_}: the episode is over (${this.settings.steps} decisions)`);
    const s = this.settings;
    const lots = liquidationChildLots(action, this.left, s.steps - this.step_);
    const before = this.proceeds - this.fees;
    if (lots > 0) this.sell(lots);
    this.step_ += 1;
    // the cost against the mid at the decision, not at arrival: the price's drift since arrival is the same martingale
    // noise whatever is sold now (zero in expectation), and leaving it out of the reward makes learning far less noisy
    const mid = (this.bid + this.ask) / 2;
    const cost = -((this.proceeds - this.fees - before - ((lots - this.unfilled) * mid) / UNIT) / this.arrivalValue()) * 1e4;
    this.left -= lots - this.unfilled;
    const held = (this.stepVolatilityBps() * this.left) / s.parentLots;
    const reward = -cost - s.riskAversion * held * held;
    this.objective += reward;
    this.unfilled = 0;
    if (!this.done) this.advance(this.nowUs + s.stepSeconds * 1_000_000);
    return { observation: this.observe(), reward, done: this.done };
  }

  outcome(): EpisodeOutcome {
    if (!this.done) throw new Error(`seed ${this.seed_}: the episode is not over (${this.step_}/${this.settings.steps} decisions)`);
    const sold = this.settings.parentLots - this.left;
    // lots the book could not take by the end are valued at nothing: the shortfall counts them as lost
    const shortfall = (this.arrivalValue() - (this.proceeds - this.fees)) / this.arrivalValue();
    return {
      seed: this.seed_,
      shortfallBps: shortfall * 1e4,
      soldLots: sold,
      feesPaid: this.fees,
      children: this.children,
      objective: this.objective,
    };
  }

  /** Runs a whole episode with a policy from observation to action. */
  async run(seed: number, policy: (observation: number[]) => number | Promise<number>): Promise<EpisodeOutcome> {
    let obs = this.reset(seed);
    while (!this.done) obs = this.step(await policy(obs)).observation;
    return this.outcome();
  }

  /** The simulated time an episode spans, µs (every seed's episode: the warm-up minute and the decisions). */
  episodeRangeUs(): { fromUs: number; toUs: number } {
    return { fromUs: START_US, toUs: START_US + 60_000_000 + this.settings.steps * this.settings.stepSeconds * 1_000_000 };
  }

  /** σ of the price over one decision interval, in bps, from the simulator's long-run volatility */
  stepVolatilityBps(): number {
    return this.settings.volatility * Math.sqrt(this.settings.stepSeconds / (365 * 86_400)) * 1e4;
  }

  private arrivalValue(): number {
    return (this.arrivalMid * this.settings.parentLots * LOT) / UNIT / UNIT;
  }

  private observe(): number[] {
    return liquidationObservation({
      side: Side.Sell,
      decisions: this.settings.steps,
      decisionsLeft: this.settings.steps - this.step_,
      lotsLeft: this.left,
      parentLots: this.settings.parentLots,
      bid: this.bid,
      ask: this.ask,
      tick: TICK,
      touchLots: this.bidSize / LOT,
      arrivalMid: this.arrivalMid,
    });
  }

  private sell(lots: number): void {
    this.children += 1;
    this.out.length = 0;
    this.venue.newOrder(
      {
        clientOrderId: `rl-${this.seed_}-${this.step_}`,
        version: 1,
        instrument: INSTRUMENT,
        side: Side.Sell,
        orderType: OrderType.Market,
        quantity: asQuantity(lots * LOT),
        timeInForce: TimeInForce.Ioc,
        postOnly: false,
        reduceOnly: false,
        tsEvent: this.nowUs,
        tsInit: this.nowUs,
      },
      this.nowUs,
      this.out,
    );
    let filled = 0;
    for (const e of this.out) {
      if (e.type !== "publish" || e.message.type !== "ExecutionReport") continue;
      const r = e.message as unknown as ExecutionReport;
      if (r.lastQty > 0) {
        filled += r.lastQty / LOT;
        this.proceeds += (r.lastPx / UNIT) * (r.lastQty / LOT);
        this.fees += r.fee / UNIT;
      }
    }
    this.unfilled = lots - filled;
  }

  /** Lets the market run to `untilUs`: quotes move the venue's background, trades consume its visible queue. */
  private advance(untilUs: number): void {
    this.events.length = 0;
    this.sim.step(untilUs, this.events);
    for (const e of this.events) {
      this.out.length = 0;
      if (e.type === "RawQuote") {
        const q: Quote = {
          ...e,
          seq: e.seq ?? 0,
          bid: asPrice(e.bid),
          ask: asPrice(e.ask),
          bidSize: asQuantity(e.bidSize),
          askSize: asQuantity(e.askSize),
        };
        this.venue.quote(q, e.tsEvent, this.out);
        if (e.bid < e.ask) {
          this.bid = e.bid;
          this.ask = e.ask;
          this.bidSize = e.bidSize;
        }
      } else if (e.type === "RawTrade") {
        const x: Trade = { ...e, seq: 0, price: asPrice(e.price), size: asQuantity(e.size) };
        this.venue.trade(x, e.tsEvent, this.out);
      }
    }
    this.nowUs = untilUs;
  }
}
