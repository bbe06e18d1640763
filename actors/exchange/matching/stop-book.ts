import { BUY, F_EXPIRE, F_ID, F_STOP, I_SIDE, I_STATE, type OrderPool, S_FREE } from "./order-pool.ts";

/**
 * The orders that wait off the book: stops until a trade reaches their stop price, and the expiry times of GTD
 * orders (resting or pending stops).
 */
export class StopBook {
  /** stop slots, next to trigger last: buy stops by stop price descending, sell stops ascending */
  private readonly buyStops: number[] = [];
  private readonly sellStops: number[] = [];
  /** GTD orders as (slot, id) pairs; an entry whose slot no longer holds that id is dropped at expiry */
  private readonly gtdSlots: number[] = [];
  private readonly gtdIds: number[] = [];
  /** earliest expiry among them (a lower bound once some have left), so `expire` is O(1) until then */
  private gtdNextUs = Number.POSITIVE_INFINITY;

  constructor(private readonly pool: OrderPool) {}

  /** Buy stops by stop price descending, sell stops ascending; among equal stops the earliest sits nearer the end. */
  insert(s: number): void {
    const of = this.pool.of;
    const buy = this.pool.oi[s * 8 + I_SIDE] === BUY;
    const arr = buy ? this.buyStops : this.sellStops;
    const stop = of[s * 8 + F_STOP]!;
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = of[arr[mid]! * 8 + F_STOP]!;
      if (buy ? p > stop : p < stop) lo = mid + 1;
      else hi = mid;
    }
    arr.push(s);
    for (let i = arr.length - 1; i > lo; i--) arr[i] = arr[i - 1]!;
    arr[lo] = s;
  }

  remove(s: number): void {
    const arr = this.pool.oi[s * 8 + I_SIDE] === BUY ? this.buyStops : this.sellStops;
    const i = arr.indexOf(s);
    if (i >= 0) arr.splice(i, 1);
  }

  /** Takes out and returns the next stop a trade at `lastPrice` reaches (buys first), or -1 if none. */
  nextTriggered(lastPrice: number): number {
    const buys = this.buyStops;
    const sells = this.sellStops;
    const of = this.pool.of;
    if (buys.length > 0 && of[buys[buys.length - 1]! * 8 + F_STOP]! <= lastPrice) return buys.pop()!;
    if (sells.length > 0 && of[sells[sells.length - 1]! * 8 + F_STOP]! >= lastPrice) return sells.pop()!;
    return -1;
  }

  get pendingStops(): number {
    return this.buyStops.length + this.sellStops.length;
  }

  /** Records the expiry of a GTD order. */
  addExpiry(s: number, id: number, expireAtUs: number): void {
    this.gtdSlots.push(s);
    this.gtdIds.push(id);
    if (expireAtUs < this.gtdNextUs) this.gtdNextUs = expireAtUs;
  }

  /** Hands every GTD order due at `nowUs` to `onExpire`, in submission order; returns how many. */
  expire(nowUs: number, onExpire: (slot: number) => void): number {
    if (nowUs < this.gtdNextUs) return 0;
    const { of, oi } = this.pool;
    let next = Number.POSITIVE_INFINITY;
    let n = 0;
    let w = 0;
    const slots = this.gtdSlots;
    const ids = this.gtdIds;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const id = ids[i]!;
      if (oi[s * 8 + I_STATE] === S_FREE || of[s * 8 + F_ID] !== id) continue;
      if (of[s * 8 + F_EXPIRE]! <= nowUs) {
        onExpire(s);
        n++;
        continue;
      }
      if (of[s * 8 + F_EXPIRE]! < next) next = of[s * 8 + F_EXPIRE]!;
      slots[w] = s;
      ids[w++] = id;
    }
    slots.length = w;
    ids.length = w;
    this.gtdNextUs = next;
    return n;
  }
}
