import { asPrice } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";

/**
 * A continuous futures series: the records of `contracts` (each with its expiry) as the instrument `instrument`,
 * the front contract's until `rollDaysBefore` days before its expiry, then the next one's.
 */
export interface RollRule {
  instrument: string;
  contracts: readonly { instrument: string; expiryUs: number }[];
  rollDaysBefore: number;
  /** difference: later contracts shifted by the price gaps at the rolls, so the series has no jump; none: as recorded */
  adjust: "difference" | "none";
}

export class RollError extends Error {
  override name = "RollError";
}

const DAY_US = 86_400_000_000;

interface Series {
  rule: RollRule;
  /** contract ids in expiry order, and when each stops being the front (its roll time) */
  contracts: string[];
  rollUs: number[];
  active: number;
  /** what is subtracted from the active contract's prices */
  offset: number;
  /** whether anything of the active contract went out */
  published: boolean;
  /** last reference price (bar close, trade price, quote bid) of each contract */
  last: Map<string, number>;
}

/**
 * Rolls futures contracts into continuous series in the data layer, as a vendor's continuous contract: strategies
 * trade the continuous instrument, and the actors run as live. The adjustment is forward (Panama): the first
 * contract's prices are as recorded and each later contract's are shifted by the gaps at the rolls between the
 * two contracts' last prices, so nothing needs data from after the record (no look-ahead). Records of contracts not
 * in force are dropped. Needs the records in time order across contracts (merged data).
 */
export class ContinuousFutures {
  private readonly byContract = new Map<string, Series>();

  constructor(rules: readonly RollRule[]) {
    for (const rule of rules) {
      const sorted = [...rule.contracts].sort((a, b) => a.expiryUs - b.expiryUs);
      const series: Series = {
        rule,
        contracts: sorted.map((c) => c.instrument),
        rollUs: sorted.map((c, i) => (i === sorted.length - 1 ? c.expiryUs : c.expiryUs - rule.rollDaysBefore * DAY_US)),
        active: 0,
        offset: 0,
        published: false,
        last: new Map(),
      };
      for (const c of series.contracts) {
        if (this.byContract.has(c)) throw new RollError(`rolls: contract ${c} is in two roll rules`);
        this.byContract.set(c, series);
      }
    }
  }

  /** The record as the continuous instrument's; undefined when its contract is not the one in force. */
  roll(r: ReplayRecord): ReplayRecord | undefined {
    const s = this.byContract.get(r.instrument);
    if (!s) return r;
    while (s.active < s.contracts.length && r.tsEvent >= s.rollUs[s.active]!) this.rollOver(s, r.tsEvent);
    s.last.set(r.instrument, r.type === "Bar" ? r.close : r.type === "RawTrade" ? r.price : r.bid);
    if (s.contracts[s.active] !== r.instrument) return undefined;
    s.published = true;
    const instrument = s.rule.instrument;
    const px = (field: string, p: number) => {
      const v = p - s.offset;
      if (v <= 0)
        throw new RollError(
          `${r.type} of ${r.instrument} at ${r.tsEvent} µs: ${field} less the roll gaps so far is ${v} units, not positive`,
        );
      return asPrice(v);
    };
    switch (r.type) {
      case "RawQuote": {
        // each contract numbers its own quotes: the continuous series leaves the numbers out
        const { seq: _seq, ...q } = r;
        return { ...q, instrument, bid: px("bid", r.bid), ask: px("ask", r.ask) };
      }
      case "RawTrade":
        return { ...r, instrument, price: px("price", r.price) };
      case "Bar":
        return {
          ...r,
          instrument,
          open: px("open", r.open),
          high: px("high", r.high),
          low: px("low", r.low),
          close: px("close", r.close),
          vwap: px("vwap", r.vwap),
        };
    }
  }

  /** Moves the series to its next contract at its roll time, adding the gap between the two at that time. */
  private rollOver(s: Series, nowUs: number): void {
    const front = s.contracts[s.active]!;
    const next = s.contracts[s.active + 1];
    s.active++;
    if (!next || !s.published || s.rule.adjust === "none") return;
    const a = s.last.get(front);
    const b = s.last.get(next);
    if (a === undefined || b === undefined)
      throw new RollError(
        `roll of ${s.rule.instrument} from ${front} to ${next} at ${new Date(s.rollUs[s.active - 1]! / 1000).toISOString()} (data at ${nowUs} µs): ${next} has no price before the roll`,
      );
    s.offset += b - a;
  }
}
