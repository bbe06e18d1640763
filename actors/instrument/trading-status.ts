import { FeedStatusAction, TradingStatus } from "../domain/index.ts";
import { type CalendarStatus, type TradingHours, calendarStatusAt } from "./trading-hours.ts";

/**
 * The trading status of an instrument, from two sources: the calendar (trading hours at the delivered nowUs) and
 * the feed (halt / resume). CLOSED by the calendar wins; otherwise a feed halt gives HALTED; otherwise the calendar
 * status (PRE_OPEN or OPEN). A halt lasts until the feed resumes or the session closes (halts do not outlive the
 * trading day); a halt announced while closed carries into the next pre-open.
 */
export class TradingStatusTracker {
  status: TradingStatus | null = null;
  calendar: CalendarStatus = TradingStatus.Closed;
  halted = false;
  reason: string | undefined;
  private validFromUs = Number.POSITIVE_INFINITY;
  private validUntilUs = Number.NEGATIVE_INFINITY;

  constructor(private readonly hours: TradingHours) {}

  /** Moves to `nowUs`; true when the effective status changed. Recomputes the calendar only at its boundaries. */
  onTime(nowUs: number): boolean {
    if (nowUs < this.validUntilUs && nowUs >= this.validFromUs) return false;
    const c = calendarStatusAt(this.hours, nowUs);
    this.validFromUs = nowUs;
    this.validUntilUs = c.untilUs;
    if (c.status === this.calendar && this.status !== null) return false;
    if (c.status === TradingStatus.Closed && this.calendar !== TradingStatus.Closed) this.halted = false;
    this.calendar = c.status;
    this.reason = `calendar: ${c.status}`;
    return this.settle();
  }

  onFeed(action: FeedStatusAction, reason: string | undefined, nowUs: number): boolean {
    this.onTime(nowUs);
    const halted = action === FeedStatusAction.Halt;
    if (halted === this.halted) return false;
    this.halted = halted;
    this.reason = reason ?? `feed: ${action}`;
    return this.settle();
  }

  private settle(): boolean {
    const next = this.calendar === TradingStatus.Closed ? TradingStatus.Closed : this.halted ? TradingStatus.Halted : this.calendar;
    if (next === this.status) return false;
    this.status = next;
    return true;
  }
}
