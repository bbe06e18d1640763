import t from "tap";
import { SubscriptionIndex } from "./in-memory-bus.ts";

t.test("an interest comes and goes: wildcard and exact subscriptions are matched as NATS does and removed again", async (t) => {
  const index = new SubscriptionIndex<string>();
  index.subscribe("am.evt.order.>", "algo");
  index.subscribe("am.md.quote.SIMX.SIM001", "order");
  index.subscribe("am.md.quote.*.SIM001", "watcher");
  t.same(index.match("am.evt.order.o1.OrderFilled"), ["algo"]);
  t.same(index.match("am.md.quote.SIMX.SIM001"), ["order", "watcher"], "exact subscribers first");
  index.unsubscribe("am.evt.order.>", "algo");
  t.same(index.match("am.evt.order.o1.OrderFilled"), [], "a cached resolution is forgotten with the subscription");
  index.unsubscribe("am.md.quote.SIMX.SIM001", "order");
  t.same(index.match("am.md.quote.SIMX.SIM001"), ["watcher"]);
  index.unsubscribe("am.md.quote.*.SIM001", "someone-else");
  t.same(index.match("am.md.quote.SIMX.SIM001"), ["watcher"], "only the named subscriber's subscription goes");
});
