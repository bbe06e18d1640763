import { type Money, type Price, type Quantity, asPrice, asQuantity } from "../../domain/fixed.ts";
import { Liquidity, Side } from "../../domain/trading.ts";
import { type CancelReason, MatchEventKind, matchEventKinds, type MatchRejectReason } from "./codes.ts";
import { executionFee } from "./fees.ts";

/** One engine event as a caller reads it. Fields that do not apply to a kind are 0 / undefined. */
export interface MatchEvent {
  /** per-engine, strictly increasing from 1 */
  seq: number;
  kind: MatchEventKind;
  tsUs: number;
  orderId: number;
  clientOrderId: string | undefined;
  /** for a CANCEL_REJECTED of an unknown order: the owner that asked ("" if none) and side BUY (meaningless) */
  owner: string;
  side: Side;
  /** the order's limit price; for fills the execution price (the maker's price) */
  price: Price;
  /** fills: the executed quantity; Canceled/Expired: the quantity taken off; Rejected/Accepted/Replaced: order quantity */
  quantity: Quantity;
  leaves: Quantity;
  cum: Quantity;
  liquidity: Liquidity | undefined;
  /** fills only: exact, negative is a rebate (see fees.ts) */
  fee: Money | undefined;
  /** fills only: the same id on the maker's and the taker's execution */
  tradeId: number;
  /** fills only: the other side's order id */
  contraOrderId: number;
  reason: MatchRejectReason | CancelReason | undefined;
}

const LIQ_NONE = 0;
export const LIQ_MAKER = 1;
export const LIQ_TAKER = 2;

/**
 * The engine's event log: a ring of columns (typed arrays and reference arrays), so recording an event allocates
 * nothing. Objects are made only when a caller reads events. The fee of a fill is stored as its inputs (price,
 * quantity, rate in force) and turned into bigint Money on read, keeping bigint arithmetic off the match loop.
 * The ring keeps the last `capacity` events (growing to it from 1024); reading older ones is an error that names the oldest kept.
 * A drained journal (one owner takes each event once with `drain()`) also grows past `capacity` rather than
 * overwrite an event not yet drained, so a long burst in one step is never lost and history stays small.
 */
export class MatchJournal {
  private mask: number;
  private size: number;
  private kind: Uint8Array;
  private side: Uint8Array;
  private liq: Uint8Array;
  private rate: Int32Array;
  private ts: Float64Array;
  private orderId: Float64Array;
  private price: Float64Array;
  private qty: Float64Array;
  private leaves: Float64Array;
  private cum: Float64Array;
  private tradeId: Float64Array;
  private contra: Float64Array;
  private owner: string[];
  private clientId: (string | undefined)[];
  private reason: (MatchRejectReason | CancelReason | undefined)[];
  /** sequence number of the last event written; 0 before any */
  lastSeq = 0;
  /** drained journals: the oldest event `drain()` has not returned yet */
  private undrainedFrom = 1;

  constructor(
    readonly capacity = 1 << 18,
    readonly drained = false,
  ) {
    if (!Number.isInteger(Math.log2(capacity)) || capacity < 16) {
      throw new RangeError(`journal capacity ${capacity} must be a power of two ≥ 16`);
    }
    // start small and double up to `capacity`, so an idle engine costs little memory
    this.size = Math.min(capacity, 1024);
    this.mask = this.size - 1;
    this.kind = new Uint8Array(this.size);
    this.side = new Uint8Array(this.size);
    this.liq = new Uint8Array(this.size);
    this.rate = new Int32Array(this.size);
    this.ts = new Float64Array(this.size);
    this.orderId = new Float64Array(this.size);
    this.price = new Float64Array(this.size);
    this.qty = new Float64Array(this.size);
    this.leaves = new Float64Array(this.size);
    this.cum = new Float64Array(this.size);
    this.tradeId = new Float64Array(this.size);
    this.contra = new Float64Array(this.size);
    this.owner = new Array<string>(this.size).fill("");
    this.clientId = new Array<string | undefined>(this.size).fill(undefined);
    this.reason = new Array<MatchRejectReason | CancelReason | undefined>(this.size).fill(undefined);
  }

  /**
   * Doubles the ring when it is full. The kept events are `size` consecutive seqs, and seq & (2·size − 1) is either
   * seq & (size − 1) or that plus `size`: a copy of the old ring in both halves puts every event where it belongs.
   */
  private grow(): void {
    const size = this.size * 2;
    const twice = <A extends Uint8Array | Int32Array | Float64Array>(old: A, fresh: A): A => {
      fresh.set(old, 0);
      fresh.set(old, old.length);
      return fresh;
    };
    this.kind = twice(this.kind, new Uint8Array(size));
    this.side = twice(this.side, new Uint8Array(size));
    this.liq = twice(this.liq, new Uint8Array(size));
    this.rate = twice(this.rate, new Int32Array(size));
    this.ts = twice(this.ts, new Float64Array(size));
    this.orderId = twice(this.orderId, new Float64Array(size));
    this.price = twice(this.price, new Float64Array(size));
    this.qty = twice(this.qty, new Float64Array(size));
    this.leaves = twice(this.leaves, new Float64Array(size));
    this.cum = twice(this.cum, new Float64Array(size));
    this.tradeId = twice(this.tradeId, new Float64Array(size));
    this.contra = twice(this.contra, new Float64Array(size));
    this.owner = this.owner.concat(this.owner);
    this.clientId = this.clientId.concat(this.clientId);
    this.reason = this.reason.concat(this.reason);
    this.size = size;
    this.mask = size - 1;
  }

