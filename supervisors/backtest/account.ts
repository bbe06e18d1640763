const UNIT = 1e8;

interface Holding {
  /** signed quantity, 1e-8 units */
  qty: number;
  /** average entry price of the open quantity, 1e-8 units */
  avgPx: number;
  /** latest mark, 1e-8 units; 0 before any */
  mark: number;
  multiplier: number;
}

/** One equity sample: time, equity, gross exposure over equity. */
export interface AccountSample {
  tsUs: number;
  equity: number;
  exposure: number;
}

/**
 * The run's account as the report sees it, rebuilt from what crossed the bus (order events and marks), beside the
 * risk book rather than read from it: cash, positions at average cost, realised P&L of each closing fill, traded
 * notional and sampled equity. Float64 account currency: statistics, not the book of record.
 */
export class TradingAccount {
  cash: number;
  readonly tradePnls: number[] = [];
  tradedNotional = 0;
  fees = 0;
  fills = 0;
  readonly samples: AccountSample[] = [];
  private readonly holdings = new Map<string, Holding>();
  private readonly orderInstrument = new Map<string, string>();

  constructor(
    initialCash: number,
    /** contract multiplier of each instrument, 1e-8 units */
    multipliers: ReadonlyMap<string, number>,
  ) {
    this.cash = initialCash;
    for (const [id, m] of multipliers) this.holdings.set(id, { qty: 0, avgPx: 0, mark: 0, multiplier: m / UNIT });
  }

  /** signed quantity held, 1e-8 units */
  position(instrument: string): number {
    return this.holdings.get(instrument)?.qty ?? 0;
  }

  mark(instrument: string, price: number): void {
    const h = this.holdings.get(instrument);
    if (h) h.mark = price;
  }

  orderSubmitted(clientOrderId: string, instrument: string): void {
    this.orderInstrument.set(clientOrderId, instrument);
  }

  /** A fill: cash moves, the position changes at average cost, and the part that closes realises P&L. */
  filled(clientOrderId: string, side: string, lastQty: number, lastPx: number, fee: number): void {
    const instrument = this.orderInstrument.get(clientOrderId);
    const h = instrument ? this.holdings.get(instrument) : undefined;
    if (!h) return;
    this.fills++;
    const signed = side === "BUY" ? lastQty : -lastQty;
    const notional = ((lastQty / UNIT) * lastPx * h.multiplier) / UNIT;
    const feeMoney = fee / UNIT;
    this.tradedNotional += notional;
    this.fees += feeMoney;
    this.cash -= (signed > 0 ? notional : -notional) + feeMoney;
    if (h.qty !== 0 && Math.sign(signed) !== Math.sign(h.qty)) {
      const closing = Math.min(Math.abs(signed), Math.abs(h.qty));
      const pnl = ((closing / UNIT) * (lastPx - h.avgPx) * Math.sign(h.qty) * h.multiplier) / UNIT - feeMoney;
      this.tradePnls.push(pnl);
      const left = h.qty + signed;
      if (Math.sign(left) === Math.sign(h.qty) || left === 0) h.qty = left;
      else {
        // reversed through flat: the rest opens at this fill's price
        h.qty = left;
        h.avgPx = lastPx;
      }
      if (h.qty === 0) h.avgPx = 0;
      return;
    }
    const qty = h.qty + signed;
    h.avgPx = (h.avgPx * Math.abs(h.qty) + lastPx * Math.abs(signed)) / Math.abs(qty);
    h.qty = qty;
  }

  /** Cash plus positions at their marks (at cost where there is no mark yet), and gross exposure over that. */
  value(): { equity: number; gross: number } {
    let equity = this.cash;
    let gross = 0;
    for (const h of this.holdings.values()) {
      if (h.qty === 0) continue;
      const v = ((h.qty / UNIT) * (h.mark || h.avgPx) * h.multiplier) / UNIT;
      equity += v;
      gross += Math.abs(v);
    }
    return { equity, gross };
  }

  sample(tsUs: number): void {
    const { equity, gross } = this.value();
    this.samples.push({ tsUs, equity, exposure: equity > 0 ? gross / equity : 0 });
  }
}
