import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { call, failure } from "../gateway/testing.ts";
import { eventually, startTestServers } from "./testing.ts";
import { startGatewayNode } from "../supervisors/node/testing.ts";

/**
 * SubmitOrder through the gateway on the running platform (no QuestDB): "accepted" means the order entity has
 * journaled the order, and a clientOrderId reused with other terms is refused with ALREADY_EXISTS and the reason.
 */

const secret = "order-admission-test-secret-of-32-bytes";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
type Msg = Record<string, unknown>;
/** as the platform polled before: every 200 ms, for 30 s */
const POLL = { timeoutMs: 30_000, everyMs: 200 };

t.test("an accepted order is there at once, and a reused clientOrderId with other terms is ALREADY_EXISTS", async (t) => {
  const f = await startTestServers(t);
  const platform = await startGatewayNode(t, "admission-node", f, secret);
  const trading = platform.client("Trading");
  const _market = platform.client("MarketData");
  const _adminApi = platform.client("Admin");
  const [trader, viewer, _operator] = await Promise.all([platform.as("trader"), platform.as("viewer"), platform.as("operator")]);
  const order = await platform.restingBuy(MINE, "admission", "demo");
  const far = order.price!;

  const ids = Array.from({ length: 10 }, (_, i) => `adm.${Date.now()}.${i}`);
  for (const id of ids) {
    const accepted = await call<Msg>(trading, "SubmitOrder", { ...order, clientOrderId: id }, trader);
    t.equal(accepted.accepted, true);
    const o = await call<Msg>(trading, "GetOrder", { clientOrderId: id }, viewer);
    t.equal(o.clientOrderId, id, `GetOrder finds ${id} right after "accepted" (status ${o.status})`);
  }

  const [open, closed] = ids;
  const same = await call<Msg>(trading, "SubmitOrder", { ...order, clientOrderId: open }, trader);
  t.equal(same.accepted, true, "the same order again is the same answer");
  const reused = await failure(call(trading, "SubmitOrder", { ...order, clientOrderId: open, quantity: "3" }, trader));
  t.equal(reused.code, grpc.status.ALREADY_EXISTS, "an open order's id with another quantity");
  t.match(reused.details, new RegExp(`${open!.replace(/\./g, "\\.")}.*quantity`), "the refusal names the id and the field");

  await call(trading, "CancelOrder", { clientOrderId: closed }, trader);
  await eventually(
    "the cancel",
    async () => (await call<Msg>(trading, "GetOrder", { clientOrderId: closed }, viewer)).status === "CANCELED",
    POLL,
  );
  const afterClose = await failure(
    call(trading, "SubmitOrder", { ...order, clientOrderId: closed, price: String(Number(far) + 1) }, trader),
  );
  t.equal(afterClose.code, grpc.status.ALREADY_EXISTS, "a closed order's id with another price");
  t.match(afterClose.details, /price/, "the refusal names the field");
  const still = await call<Msg>(trading, "GetOrder", { clientOrderId: closed }, viewer);
  t.equal(still.status, "CANCELED", "the closed order is unchanged");
  t.equal(still.price, far);
});
