import type { Money, Price, Quantity } from "../../domain/fixed.ts";
import { Liquidity, Side } from "../../domain/trading.ts";
import { type CancelReason, MatchEventKind, matchEventKinds, type RejectReason } from "./codes.ts";
import { executionFee } from "./fees.ts";

/** One engine event as a caller reads it. Fields that do not apply to a kind are 0 / undefined. */
export interface MatchEvent {
  /** per-engine, strictly increasing from 1 */
  seq: number;
  kind: MatchEventKind;
  tsUs: number;
  orderId: number;
  clientOrderId: string | undefined;
  owner: string;
  side: Side;
  /** the order's limit price; for fills the execution price (the maker's price) */
  price: Price;
  /** fills: the executed quantity; Cancelled/Expired: the quantity taken off; Rejected/Accepted/Replaced: order quantity */
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
  reason: RejectReason | CancelReason | undefined;
}

const LIQ_NONE = 0;
export const LIQ_MAKER = 1;
export const LIQ_TAKER = 2;

/**
 * The engine's event log: a ring of columns (typed arrays and reference arrays), so recording an event allocates
 * nothing. Objects are made only when a caller reads events. The fee of a fill is stored as its inputs (price,
 * quantity, rate in force) and turned into bigint Money on read, keeping bigint arithmetic off the match loop.
 * The ring keeps the last `capacity` events (growing to it from 1024); reading older ones is an error that names the oldest kept.
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
  private reason: (RejectReason | CancelReason | undefined)[];
  /** sequence number of the last event written; 0 before any */
  lastSeq = 0;

  constructor(readonly capacity = 1 << 20) {
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
    this.reason = new Array<RejectReason | CancelReason | undefined>(this.size).fill(undefined);
  }

  /** Doubles the ring, moving the kept events to their new positions (seq & new mask). */
  private grow(): void {
    const size = this.size * 2;
    const mask = size - 1;
    const first = Math.max(1, this.lastSeq - this.size + 1);
    const move = <A extends { [i: number]: unknown }>(old: A, fresh: A): A => {
      for (let seq = first; seq <= this.lastSeq; seq++) fresh[seq & mask] = old[seq & this.mask];
      return fresh;
    };
    this.kind = move(this.kind, new Uint8Array(size));
    this.side = move(this.side, new Uint8Array(size));
    this.liq = move(this.liq, new Uint8Array(size));
    this.rate = move(this.rate, new Int32Array(size));
    this.ts = move(this.ts, new Float64Array(size));
    this.orderId = move(this.orderId, new Float64Array(size));
    this.price = move(this.price, new Float64Array(size));
    this.qty = move(this.qty, new Float64Array(size));
    this.leaves = move(this.leaves, new Float64Array(size));
    this.cum = move(this.cum, new Float64Array(size));
    this.tradeId = move(this.tradeId, new Float64Array(size));
    this.contra = move(this.contra, new Float64Array(size));
    this.owner = move(this.owner, new Array<string>(size).fill(""));
    this.clientId = move(this.clientId, new Array<string | undefined>(size).fill(undefined));
    this.reason = move(this.reason, new Array<RejectReason | CancelReason | undefined>(size).fill(undefined));
    this.size = size;
    this.mask = mask;
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
    reason: RejectReason | CancelReason | undefined,
  ): number {
    if (this.lastSeq >= this.size && this.size < this.capacity) this.grow();
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
    if (this.lastSeq >= this.size && this.size < this.capacity) this.grow();
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
      price: this.price[i]!,
      quantity: this.qty[i]!,
      leaves: this.leaves[i]!,
      cum: this.cum[i]!,
      liquidity: isFill ? (liq === LIQ_MAKER ? Liquidity.Maker : Liquidity.Taker) : undefined,
      fee: isFill ? executionFee(this.price[i]!, this.qty[i]!, this.rate[i]!) : undefined,
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
export const KIND_CANCELLED = matchEventKinds.indexOf(MatchEventKind.Cancelled);
export const KIND_EXPIRED = matchEventKinds.indexOf(MatchEventKind.Expired);
export const KIND_TRIGGERED = matchEventKinds.indexOf(MatchEventKind.Triggered);
export const KIND_REPLACED = matchEventKinds.indexOf(MatchEventKind.Replaced);
export const KIND_CANCEL_REJECTED = matchEventKinds.indexOf(MatchEventKind.CancelRejected);
