import t from "tap";
import { RequestPacer } from "./pace.ts";

/** the most requests any window of `ms` holds */
const busiest = (times: number[], ms: number) => Math.max(...times.map((a) => times.filter((b) => b >= a && b < a + ms).length));

t.test("requests leave one spacing apart, at most the rate in any second, also after a late wake-up", async (t) => {
  let skew = 0;
  const now = () => Date.now() + skew;
  const pacer = new RequestPacer(10, now);
  const left: number[] = [];
  // concurrent callers take turns
  await Promise.all(
    Array.from({ length: 25 }, async (_, i) => {
      await pacer.wait();
      left.push(now());
      // the event loop stalled 400 ms after the fourth request: the next ones must not bunch into its second
      if (i === 3) skew += 400;
    }),
  );
  t.equal(left.length, 25);
  t.ok(busiest(left, 1000) <= 10, `at most 10 in any second (${busiest(left, 1000)})`);
  // ten per second and a spacing: the 21st request leaves two windows of 1.1 s after the first
  t.ok(left[24]! - left[0]! >= 2_195, `25 requests took ${left[24]! - left[0]!} ms`);
});

t.test("a rate that is not positive is refused", async (t) => {
  t.throws(() => new RequestPacer(0), /requests per second must be positive, got 0/);
});
