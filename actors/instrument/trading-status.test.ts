import t from "tap";
import { FeedStatusAction, TradingStatus } from "../domain/index.ts";
import { TradingStatusTracker, type TradingHours, US_PER_DAY, US_PER_MINUTE, calendarStatusAt } from "./index.ts";

// 14:30-21:00 UTC Monday to Friday with 30 minutes of pre-open
const hours: TradingHours = { weekdays: [1, 2, 3, 4, 5], sessions: [{ open: 870, close: 1260 }], preOpenMinutes: 30 };
const monday = 4 * US_PER_DAY; // 1970-01-05 was a Monday
const at = (day: number, minute: number) => day + minute * US_PER_MINUTE;

t.test("the calendar gives closed, pre-open, open and closed again over a weekday", async (t) => {
  t.equal(calendarStatusAt(hours, at(monday, 0)).status, TradingStatus.Closed);
  t.equal(calendarStatusAt(hours, at(monday, 840)).status, TradingStatus.PreOpen);
  t.equal(calendarStatusAt(hours, at(monday, 870)).status, TradingStatus.Open);
  t.equal(calendarStatusAt(hours, at(monday, 1259)).status, TradingStatus.Open);
  t.equal(calendarStatusAt(hours, at(monday, 1260)).status, TradingStatus.Closed);
  t.equal(calendarStatusAt(hours, at(monday + 5 * US_PER_DAY, 900)).status, TradingStatus.Closed, "Saturday");
  t.equal(calendarStatusAt(hours, at(monday, 100)).untilUs, at(monday, 840), "valid until the pre-open starts");
});

t.test("a feed halt overrides open and pre-open, a resume restores the calendar status", async (t) => {
  const s = new TradingStatusTracker(hours);
  t.ok(s.onTime(at(monday, 10)));
  t.equal(s.status, TradingStatus.Closed);
  t.ok(s.onTime(at(monday, 845)));
  t.equal(s.status, TradingStatus.PreOpen);
  t.ok(s.onTime(at(monday, 870)));
  t.equal(s.status, TradingStatus.Open);
  t.ok(s.onFeed(FeedStatusAction.Halt, "news pending", at(monday, 900)));
  t.equal(s.status, TradingStatus.Halted);
  t.equal(s.reason, "news pending");
  t.notOk(s.onTime(at(monday, 901)), "still halted");
  t.ok(s.onFeed(FeedStatusAction.Resume, undefined, at(monday, 910)));
  t.equal(s.status, TradingStatus.Open);
});

t.test("the close ends a halt, and a halt announced while closed holds through the next pre-open", async (t) => {
  const s = new TradingStatusTracker(hours);
  s.onTime(at(monday, 900));
  s.onFeed(FeedStatusAction.Halt, undefined, at(monday, 1000));
  t.ok(s.onTime(at(monday, 1260)));
  t.equal(s.status, TradingStatus.Closed);
  t.notOk(s.halted);
  t.notOk(s.onFeed(FeedStatusAction.Halt, undefined, at(monday, 1300)), "closed stays closed");
  t.ok(s.onTime(at(monday + US_PER_DAY, 845)));
  t.equal(s.status, TradingStatus.Halted);
});
