import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { parseFixed } from "../actors/domain/index.ts";
import { loadProtos, mintToken, type Role } from "../gateway/index.ts";
import { call, failure } from "../gateway/testing.ts";
import { freePort } from "../infra/local/index.ts";
import { startTestServers } from "./testing.ts";
import { startNodeProcess } from "../supervisors/node/testing.ts";
import { errorMessage } from "../actors/contract/index.ts";

/**
 * SubmitOrder through the gateway on the running platform (no QuestDB): "accepted" means the order entity has
 * journaled the order, and a clientOrderId reused with other terms is refused with ALREADY_EXISTS and the reason.
 */

const secret = "order-admission-test-secret-of-32-bytes";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
type Msg = Record<string, unknown>;

async function poll<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = ` (last error: ${errorMessage(e)})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test("an accepted order is there at once, and a reused clientOrderId with other terms is ALREADY_EXISTS", async (t) => {
  const f = await startTestServers(t);
  const gatewayPort = await freePort();
  const node = startNodeProcess(t, "admission-node", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "5",
    AM_CELLS: "2",
    AM_GATEWAY_PORT: String(gatewayPort),
    AM_GATEWAY_JWT_SECRET: secret,
  });
  await node.waitFor(/node up/, 60_000);
  const protos = loadProtos();
  const address = `127.0.0.1:${gatewayPort}`;
  const trading = new (protos.client("Trading"))(address, grpc.credentials.createInsecure());
  const market = new (protos.client("MarketData"))(address, grpc.credentials.createInsecure());
  const adminApi = new (protos.client("Admin"))(address, grpc.credentials.createInsecure());
  t.teardown(() => {
    for (const c of [trading, market, adminApi]) c.close();
  });
  const meta = async (role: Role) => {
    const m = new grpc.Metadata();
    m.set("authorization", `Bearer ${await mintToken(secret, { subject: `${role}-1`, role, ttlS: 600 })}`);
    return m;
  };
  const [trader, viewer, operator] = await Promise.all([meta("trader"), meta("viewer"), meta("operator")]);
  await poll(
    async () => (await call<Msg>(adminApi, "GetActorStatus", { kind: "venue", id: "SIMX" }, operator)).status === "running",
    "the venue connection",
  );
  const touch = await poll(async () => {
    const b = await call<{ bids: Msg[] }>(market, "GetBook", { instrument: MINE, depth: 1 }, viewer);
    return b.bids.length ? b : undefined;
  }, "a quote of the instrument");
  const far = String(Math.max(1, Math.floor((parseFixed(String(touch.bids[0]!.price)) * 0.5) / 1e8)));
  const order = {
    instrument: MINE,
    side: "SIDE_BUY",
    orderType: "ORDER_TYPE_LIMIT",
    quantity: "2",
    price: far,
    timeInForce: "TIME_IN_FORCE_GTC",
    strategy: "admission",
    book: "demo",
  };

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
  await poll(async () => (await call<Msg>(trading, "GetOrder", { clientOrderId: closed }, viewer)).status === "CANCELED", "the cancel");
  const afterClose = await failure(
    call(trading, "SubmitOrder", { ...order, clientOrderId: closed, price: String(Number(far) + 1) }, trader),
  );
  t.equal(afterClose.code, grpc.status.ALREADY_EXISTS, "a closed order's id with another price");
  t.match(afterClose.details, /price/, "the refusal names the field");
  const still = await call<Msg>(trading, "GetOrder", { clientOrderId: closed }, viewer);
  t.equal(still.status, "CANCELED", "the closed order is unchanged");
  t.equal(still.price, far);
});
