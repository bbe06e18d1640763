import t from "tap";
import { feedBackoffDelay, CircuitBreaker } from "./backoff.ts";
import { Redactor } from "./redact.ts";

t.test("a redactor hides the key itself, its URL-encoded form, and key-like query parameters", async (t) => {
  const r = new Redactor(["s3cr3t/+key"]);
  t.equal(r.url("https://x/q?apikey=s3cr3t%2F%2Bkey&a=1"), "https://x/q?apikey=***&a=1");
  t.equal(r.text("auth with s3cr3t/+key failed"), "auth with *** failed");
  t.equal(new Redactor([]).url("https://x/v2?apiKey=other&token=t"), "https://x/v2?apiKey=***&token=***");
});

t.test("backoff grows with each attempt, stays under the cap and jitters within half the base", async (t) => {
  const p = { initialMs: 100, maxMs: 1000, factor: 2 };
  t.same(
    [0, 1, 2, 3, 10].map((a) => feedBackoffDelay(a, p, () => 0)),
    [50, 100, 200, 400, 500],
  );
  t.same(
    [0, 1, 10].map((a) => feedBackoffDelay(a, p, () => 1)),
    [100, 200, 1000],
  );
});

t.test("the breaker opens after N failures, lets one probe through after the cool-down, and closes on success", async (t) => {
  let now = 0;
  const b = new CircuitBreaker({ failureThreshold: 2, openMs: 100 }, () => now);
  b.recordFailure();
  t.equal(b.state, "closed");
  b.recordFailure();
  t.equal(b.state, "open");
  t.notOk(b.tryAcquire());
  now = 100;
  t.equal(b.state, "half-open");
  t.ok(b.tryAcquire(), "one probe");
  t.notOk(b.tryAcquire(), "only one");
  b.recordFailure();
  t.equal(b.state, "open", "a failed probe reopens");
  now = 200;
  t.ok(b.tryAcquire());
  b.recordSuccess();
  t.equal(b.state, "closed");
});