  /** Grows the ring before a write that would overwrite history under `capacity` or an undrained event. */
  private makeRoom(): void {
    if (this.lastSeq === this.size && this.size < this.capacity) this.grow();
    else if (this.drained && this.lastSeq + 1 - this.undrainedFrom >= this.size) this.grow();
  }

  /** Drained journals: the events written since the last drain, oldest first. */
  drain(): MatchEvent[] {
    if (!this.drained) throw new Error("drain() needs a journal constructed as drained");
    const out = this.since(this.undrainedFrom - 1);
    this.undrainedFrom = this.lastSeq + 1;
    return out;
  }

  /** Sequence number of the oldest event still kept. */
  get firstSeq(): number {
    return Math.max(1, this.lastSeq - this.size + 1);
  }

  /** Records an order event (not a fill). `kindIndex` is the position in `matchEventKinds`. */
  order(
    kindIndex: number,
    tsUs: number,
    orderId: number,
    clientId: string | undefined,
    owner: string,
    side: number,
    price: number,
    qty: number,
    leaves: number,
    cum: number,
    reason: MatchRejectReason | CancelReason | undefined,
  ): number {
    this.makeRoom();
    const seq = ++this.lastSeq;
    const i = seq & this.mask;
    this.kind[i] = kindIndex;
    this.ts[i] = tsUs;
    this.orderId[i] = orderId;
    this.clientId[i] = clientId;
    this.owner[i] = owner;
    this.side[i] = side;
    this.price[i] = price;
    this.qty[i] = qty;
    this.leaves[i] = leaves;
    this.cum[i] = cum;
    this.liq[i] = LIQ_NONE;
    this.rate[i] = 0;
    this.tradeId[i] = 0;
    this.contra[i] = 0;
    this.reason[i] = reason;
    return seq;
  }

  /** Records one side of an execution. */
  fill(
    tsUs: number,
    orderId: number,
    clientId: string | undefined,
    owner: string,
    side: number,
    price: number,
    qty: number,
    leaves: number,
    cum: number,
    liquidity: number,
    rateCbps: number,
    tradeId: number,
    contraOrderId: number,
  ): number {
    this.makeRoom();
    const seq = ++this.lastSeq;
    const i = seq & this.mask;
    this.kind[i] = leaves === 0 ? KIND_FILLED : KIND_PARTIAL;
    this.ts[i] = tsUs;
    this.orderId[i] = orderId;
    this.clientId[i] = clientId;
    this.owner[i] = owner;
    this.side[i] = side;
    this.price[i] = price;
    this.qty[i] = qty;
    this.leaves[i] = leaves;
    this.cum[i] = cum;
    this.liq[i] = liquidity;
    this.rate[i] = rateCbps;
    this.tradeId[i] = tradeId;
    this.contra[i] = contraOrderId;
    this.reason[i] = undefined;
    return seq;
  }

  /** Events with seq > `afterSeq`, oldest first (`since(0)` is everything kept). */
  since(afterSeq: number, onlyFills = false): MatchEvent[] {
    if (afterSeq < this.firstSeq - 1) {
      throw new RangeError(`events after seq ${afterSeq} are gone: the journal keeps seq ${this.firstSeq}..${this.lastSeq}`);
    }
    const out: MatchEvent[] = [];
    for (let seq = Math.max(afterSeq, 0) + 1; seq <= this.lastSeq; seq++) {
      const i = seq & this.mask;
      if (onlyFills && this.liq[i] === LIQ_NONE) continue;
      out.push(this.at(seq));
    }
    return out;
  }

  /** The event with this sequence number. */
  at(seq: number): MatchEvent {
    if (seq < this.firstSeq || seq > this.lastSeq) throw new RangeError(`seq ${seq} is outside ${this.firstSeq}..${this.lastSeq}`);
    const i = seq & this.mask;
    const liq = this.liq[i]!;
    const isFill = liq !== LIQ_NONE;
    return {
      seq,
      kind: matchEventKinds[this.kind[i]!]!,
      tsUs: this.ts[i]!,
      orderId: this.orderId[i]!,
      clientOrderId: this.clientId[i],
      owner: this.owner[i]!,
      side: this.side[i] === 0 ? Side.Buy : Side.Sell,
      price: asPrice(this.price[i]!),
      quantity: asQuantity(this.qty[i]!),
      leaves: asQuantity(this.leaves[i]!),
      cum: asQuantity(this.cum[i]!),
      liquidity: isFill ? (liq === LIQ_MAKER ? Liquidity.Maker : Liquidity.Taker) : undefined,
      fee: isFill ? executionFee(asPrice(this.price[i]!), asQuantity(this.qty[i]!), this.rate[i]!) : undefined,
      tradeId: this.tradeId[i]!,
      contraOrderId: this.contra[i]!,
      reason: this.reason[i],
    };
  }
}

export const KIND_ACCEPTED = matchEventKinds.indexOf(MatchEventKind.Accepted);
export const KIND_REJECTED = matchEventKinds.indexOf(MatchEventKind.Rejected);
export const KIND_PARTIAL = matchEventKinds.indexOf(MatchEventKind.PartiallyFilled);
export const KIND_FILLED = matchEventKinds.indexOf(MatchEventKind.Filled);
export const KIND_CANCELED = matchEventKinds.indexOf(MatchEventKind.Canceled);
export const KIND_EXPIRED = matchEventKinds.indexOf(MatchEventKind.Expired);
export const KIND_TRIGGERED = matchEventKinds.indexOf(MatchEventKind.Triggered);
export const KIND_REPLACED = matchEventKinds.indexOf(MatchEventKind.Replaced);
export const KIND_CANCEL_REJECTED = matchEventKinds.indexOf(MatchEventKind.CancelRejected);
