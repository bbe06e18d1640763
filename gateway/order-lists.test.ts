import { status } from "@grpc/grpc-js";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { call, failure, startHarness } from "./testing.ts";

const leg = (over: Record<string, unknown> = {}) => ({
  instrument: "AAPL.XNAS",
  side: "SIDE_BUY",
  orderType: "ORDER_TYPE_LIMIT",
  quantity: "2",
  price: "100",
  timeInForce: "TIME_IN_FORCE_GTC",
  ...over,
});
const list = (over: Record<string, unknown> = {}) => ({
  listId: "br-1",
  contingency: "CONTINGENCY_BRACKET",
  orders: [leg()],
  takeProfitPrice: "110",
  stopLossPrice: "90",
  strategy: "desk",
  book: "main",
  ...over,
});

t.test("order lists over gRPC: mapped to the list entity in fixed-point units, bad fields named", async (t) => {
  const h = await startHarness(t);
  const trading = h.client("Trading");
  const trader = h.meta(await h.token("trader"));
  const viewer = h.meta(await h.token("viewer"));
  const seen: Record<string, unknown>[] = [];
  const view = {
    listId: "br-1",
    status: "working",
    contingency: "BRACKET",
    outcome: null,
    cancelRequested: false,
    legs: [
      {
        leg: 0,
        role: "ENTRY",
        clientOrderId: "list.br-1.0",
        instrument: "AAPL.XNAS",
        side: "BUY",
        orderType: "LIMIT",
        quantity: 200_000_000,
        cumQty: 0,
        sent: true,
        closed: false,
        outcome: null,
      },
    ],
  };
  h.respond(subjects.cmd("order-list", "never"), () => ({ ok: true, result: { listId: "never", status: "idle", legs: [] } }));
  h.respond(subjects.cmd("order-list", "br-1"), (m) => {
    seen.push(m);
    return { ok: true, result: view };
  });

  await t.test("a bracket reaches am.cmd.order-list.<listId> as SubmitOrderList with its entry", async (t) => {
    const r = await call(trading, "SubmitOrderList", list(), trader);
    t.match(r, {
      listId: "br-1",
      contingency: "CONTINGENCY_BRACKET",
      status: "WORKING",
      legs: [{ role: "ENTRY", clientOrderId: "list.br-1.0", side: "SIDE_BUY", quantity: "2", cumQty: "0", sent: true }],
    });
    t.match(seen.at(-1), {
      type: "SubmitOrderList",
      contingency: "BRACKET",
      entry: { side: "BUY", orderType: "LIMIT", quantity: 200_000_000, price: 10_000_000_000 },
      takeProfitPrice: 11_000_000_000,
      stopLossPrice: 9_000_000_000,
      book: "main",
    });
  });

  await t.test("an OTO's first order is the primary, the rest its secondaries", async (t) => {
    await call(
      trading,
      "SubmitOrderList",
      list({
        contingency: "CONTINGENCY_OTO",
        orders: [leg(), leg({ side: "SIDE_SELL" })],
        takeProfitPrice: "",
        stopLossPrice: "",
        triggerOnPartial: true,
      }),
      trader,
    );
    t.match(seen.at(-1), { contingency: "OTO", primary: { side: "BUY" }, secondaries: [{ side: "SELL" }], triggerOnPartial: true });
  });

  await t.test("GetOrderList and CancelOrderList answer the list's view", async (t) => {
    t.match(await call(trading, "GetOrderList", { listId: "br-1" }, viewer), { listId: "br-1", legs: [{ leg: 0 }] });
    await call(trading, "CancelOrderList", { listId: "br-1", reason: "desk" }, trader);
    t.match(seen.slice(-2), [{ type: "CancelOrderList", reason: "desk" }, { type: "GetOrderList" }]);
    const missing = await failure(call(trading, "GetOrderList", { listId: "never" }, viewer));
    t.equal(missing.code, status.NOT_FOUND);
    t.match(missing.details, /^list_id: no order list never/);
    const e = await failure(call(trading, "CancelOrderList", { listId: "br-1" }, viewer));
    t.equal(e.code, status.PERMISSION_DENIED, "a viewer cannot cancel");
  });

  await t.test("each bad field is INVALID_ARGUMENT naming it as the proto does, and nothing is sent", async (t) => {
    const before = seen.length;
    const bad = async (over: Record<string, unknown>, field: RegExp) => {
      const e = await failure(call(trading, "SubmitOrderList", list(over), trader));
      t.equal(e.code, status.INVALID_ARGUMENT);
      t.match(e.details, field);
    };
    await bad({ listId: "a.b" }, /^list_id: /);
    await bad({ contingency: "CONTINGENCY_UNSPECIFIED" }, /^contingency: /);
    await bad({ orders: [leg({ stopPrice: "5" })] }, /^orders\.0\.stop_price: not allowed for LIMIT/);
    await bad({ orders: [leg(), leg()] }, /^orders: BRACKET takes exactly one order/);
    await bad({ stopLossPrice: "" }, /^stop_loss_price: required/);
    await bad({ takeProfitPrice: "80" }, /^take_profit_price: must be above stopLossPrice/);
    await bad(
      { contingency: "CONTINGENCY_OTO", orders: [leg(), leg({ price: "" })], takeProfitPrice: "", stopLossPrice: "" },
      /^orders\.1\.price: required for LIMIT/,
    );
    await bad({ contingency: "CONTINGENCY_OCO", orders: [leg(), leg()] }, /^take_profit_price: only for CONTINGENCY_BRACKET/);
    await bad({ contingency: "CONTINGENCY_OCO", orders: [leg()], takeProfitPrice: "", stopLossPrice: "" }, /^orders: /);
    await bad({ orders: [leg({ quantity: "-1" })] }, /^orders\.0\.quantity: -1 is negative/);
    t.equal(seen.length, before, "no request reached the list entity");
  });
});
