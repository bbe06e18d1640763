/**
 * Portfolio accounting, pure and exact. Quantities and prices are integers of 1e-8 units; money is bigint of
 * 1e-8 units. A position keeps its signed quantity and its signed cost basis (Σ entry notional of the open
 * quantity); realised P&L, average price and unrealised P&L derive from these.
 *
 * Rounding, in one place:
 * - notional = price × quantity × multiplier / 1e16, truncated toward zero (once per fill part and per mark);
 * - closing part of a position removes cost × closed / open from the basis, truncated toward zero; closing the
 *   whole position removes the whole remaining basis, so a round trip realises exactly its cash flows;
 * - the average price shown is |cost| / (|quantity| × multiplier), rounded half up to 1e-8; it is display only
 *   and never feeds back into P&L.
 * With these, equity − starting cash = realised + unrealised − fees holds exactly, not approximately.
 */
import {
  type FillFields,
  type InstrumentSpec,
  type MarkSource,
  type Money,
  type PositionLeg,
  type PositionMode,
  type Price,
  type Quantity,
  addMoney,
  asMoney,
  asPrice,
  asQuantity,
  SCALE,
  Side,
} from "../domain/index.ts";

const SCALE_N = BigInt(SCALE);
const S2 = SCALE_N * SCALE_N;

/** Math.max / Math.abs for money (Math.* does not take bigint). */
export const maxMoney = (a: Money, b: Money): Money => (a > b ? a : b);
export const absMoney = (a: Money): Money => (a < 0n ? asMoney(-a) : a);

export interface Position {
  instrument: string;
  leg: PositionLeg;
  /** signed: long > 0, short < 0 (a SHORT leg is never > 0, a LONG leg never < 0) */
  quantity: Quantity;
  /** signed cost basis of the open quantity, multiplier included */
  cost: Money;
  realisedPnl: Money;
  fees: Money;
  lastFillPrice: Price;
}

export interface Portfolio {
  mode: PositionMode;
  /** key: the instrument (NET leg), or `instrument|LONG` / `instrument|SHORT` in hedging mode */
  positions: Record<string, Position>;
  cash: Money;
  realisedPnl: Money;
  fees: Money;
}

/** Latest market prices of an instrument (not journaled: delivered again after a restore). */
export interface Mark {
  bid?: Price;
  ask?: Price;
  last?: Price;
}
export type MarkTable = Record<string, Mark>;

export const emptyPortfolio = (mode: PositionMode, cash: Money = asMoney(0n)): Portfolio => ({
  mode,
  positions: {},
  cash,
  realisedPnl: asMoney(0n),
  fees: asMoney(0n),
});

export const positionKey = (instrument: string, leg: PositionLeg): string => (leg === "NET" ? instrument : `${instrument}|${leg}`);

/** price × signed quantity × multiplier as money, truncated toward zero. */
export function contractValue(price: Price, qty: Quantity, multiplier: number): Money {
  // Same result for multiplier 1 (p·q·1e8/1e16 = p·q/1e8 exactly), with smaller bigints on the hot path.
  if (multiplier === SCALE) return asMoney((BigInt(price) * BigInt(qty)) / SCALE_N);
  return asMoney((BigInt(price) * BigInt(qty) * BigInt(multiplier)) / S2);
}

/** Average entry price of a position, rounded half up to 1e-8 (display; P&L uses the exact cost). */
export function averagePrice(pos: Position, multiplier: number): Price {
  if (pos.quantity === 0) return asPrice(0);
  const num = (pos.cost < 0n ? -pos.cost : pos.cost) * S2;
  const den = BigInt(Math.abs(pos.quantity)) * BigInt(multiplier);
  return asPrice(Number((num * 2n + den) / (2n * den)));
}

interface Traded {
  position: Position;
  cash: Money;
  realised: Money;
  /** signed quantity left over when the trade would flip a leg that may not flip (hedging) */
  rest: Quantity;
}

/**
 * Applies a signed quantity at a price to one position. A hedging leg (legSign ±1) only opens in its own
 * direction and never flips: what it cannot absorb comes back as `rest`.
 */
