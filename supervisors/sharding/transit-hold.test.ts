import type { Msg } from "@nats-io/transport-node";
import t from "tap";
import { ShardDirectory } from "./shard-directory.ts";
import { TransitHold } from "./transit-hold.ts";

const msg = (subject: string) => ({ subject }) as Msg;

t.test("the hold keeps messages per shard in arrival order, up to its bound, and gives back those past holdMs", async (t) => {
  const hold = new TransitHold(3, 1_000);
  t.ok(hold.hold(msg("a1"), 1, 0));
  t.ok(hold.hold(msg("b1"), 2, 100));
  t.ok(hold.hold(msg("a2"), 1, 600));
  t.notOk(hold.hold(msg("a3"), 1, 700), "full: the fourth is the caller's to refuse");
  t.same(
    hold.expire(1_100).map((h) => h.msg.subject),
    ["a1", "b1"],
    "the two held a second or more",
  );
  t.equal(hold.size, 1);
  t.same(
    hold.take(1).map((h) => h.msg.subject),
    ["a2"],
  );
  t.same(hold.take(1), [], "taken once");
  t.equal(hold.size, 0);
  t.throws(() => new TransitHold(0, 1_000), /maxHeld must be a positive integer, got 0/);
  t.throws(() => new TransitHold(10, 0), /holdMs must be positive, got 0/);
});

t.test(
  "the directory counts a shard served elsewhere while its server speaks, and between owners once it is silent or lets go",
  async (t) => {
    const d = new ShardDirectory("me", 300);
    const word = (region: string, serving: number[], released: number[] = []) => ({ kind: "k", region, serving, released });
    t.same(d.hear(word("x", [1, 2]), 0), [1, 2]);
    t.ok(d.servedElsewhere(1, 299));
    t.notOk(d.servedElsewhere(1, 300), "silent for staleMs: between owners");
    t.same(d.hear(word("y", [], [2]), 100), [2], "a release is spoken for: its held copies go");
    t.ok(d.servedElsewhere(2, 150), "y never served shard 2: x still does");
    d.hear(word("x", [1], [2]), 200);
    t.notOk(d.servedElsewhere(2, 210), "released by its server");
    t.same(d.hear(word("me", [3]), 200), [], "its own word changes nothing");
    t.notOk(d.servedElsewhere(3, 210));
  },
);
