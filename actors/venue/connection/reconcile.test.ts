import fc from "fast-check";
import t from "tap";
import { type ExecutionReport, priceOf, quantityOf, asPrice, asQuantity } from "../../domain/index.ts";
import { domainEvents, startOrder, submit } from "../../order/testing.ts";
import type { VenueOpenOrder } from "./adapter.ts";
import { type LocalOrder, type ReconcileAction, reconcile } from "./reconcile.ts";

const q = quantityOf;
const NOW = 1_700_000_000_000_000;

const exec = (execType: ExecutionReport["execType"], seq: number, over: Partial<ExecutionReport> = {}): ExecutionReport => ({
  clientOrderId: "c1",
  venueOrderId: "v1",
  execId: `e${seq}`,
  execType,
  instrument: "AAPL.XNAS",
  side: "BUY",
  lastQty: asQuantity(0),
  lastPx: asPrice(0),
  cumQty: asQuantity(0),
  leavesQty: q(10),
  avgPx: asPrice(0),
  fee: 0,
  venueSeq: seq,
  tsEvent: NOW + seq,
  tsInit: NOW + seq,
  ...over,
});
const fillExec = (seq: number, lastQty: number, cumQty: number): ExecutionReport =>
  exec("PARTIAL_FILL", seq, {
    lastQty: q(lastQty),
    lastPx: priceOf(100),
    cumQty: q(cumQty),
    leavesQty: q(10 - cumQty),
    liquidity: "TAKER",
  });
const local = (state: LocalOrder["state"], over: Partial<LocalOrder> = {}): LocalOrder => ({
  clientOrderId: "c1",
  instrument: "AAPL.XNAS",
  side: "BUY",
  quantity: q(10),
  state,
  execIds: [],
  ...over,
});
const openAtVenue = (over: Partial<VenueOpenOrder> = {}): VenueOpenOrder => ({
  clientOrderId: "c1",
  venueOrderId: "v1",
  instrument: "AAPL.XNAS",
  side: "BUY",
  quantity: q(10),
  cumQty: asQuantity(0),
  leavesQty: q(10),
  ...over,
});
const kinds = (a: ReconcileAction[]) => a.map((x) => x.kind);

/** Feeds reconciliation's reports to a fresh order actor that was submitted before the drop. */
function applyToOrder(actions: ReconcileAction[], before: ExecutionReport[] = []) {
  const o = startOrder();
  o.send(submit());
  for (const r of before) o.send({ ...r, type: "ExecutionReport", nowUs: r.tsInit });
  for (const a of actions) {
    const r =
      a.kind === "APPLY_EXECUTION" || a.kind === "CLOSED_AT_VENUE" ? a.report : a.kind === "RESOLVE_IN_FLIGHT" ? a.report : undefined;
    if (r) o.send({ ...r, type: "ExecutionReport", nowUs: NOW + 1000 });
  }
  return o;
}

t.test("dropped after submit before ack: the venue has the order, so it resolves as accepted", async (t) => {
  const rec = reconcile({ lastVenueSeq: 0, orders: [local("IN_FLIGHT")] }, { openOrders: [openAtVenue()], executions: [] }, NOW);
  t.same(kinds(rec.actions), ["RESOLVE_IN_FLIGHT"]);
  t.match(rec.actions[0], { outcome: "ACCEPTED", report: { execType: "NEW", venueOrderId: "v1", execId: "recon:c1:new:0" } });
  const o = applyToOrder(rec.actions);
  t.equal(o.status(), "NEW");
  t.equal(o.order()!.venueOrderId, "v1");
});

t.test("dropped after submit before ack: the venue never got the order, so it resolves as rejected", async (t) => {
  const rec = reconcile({ lastVenueSeq: 3, orders: [local("IN_FLIGHT")] }, { openOrders: [], executions: [] }, NOW);
  t.match(rec.actions, [{ kind: "RESOLVE_IN_FLIGHT", outcome: "REJECTED", report: { execType: "REJECTED" } }]);
  t.equal(applyToOrder(rec.actions).status(), "REJECTED");
});

t.test("dropped after submit: the venue acked and filled it completely, so the fills resolve it without a synthetic ack", async (t) => {
  const executions = [exec("NEW", 1), fillExec(2, 4, 4), fillExec(3, 6, 10)];
  const rec = reconcile({ lastVenueSeq: 0, orders: [local("IN_FLIGHT")] }, { openOrders: [], executions }, NOW);
  t.same(kinds(rec.actions), ["APPLY_EXECUTION", "APPLY_EXECUTION", "APPLY_EXECUTION", "RESOLVE_IN_FLIGHT"]);
  t.notOk((rec.actions[3] as { report?: unknown }).report, "no synthetic report");
  t.equal(rec.lastVenueSeq, 3);
  const o = applyToOrder(rec.actions);
  t.equal(o.status(), "FILLED");
  t.equal(o.order()!.cumQty, q(10));
});

