import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { parseFixed } from "../actors/domain/index.ts";
import { loadProtos, mintToken } from "../gateway/index.ts";
import { call } from "../gateway/testing.ts";
import { freePort } from "../infra/local/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/** AM_VENUE_COSTS on the running platform: the simulated venue charges its taker fee, after its latency. */

const secret = "venue-costs-test-secret-of-32-bytes-long";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
type Msg = Record<string, unknown>;
const POLL = { timeoutMs: 30_000, everyMs: 200 };

t.test("a taker fee configured for the venue shows in the platform's fills", async (t) => {
  const f = await startTestServers(t);
  const gatewayPort = await freePort();
  const node = startNodeProcess(t, "venue-costs-node", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "5",
    AM_CELLS: "1",
    AM_GATEWAY_PORT: String(gatewayPort),
    AM_GATEWAY_JWT_SECRET: secret,
    AM_VENUE_COSTS: JSON.stringify({ SIMX: { takerFeeBps: 2.5, latencyUs: 3_000 } }),
  });
  await node.waitFor(/node up/, 60_000);
  const protos = loadProtos();
  const address = `127.0.0.1:${gatewayPort}`;
  const trading = new (protos.client("Trading"))(address, grpc.credentials.createInsecure());
  const market = new (protos.client("MarketData"))(address, grpc.credentials.createInsecure());
  t.teardown(() => {
    trading.close();
    market.close();
  });
  const meta = async (role: "trader" | "viewer") => {
    const m = new grpc.Metadata();
    m.set("authorization", `Bearer ${await mintToken(secret, { subject: `${role}-1`, role, ttlS: 600 })}`);
    return m;
  };
  const [trader, viewer] = await Promise.all([meta("trader"), meta("viewer")]);
  // an order before the venue's logon is refused VENUE_NOT_READY
  await eventually("the venue connection ready", () => venueReady(f.nc, "SIMX"), POLL);
  const touch = await eventually(
    "a quote of the instrument",
    async () => {
      const b = await call<{ asks: Msg[] }>(market, "GetBook", { instrument: MINE, depth: 1 }, viewer);
      return b.asks.length ? b : undefined;
    },
    POLL,
  );
  const id = `costs.${Date.now()}`;
  const fills: Msg[] = [];
  const sub = f.nc.subscribe(subjects.evt("order", id, "OrderFilled"), {
    callback: (_e, m) => void fills.push(decodeMessage(m.data, m.headers, true).message),
  });
  t.teardown(() => sub.unsubscribe());
  // far above the ask: marketable whatever the demo market does meanwhile
  const price = ((parseFixed(String(touch.asks[0]!.price)) * 2) / 1e8).toFixed(2);
  await eventually(
    "the order accepted (the venue logged on)",
    async () => {
      await call(
        trading,
        "SubmitOrder",
        {
          clientOrderId: id,
          instrument: MINE,
          side: "SIDE_BUY",
          orderType: "ORDER_TYPE_LIMIT",
          quantity: "2",
          price,
          timeInForce: "TIME_IN_FORCE_IOC",
          strategy: "costs",
          book: "demo",
        },
        trader,
      );
      return true;
    },
    POLL,
  );
  const fill = await eventually("the fill", async () => fills[0], POLL);
  const notional = (BigInt(fill.lastPx as number) * BigInt(fill.lastQty as number)) / 100_000_000n;
  // 2.5 bps of the notional, rounded up to a unit (1e-8)
  const expected = (notional * 25n + 99_999n) / 100_000n;
  t.ok(BigInt(fill.fee as number) > 0n, `a fee is charged (${String(fill.fee)})`);
  t.ok(
    BigInt(fill.fee as number) >= expected - 1n && BigInt(fill.fee as number) <= expected + 1n,
    `fee ${String(fill.fee)} is 2.5 bps of ${notional} (${expected})`,
  );
});