function trade(pos: Position, q: Quantity, price: Price, multiplier: number, legSign: 0 | 1 | -1): Traded {
  // Plain integers while the trade is worked out; branded once in the result.
  let qty: number = pos.quantity;
  let cost: bigint = pos.cost;
  let cash = 0n;
  let realised = 0n;
  let rest: number = 0;
  if (qty === 0 && legSign !== 0 && Math.sign(q) !== legSign) {
    rest = q;
  } else if (qty === 0 || Math.sign(qty) === Math.sign(q)) {
    const n = contractValue(price, q, multiplier);
    cost += n;
    cash -= n;
    qty += q;
  } else {
    const open = Math.abs(qty);
    const closed = Math.min(Math.abs(q), open);
    const signedClosed = q > 0 ? closed : -closed;
    const n = contractValue(price, asQuantity(signedClosed), multiplier);
    const removed = closed === open ? cost : (cost * BigInt(closed)) / BigInt(open);
    cost -= removed;
    cash -= n;
    realised += -n - removed;
    qty += signedClosed;
    rest = q - signedClosed;
    if (rest !== 0 && legSign === 0) {
      const n2 = contractValue(price, asQuantity(rest), multiplier);
      cost += n2;
      cash -= n2;
      qty += rest;
      rest = 0;
    }
  }
  return {
    position: {
      ...pos,
      quantity: asQuantity(qty),
      cost: asMoney(cost),
      realisedPnl: asMoney(pos.realisedPnl + realised),
      lastFillPrice: price,
    },
    cash: asMoney(cash),
    realised: asMoney(realised),
    rest: asQuantity(rest),
  };
}

const flat = (instrument: string, leg: PositionLeg): Position => ({
  instrument,
  leg,
  quantity: asQuantity(0),
  cost: asMoney(0n),
  realisedPnl: asMoney(0n),
  fees: asMoney(0n),
  lastFillPrice: asPrice(0),
});

export interface FillResult {
  portfolio: Portfolio;
  /** positions the fill touched, after it */
  changed: Position[];
}

/**
 * Applies one fill. Netting: one position per instrument, which may flip. Hedging: the fill opens or closes the
 * leg named by `positionSide` (default: the leg of its own side); closing more than the leg holds opens the rest
 * on the other leg, so the net quantity is always the sum of signed fills.
 */
export function applyFill(p: Portfolio, fill: FillFields, multiplier: number): FillResult {
  const q = fill.side === Side.Buy ? fill.quantity : asQuantity(-fill.quantity);
  const positions = { ...p.positions };
  const changed: Position[] = [];
  let cash: bigint = p.cash - fill.fee;
  let realised = 0n;
  const touch = (leg: PositionLeg, signedQty: Quantity): Quantity => {
    const key = positionKey(fill.instrument, leg);
    const legSign = leg === "NET" ? 0 : leg === "LONG" ? 1 : -1;
    const t = trade(positions[key] ?? flat(fill.instrument, leg), signedQty, fill.price, multiplier, legSign);
    if (t.rest === signedQty) return t.rest;
    positions[key] = t.position;
    changed.push(t.position);
    cash += t.cash;
    realised += t.realised;
    return t.rest;
  };
  let feeLeg: PositionLeg = "NET";
  if (p.mode === "NETTING") {
    touch("NET", q);
  } else {
    feeLeg = fill.positionSide ?? (q > 0 ? "LONG" : "SHORT");
    const rest = touch(feeLeg, q);
    if (rest !== 0) {
      const other = feeLeg === "LONG" ? "SHORT" : "LONG";
      touch(other, rest);
      // The fee goes to the leg that took the fill's quantity first.
      if (rest === q) feeLeg = other;
    }
  }
  if (fill.fee !== 0n) {
    const key = positionKey(fill.instrument, feeLeg);
    const pos = { ...positions[key]!, fees: addMoney(positions[key]!.fees, fill.fee) };
    positions[key] = pos;
    changed[changed.findIndex((c) => c.leg === feeLeg)] = pos;
  }
  return {
    portfolio: {
      ...p,
      positions,
      cash: asMoney(cash),
      realisedPnl: asMoney(p.realisedPnl + realised),
      fees: addMoney(p.fees, fill.fee),
    },
    changed,
  };
}

