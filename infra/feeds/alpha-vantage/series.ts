/** Alpha Vantage TIME_SERIES_* replies → raw bars, and its error shapes → verdicts. */
import { FeedError, FeedErrorReason } from "../feed-error.ts";
import type { RawBar } from "../record.ts";
import type { Redactor } from "../redact.ts";
import type { BodyVerdict } from "../rest.ts";
import { vendorPrice, vendorQuantity } from "../vendor-number.ts";

export const SOURCE = "alpha-vantage";

export type Interval = "1min" | "5min" | "15min" | "30min" | "60min";
export type SeriesSpec = { fn: "TIME_SERIES_INTRADAY"; interval: Interval } | { fn: "TIME_SERIES_DAILY" };

export const specMs = (s: SeriesSpec): number => (s.fn === "TIME_SERIES_DAILY" ? 86_400_000 : Number.parseInt(s.interval, 10) * 60_000);
const barType = (s: SeriesSpec): string =>
  s.fn === "TIME_SERIES_DAILY" ? "1d" : s.interval === "60min" ? "1h" : `${Number.parseInt(s.interval, 10)}m`;
const seriesKey = (s: SeriesSpec): string => (s.fn === "TIME_SERIES_DAILY" ? "Time Series (Daily)" : `Time Series (${s.interval})`);

/**
 * Alpha Vantage answers HTTP 200 for everything: {"Error Message"} for a bad call or key, {"Note"} or
 * {"Information"} when rate-limited (Information also says "premium endpoint" or "apikey is invalid").
 */
export function classify(redactor: Redactor) {
  return (body: unknown, status: number): BodyVerdict => {
    if (typeof body !== "object" || body === null) return { ok: true };
    const b = body as Record<string, unknown>;
    const err = b["Error Message"];
    const info = b.Note ?? b.Information;
    if (typeof err === "string") {
      const reason = /api ?key/i.test(err) ? FeedErrorReason.AuthFailed : FeedErrorReason.VendorError;
      return { error: new FeedError(reason, `Alpha Vantage: ${redactor.text(err)}`, status) };
    }
    if (typeof info === "string" && !b["Meta Data"]) {
      if (/api ?key/i.test(info))
        return { error: new FeedError(FeedErrorReason.AuthFailed, `Alpha Vantage: ${redactor.text(info)}`, status) };
      if (/premium/i.test(info))
        return { error: new FeedError(FeedErrorReason.VendorError, `Alpha Vantage: ${redactor.text(info)}`, status) };
      return { rateLimited: info };
    }
    return { ok: true };
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** ms to add to UTC to get wall time in `timeZone` at instant `utcMs`. */
function offsetMs(utcMs: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(utcMs).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** "2024-01-05 16:00:00" or "2024-01-05" as wall time in `timeZone` (Alpha Vantage reports US/Eastern) → epoch ms. */
export function zonedToEpochMs(local: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local);
  if (!m) throw new TypeError(`timestamp ${JSON.stringify(local)} is not YYYY-MM-DD[ HH:MM[:SS]]`);
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  const first = asUtc - offsetMs(asUtc, timeZone);
  // the offset at the guess may differ across a DST change: correct once with the offset at the result
  return asUtc - offsetMs(first, timeZone);
}

export interface ParsedSeries {
  bars: RawBar[];
  /** rows that could not be read, with the reason (field named) */
  rejected: string[];
}

/**
 * Bars oldest first. Alpha Vantage does not say whether an intraday timestamp opens or closes its bar; we read it
 * as the open time (tsOpen) and stamp tsEvent one interval later.
 */
export function parseSeries(body: unknown, spec: SeriesSpec, symbol: string, venue: string): ParsedSeries {
  const b = body as Record<string, unknown>;
  const meta = b["Meta Data"] as Record<string, unknown> | undefined;
  const series = b[seriesKey(spec)] as Record<string, unknown> | undefined;
  if (typeof meta !== "object" || meta === null) throw new TypeError(`"Meta Data" is missing`);
  if (typeof series !== "object" || series === null) throw new TypeError(`"${seriesKey(spec)}" is missing`);
  const tzEntry = Object.entries(meta).find(([k]) => /Time Zone$/.test(k));
  const timeZone = typeof tzEntry?.[1] === "string" ? tzEntry[1] : "US/Eastern";
  const span = specMs(spec);
  const bars: RawBar[] = [];
  const rejected: string[] = [];
  for (const [stamp, row] of Object.entries(series)) {
    try {
      const r = row as Record<string, unknown>;
      const openMs = zonedToEpochMs(stamp, timeZone);
      bars.push({
        kind: "bar",
        source: SOURCE,
        instrument: `${symbol}.${venue}`,
        barType: barType(spec),
        tsOpen: openMs * 1000,
        open: vendorPrice(r["1. open"], `${stamp}."1. open"`),
        high: vendorPrice(r["2. high"], `${stamp}."2. high"`),
        low: vendorPrice(r["3. low"], `${stamp}."3. low"`),
        close: vendorPrice(r["4. close"], `${stamp}."4. close"`),
        volume: vendorQuantity(r["5. volume"], `${stamp}."5. volume"`),
        seq: openMs,
        tsEvent: (openMs + span) * 1000,
      });
    } catch (e) {
      rejected.push(e instanceof Error ? e.message : String(e));
    }
  }
  bars.sort((x, y) => x.tsOpen - y.tsOpen);
  return { bars, rejected };
}
