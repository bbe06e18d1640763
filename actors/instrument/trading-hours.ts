import { TradingStatus } from "../domain/index.ts";

/**
 * Trading hours without time zones: sessions are UTC minutes of the day on UTC weekdays (0 = Sunday). A session
 * that crosses midnight is written as two sessions. Daylight-saving shifts are the job of whoever writes the
 * definition (a venue's hours are republished when they move).
 */
export interface TradingSession {
  /** minute of the UTC day the continuous session opens, 0..1439 */
  open: number;
  /** minute of the UTC day it closes (exclusive), open < close ≤ 1440 */
  close: number;
}

export interface TradingHours {
  /** UTC weekdays with sessions, 0 = Sunday … 6 = Saturday */
  weekdays: readonly number[];
  sessions: readonly TradingSession[];
  /** minutes of pre-open before each session's open (same UTC day; clamped at midnight) */
  preOpenMinutes: number;
}

export type CalendarStatus = typeof TradingStatus.PreOpen | typeof TradingStatus.Open | typeof TradingStatus.Closed;

export const US_PER_MINUTE = 60_000_000;
export const US_PER_DAY = 1440 * US_PER_MINUTE;

/** Every day, all day: crypto and the simulator. */
export const alwaysOpen: TradingHours = { weekdays: [0, 1, 2, 3, 4, 5, 6], sessions: [{ open: 0, close: 1440 }], preOpenMinutes: 0 };

/** 1970-01-01 was a Thursday. */
export const utcWeekday = (us: number): number => (Math.floor(us / US_PER_DAY) + 4) % 7;

/** The calendar status at `us`, and until when it holds (exclusive): callers cache it and recompute only then. */
export function calendarStatusAt(hours: TradingHours, us: number): { status: CalendarStatus; untilUs: number } {
  const dayStart = Math.floor(us / US_PER_DAY) * US_PER_DAY;
  const minute = Math.floor((us - dayStart) / US_PER_MINUTE);
  let status: CalendarStatus = TradingStatus.Closed;
  let nextBoundary = 1440;
  if (hours.weekdays.includes(utcWeekday(us))) {
    for (const s of hours.sessions) {
      const pre = Math.max(0, s.open - hours.preOpenMinutes);
      if (minute >= s.open && minute < s.close) status = TradingStatus.Open;
      else if (minute >= pre && minute < s.open && status !== TradingStatus.Open) status = TradingStatus.PreOpen;
      for (const b of [pre, s.open, s.close]) if (b > minute && b < nextBoundary) nextBoundary = b;
    }
  }
  return { status, untilUs: dayStart + nextBoundary * US_PER_MINUTE };
}