/** Net quantity of an instrument over its legs. */
export function netQuantity(p: Portfolio, instrument: string): Quantity {
  if (p.mode === "NETTING") return p.positions[instrument]?.quantity ?? asQuantity(0);
  return asQuantity((p.positions[`${instrument}|LONG`]?.quantity ?? 0) + (p.positions[`${instrument}|SHORT`]?.quantity ?? 0));
}

/** The price an instrument is marked at: mid or last trade as configured, the other as fallback, else undefined. */
export function markPrice(mark: Mark | undefined, source: MarkSource): Price | undefined {
  if (!mark) return undefined;
  const mid = mark.bid !== undefined && mark.ask !== undefined ? asPrice(Math.floor((mark.bid + mark.ask) / 2)) : undefined;
  return source === "MID" ? (mid ?? mark.last) : (mark.last ?? mid);
}

/** The mark of a position: the market mark, else its last fill price. */
export const positionMark = (pos: Position, marks: MarkTable, source: MarkSource): Price =>
  markPrice(marks[pos.instrument], source) ?? pos.lastFillPrice;

export interface Totals {
  equity: Money;
  unrealisedPnl: Money;
  grossExposure: Money;
  netExposure: Money;
}

/** Equity, unrealised P&L and exposure in one pass (the per-mark hot path: no per-position allocation). */
export function totals(p: Portfolio, specs: Record<string, InstrumentSpec>, marks: MarkTable, source: MarkSource): Totals {
  let mv = 0n;
  let cost = 0n;
  let gross = 0n;
  for (const key in p.positions) {
    const pos = p.positions[key]!;
    if (pos.quantity === 0) continue;
    const v = contractValue(positionMark(pos, marks, source), pos.quantity, specs[pos.instrument]?.multiplier ?? SCALE);
    mv += v;
    cost += pos.cost;
    gross += v < 0n ? -v : v;
  }
  return {
    equity: asMoney(p.cash + mv),
    unrealisedPnl: asMoney(mv - cost),
    grossExposure: asMoney(gross),
    netExposure: asMoney(mv),
  };
}

export interface ExposureLine {
  gross: Money;
  net: Money;
}

export interface ExposureBreakdown {
  gross: Money;
  net: Money;
  byInstrument: Record<string, ExposureLine>;
  bySector: Record<string, ExposureLine>;
  byAssetClass: Record<string, ExposureLine>;
}

/** Exposure by instrument, sector and asset class (reports; allocates). Long and short legs both count in gross. */
export function exposure(p: Portfolio, specs: Record<string, InstrumentSpec>, marks: MarkTable, source: MarkSource): ExposureBreakdown {
  const out: ExposureBreakdown = { gross: asMoney(0n), net: asMoney(0n), byInstrument: {}, bySector: {}, byAssetClass: {} };
  const add = (table: Record<string, ExposureLine>, key: string, v: Money) => {
    const line = table[key] ?? { gross: asMoney(0n), net: asMoney(0n) };
    line.gross = addMoney(line.gross, absMoney(v));
    line.net = addMoney(line.net, v);
    table[key] = line;
  };
  for (const pos of Object.values(p.positions)) {
    if (pos.quantity === 0) continue;
    const spec = specs[pos.instrument];
    const v = contractValue(positionMark(pos, marks, source), pos.quantity, spec?.multiplier ?? SCALE);
    out.gross = addMoney(out.gross, absMoney(v));
    out.net = addMoney(out.net, v);
    add(out.byInstrument, pos.instrument, v);
    add(out.bySector, spec?.sector ?? "UNKNOWN", v);
    add(out.byAssetClass, spec?.assetClass ?? "UNKNOWN", v);
  }
  return out;
}