t.test("dropped after a partial fill: the missing fill is applied once, the known one is skipped, repeats are ignored", async (t) => {
  const seen = [exec("NEW", 1), fillExec(2, 3, 3)];
  const executions = [fillExec(2, 3, 3), fillExec(4, 2, 5), fillExec(4, 2, 5)];
  const rec = reconcile(
    { lastVenueSeq: 2, orders: [local("OPEN", { venueOrderId: "v1", execIds: ["e2"] })] },
    { openOrders: [openAtVenue({ cumQty: q(5), leavesQty: q(5) })], executions },
    NOW,
  );
  t.same(kinds(rec.actions), ["APPLY_EXECUTION"]);
  t.match(rec.actions[0], { report: { execId: "e4" } });
  t.equal(rec.lastVenueSeq, 4);
  const o = applyToOrder(rec.actions, seen);
  t.equal(o.order()!.cumQty, q(5), "3 + 2, each counted once");
  t.same(o.order()!.execIds, ["e2", "e4"]);
  // the order actor is idempotent too: replaying the whole venue history changes nothing
  for (const r of executions) o.send({ ...r, type: "ExecutionReport", nowUs: NOW + 2000 });
  t.equal(o.order()!.cumQty, q(5));
});

t.test("dropped during cancel: the venue canceled it, so the cancel and the last fill before it apply", async (t) => {
  const before = [exec("NEW", 1)];
  const executions = [fillExec(2, 1, 1), exec("CANCELED", 3, { cumQty: q(1), leavesQty: asQuantity(0) })];
  const rec = reconcile(
    { lastVenueSeq: 1, orders: [local("PENDING_CANCEL", { venueOrderId: "v1" })] },
    { openOrders: [], executions },
    NOW,
  );
  t.same(kinds(rec.actions), ["APPLY_EXECUTION", "APPLY_EXECUTION"]);
  const o = startOrder();
  o.send(submit());
  for (const r of before) o.send({ ...r, type: "ExecutionReport", nowUs: NOW });
  o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: NOW, tsInit: NOW, nowUs: NOW + 1 });
  for (const a of rec.actions) if (a.kind === "APPLY_EXECUTION") o.send({ ...a.report, type: "ExecutionReport", nowUs: NOW + 5 });
  t.equal(o.status(), "CANCELED");
  t.equal(o.order()!.cumQty, q(1));
  t.equal(domainEvents(o.out).filter((e) => e.type === "OrderFilled").length, 1);
});

t.test("dropped during cancel: the venue never got the cancel, so it is re-sent", async (t) => {
  const rec = reconcile(
    { lastVenueSeq: 1, orders: [local("PENDING_CANCEL", { venueOrderId: "v1" })] },
    { openOrders: [openAtVenue()], executions: [] },
    NOW,
  );
  t.same(rec.actions, [{ kind: "RESEND_CANCEL", clientOrderId: "c1" }]);
});

t.test("dropped during cancel: the order is gone at the venue with no execution, so it is closed as canceled", async (t) => {
  const rec = reconcile(
    { lastVenueSeq: 1, orders: [local("PENDING_CANCEL", { venueOrderId: "v1" })] },
    { openOrders: [], executions: [] },
    NOW,
  );
  t.match(rec.actions, [{ kind: "CLOSED_AT_VENUE", report: { execType: "CANCELED", execId: "recon:c1:closed:1" } }]);
});

t.test("an order open at the venue that was never sent from here is reported as unknown", async (t) => {
  const rec = reconcile(
    { lastVenueSeq: 0, orders: [] },
    { openOrders: [openAtVenue({ clientOrderId: "manual-1", venueOrderId: "v77" })], executions: [] },
    NOW,
  );
  t.match(rec.actions, [{ kind: "UNKNOWN_VENUE_ORDER", order: { clientOrderId: "manual-1", venueOrderId: "v77" } }]);
});

t.test("reconciling twice with the same venue view gives the same actions (deterministic synthetic ids)", async (t) => {
  const view = { openOrders: [openAtVenue()], executions: [fillExec(5, 1, 1)] };
  const lv = { lastVenueSeq: 4, orders: [local("IN_FLIGHT")] };
  t.same(reconcile(lv, view, NOW), reconcile(lv, view, NOW));
});

t.test("every fill the venue reports is applied exactly once, however history is split and repeated", async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 6 }),
      fc.array(fc.nat(20), { maxLength: 8 }),
      (sizes, knownCount, repeats) => {
        let cum = 0;
        const all = sizes.map((s, i) => {
          cum += s;
          return fillExec(i + 2, s, cum);
        });
        const known = all.slice(0, Math.min(knownCount, all.length));
        const venueHistory = [...all, ...repeats.map((r) => all[r % all.length]!)];
        const rec = reconcile(
          { lastVenueSeq: 1, orders: [local("OPEN", { venueOrderId: "v1", quantity: q(30), execIds: known.map((k) => k.execId) })] },
          { openOrders: [openAtVenue({ quantity: q(30) })], executions: venueHistory },
          NOW,
        );
        const applied = rec.actions.flatMap((a) => (a.kind === "APPLY_EXECUTION" ? [a.report.execId] : []));
        t.same(new Set([...known.map((k) => k.execId), ...applied]).size, all.length);
        t.equal(applied.length + known.length, all.length, "no fill twice, none lost");
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});
