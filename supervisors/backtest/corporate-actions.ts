import { readFileSync } from "node:fs";
import { asPrice, asQuantity, parseFixed, SCALE } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";

/**
 * A split or cash dividend of one instrument, effective from its ex-date: `split` is new shares per old share (2:
 * two for one; 0.1: one for ten), `dividend` the cash per share in price units (fixed point) of its own time.
 */
export type CorporateAction =
  | { instrument: string; exDateUs: number; kind: "split"; ratio: number }
  | { instrument: string; exDateUs: number; kind: "dividend"; amount: number };

export class CorporateActionError extends Error {
  override name = "CorporateActionError";
}

/** What an adjustment needs of an instrument: its grids. */
export interface Grid {
  priceIncrement: number;
  lotSize: number;
}

/** p ↦ mult·p + add for prices and q ↦ sizeMult·q for sizes, in force until `untilUs` (exclusive) */
interface Segment {
  untilUs: number;
  mult: number;
  add: number;
  sizeMult: number;
}

/**
 * Back-adjusts recorded prices for splits and cash dividends, as of the run's end, in the data layer: the actors see
 * one continuous series, as the adjusted history of a data vendor, and trade it as live. A record before an ex-date
 * gets every action from then to the run's end applied in time order: a split of ratio r divides its prices by r
 * and multiplies its sizes by r (a 2:1 split halves earlier prices and doubles earlier sizes, so a position held
 * through it keeps its value); a dividend D subtracts D from its prices (the holder's P&L over the ex-date is the
 * price move plus D, as if D were paid in cash). Prices are rounded to the price increment, sizes down to the lot.
 * Actions at or after the run's end do not apply. Records must come in time order per instrument (merged data).
 */
export class PriceAdjustments {
  private readonly segments = new Map<string, Segment[]>();
  /** the index of each instrument's segment in force (time only moves forward) */
  private readonly at = new Map<string, number>();

  constructor(
    actions: readonly CorporateAction[],
    private readonly grids: ReadonlyMap<string, Grid>,
    endUs: number,
  ) {
    const byInstrument = new Map<string, CorporateAction[]>();
    for (const a of actions) {
      if (!grids.has(a.instrument))
        throw new CorporateActionError(`corporate action of ${a.instrument}: the instrument is not in the run's instruments`);
      if (a.exDateUs >= endUs) continue;
      byInstrument.set(a.instrument, [...(byInstrument.get(a.instrument) ?? []), a]);
    }
    for (const [instrument, list] of byInstrument) {
      list.sort((x, y) => x.exDateUs - y.exDateUs);
      // built from the run's end backwards: each segment applies its own action, then the later segments'
      const segs: Segment[] = [{ untilUs: Number.POSITIVE_INFINITY, mult: 1, add: 0, sizeMult: 1 }];
      for (let k = list.length - 1; k >= 0; k--) {
        const a = list[k]!;
        const later = segs[0]!;
        segs.unshift(
          a.kind === "split"
            ? { untilUs: a.exDateUs, mult: later.mult / a.ratio, add: later.add, sizeMult: later.sizeMult * a.ratio }
            : { untilUs: a.exDateUs, mult: later.mult, add: later.add - later.mult * a.amount, sizeMult: later.sizeMult },
        );
      }
      this.segments.set(instrument, segs);
      this.at.set(instrument, 0);
    }
  }

  /** The record as adjusted (the same object where no action follows it). */
  adjust(r: ReplayRecord): ReplayRecord {
    const segs = this.segments.get(r.instrument);
    if (!segs) return r;
    let k = this.at.get(r.instrument)!;
    while (r.tsEvent >= segs[k]!.untilUs) k++;
    this.at.set(r.instrument, k);
    const s = segs[k]!;
    if (s.mult === 1 && s.add === 0 && s.sizeMult === 1) return r;
    const g = this.grids.get(r.instrument)!;
    const px = (field: string, p: number) => {
      const v = Math.round((p * s.mult + s.add) / g.priceIncrement) * g.priceIncrement;
      if (v <= 0)
        throw new CorporateActionError(
          `${r.type} of ${r.instrument} at ${r.tsEvent} µs: ${field} adjusted for later corporate actions is ${v / SCALE}, not positive (dividends larger than the price?)`,
        );
      return asPrice(v);
    };
    const size = (q: number, positive: boolean) => {
      const v = Math.floor((q * s.sizeMult) / g.lotSize) * g.lotSize;
      return asQuantity(positive ? Math.max(v, g.lotSize) : v);
    };
    switch (r.type) {
      case "RawQuote":
        return { ...r, bid: px("bid", r.bid), ask: px("ask", r.ask), bidSize: size(r.bidSize, false), askSize: size(r.askSize, false) };
      case "RawTrade":
        return { ...r, price: px("price", r.price), size: size(r.size, true) };
      case "Bar":
        return {
          ...r,
          open: px("open", r.open),
          high: px("high", r.high),
          low: px("low", r.low),
          close: px("close", r.close),
          vwap: px("vwap", r.vwap),
          volume: size(r.volume, false),
        };
    }
  }
}

const DATE_RE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z)?$/;

/** A time as integer µs, or an ISO date (midnight UTC) or UTC time; the error names the file, line and column. */
function exDate(text: string, where: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const m = DATE_RE.exec(text);
  const ms = m ? Date.parse(m[2] ? text.replace(/\.\d+Z$/, "Z") : `${m[1]}T00:00:00Z`) : Number.NaN;
  if (!m || Number.isNaN(ms))
    throw new CorporateActionError(`${where}, column ex_date: ${JSON.stringify(text)} is not a date like 2024-03-05`);
  const frac = /\.(\d{1,6})Z$/.exec(text)?.[1] ?? "";
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

/**
 * A corporate-actions CSV file: header `instrument,ex_date,action,value`; `action` is `split` (value: new shares
 * per old share) or `dividend` (value: cash per share); `ex_date` an ISO date (midnight UTC), UTC time or µs.
 */
export function readCorporateActions(path: string): CorporateAction[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const header = (lines[0] ?? "").trim().toLowerCase().split(",");
  const want = ["instrument", "ex_date", "action", "value"];
  if (header.join(",") !== want.join(","))
    throw new CorporateActionError(`${path} line 1: the header must be ${want.join(",")}, not ${JSON.stringify(lines[0] ?? "")}`);
  const out: CorporateAction[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (!text) continue;
    const where = `${path} line ${i + 1}`;
    const f = text.split(",").map((x) => x.trim());
    if (f.length !== 4) throw new CorporateActionError(`${where}: has ${f.length} fields, the header has 4`);
    const [instrument, date, action, value] = f as [string, string, string, string];
    out.push(corporateAction({ instrument, exDateUs: exDate(date, where), action, value }, where));
  }
  return out;
}

/** One action from its text fields; the error says where (a file line, or a config path). */
export function corporateAction(
  a: { instrument: string; exDateUs: number; action: string; value: string },
  where: string,
): CorporateAction {
  let units: number;
  try {
    units = parseFixed(a.value, "value");
  } catch (e) {
    throw new CorporateActionError(`${where}, column value: ${(e as Error).message}`);
  }
  if (units <= 0) throw new CorporateActionError(`${where}, column value: ${a.value} must be positive`);
  if (a.action === "split") return { instrument: a.instrument, exDateUs: a.exDateUs, kind: "split", ratio: units / SCALE };
  if (a.action === "dividend") return { instrument: a.instrument, exDateUs: a.exDateUs, kind: "dividend", amount: units };
  throw new CorporateActionError(`${where}, column action: ${JSON.stringify(a.action)} is not split or dividend`);
}
