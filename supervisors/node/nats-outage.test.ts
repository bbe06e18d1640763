import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { fromNumber, parseFixed } from "../../actors/domain/index.ts";
import { loadProtos, mintToken } from "../../gateway/index.ts";
import { call } from "../../gateway/testing.ts";
import { freePort } from "../../infra/local/index.ts";
import { eventually, restartNatsServer, startTestServers } from "../../test/testing.ts";
import { startNodeProcess } from "./testing.ts";

const secret = "nats-outage-test-secret-of-32-bytes-or-more";
const MINE = "SIM004.SIMX"; // traded by no demo strategy
const POLL = { timeoutMs: 30_000, everyMs: 250 };

type Msg = Record<string, unknown>;

t.test(
  "nats-server killed with -9 under a node on an external server: the node logs the loss, is NOT_SERVING, and trades again once the server is back",
  async (t) => {
    const f = await startTestServers(t, { declare: false });
    const gatewayPort = await freePort();
    const node = startNodeProcess(t, "outage-node", {
      AM_NATS_URL: f.infra.natsUrl,
      AM_DEMO_INSTRUMENTS: "5",
      AM_CELLS: "1",
      AM_GATEWAY_PORT: String(gatewayPort),
      AM_GATEWAY_JWT_SECRET: secret,
      // what is tested is the outage: a cell slowed by a loaded test machine is not to be ended as hung meanwhile
      AM_HANG_BUDGET_MS: "5000",
    });
    await node.waitFor(/node up/, 180_000);
    const protos = loadProtos();
    const address = `127.0.0.1:${gatewayPort}`;
    const Health = protos.client("Health");
    const health = new Health(address, grpc.credentials.createInsecure());
    const trading = new (protos.client("Trading"))(address, grpc.credentials.createInsecure());
    const market = new (protos.client("MarketData"))(address, grpc.credentials.createInsecure());
    t.teardown(() => {
      for (const c of [health, trading, market]) c.close();
    });
    const trader = new grpc.Metadata();
    trader.set("authorization", `Bearer ${await mintToken(secret, { subject: "tess-trader", role: "trader", ttlS: 600 })}`);
    const status = async () => (await call<{ status: string }>(health, "Check", { service: "" }, new grpc.Metadata(), 1_000)).status;

    /** A marketable IOC order through the gateway; resolves once it is filled. */
    const trade = async (id: string): Promise<Msg> => {
      const touch = await call<{ asks: Msg[] }>(market, "GetBook", { instrument: MINE, depth: 1 }, trader);
      const price = ((parseFixed(String(touch.asks[0]!.price)) + fromNumber(1)) / 1e8).toFixed(8);
      const order = {
        clientOrderId: id,
        instrument: MINE,
        side: "SIDE_BUY",
        orderType: "ORDER_TYPE_LIMIT",
        quantity: "1",
        price,
        timeInForce: "TIME_IN_FORCE_IOC",
        strategy: "outage-test",
        book: "demo",
      };
      await call(trading, "SubmitOrder", order, trader);
      return eventually(
        `${id} filled`,
        async () => {
          const o = await call<Msg>(trading, "GetOrder", { clientOrderId: id }, trader);
          return o.status === "FILLED" ? o : undefined;
        },
        POLL,
      );
    };

    await eventually(
      "the exchange quoting",
      async () => (await call<{ asks: Msg[] }>(market, "GetBook", { instrument: MINE, depth: 1 }, trader)).asks.length > 0,
      POLL,
    );
    await eventually("an order trades before the outage", () => trade(`outage.before.${Date.now()}`).catch(() => undefined), {
      timeoutMs: 60_000,
      everyMs: 500,
    });
    t.equal(await status(), "SERVING");

    const [natsPid] = f.infra.pids;
    process.kill(natsPid!, "SIGKILL");
    await node.waitFor(/NATS connection lost/, 5_000);
    await eventually("gRPC health NOT_SERVING", async () => (await status()) === "NOT_SERVING", { timeoutMs: 5_000, everyMs: 100 });

    // The same server again: same port, same JetStream store (a supervisor or an operator restarting it).
    await restartNatsServer(t, f.infra);
    const restartedAt = Date.now();
    const line = await node.waitFor(/NATS connection back/, 10_000);
    t.match(JSON.parse(line), { server: f.infra.natsUrl }, "the return names the server");
    await eventually("gRPC health SERVING", async () => (await status()) === "SERVING", { timeoutMs: 5_000, everyMs: 100 });
    const filled = await eventually(
      "an order trades after the server is back",
      () => trade(`outage.after.${Date.now()}`).catch(() => undefined),
      { timeoutMs: 45_000, everyMs: 500 },
    );
    t.equal(filled.cumQty, "1");
    t.comment(`trading again ${Date.now() - restartedAt} ms after the server restarted`);
    t.notOk(
      node.output.some((l) => /node (failed|stopping)/.test(l)),
      "the node stayed up through the outage",
    );
  },
);
