import { status } from "@grpc/grpc-js";
import t from "tap";
import { encodeMessage } from "../infra/nats/index.ts";
import { subjects } from "../actors/contract/index.ts";
import { mintToken } from "./auth.ts";
import { call, failure, openStream, secret, startHarness } from "./testing.ts";

const order = {
  clientOrderId: "c-1",
  instrument: "AAPL.XNAS",
  side: "SIDE_BUY",
  orderType: "ORDER_TYPE_LIMIT",
  quantity: "10",
  price: "123.45",
  timeInForce: "TIME_IN_FORCE_DAY",
  strategy: "trend-1",
  book: "main",
};

t.test("Trading over a real nats-server", async (t) => {
  const h = await startHarness(t, { rateLimit: { ratePerSecond: 1, burst: 3 } });
  const trading = h.client("Trading");
  const trader = h.meta(await h.token("trader"));
  const seen: Record<string, unknown>[] = [];
  h.respond(subjects.cmd("risk-book", "main"), (m) => {
    seen.push(m);
    return m.price === 999_00000000
      ? { ok: false, error: { code: "MAX_ORDER_NOTIONAL", message: "notional 9990 over 5000" } }
      : { ok: true };
  });
  h.respond(subjects.cmd("risk-book", "slow"), () => undefined);

  await t.test("a submitted order reaches the risk book as SubmitOrder in fixed-point units", async (t) => {
    const res = await call(trading, "SubmitOrder", order, trader);
    t.same(res, { clientOrderId: "c-1", accepted: true });
    const m = seen.at(-1)!;
    t.equal(m.type, "SubmitOrder");
    t.equal(m.orderType, "LIMIT");
    t.equal(m.side, "BUY");
    t.equal(m.price, 12_345_000_000);
    t.equal(m.quantity, 1_000_000_000);
    t.equal(m.book, "main");
  });

  await t.test("a risk denial is FAILED_PRECONDITION with the book's code and message", async (t) => {
    const e = await failure(call(trading, "SubmitOrder", { ...order, clientOrderId: "c-2", price: "999" }, trader));
    t.equal(e.code, status.FAILED_PRECONDITION);
    t.match(e.details, /MAX_ORDER_NOTIONAL: notional 9990 over 5000/);
  });

  const h2 = await startHarness(t);
  const trading2 = h2.client("Trading");
  const trader2 = h2.meta(await h2.token("trader"));

  await t.test("each auth failure has its own status and reason", async (t) => {
    const none = await failure(call(trading2, "SubmitOrder", order, new (await import("@grpc/grpc-js")).Metadata()));
    t.equal(none.code, status.UNAUTHENTICATED);
    t.match(none.details, /missing authorization/);
    const bad = await failure(
      call(
        trading2,
        "SubmitOrder",
        order,
        h2.meta(await mintToken("another-secret-of-at-least-32-bytes!!", { subject: "eve", role: "admin", ttlS: 60 })),
      ),
    );
    t.equal(bad.code, status.UNAUTHENTICATED);
    t.match(bad.details, /signature/);
    const expired = await failure(
      call(
        trading2,
        "SubmitOrder",
        order,
        h2.meta(await mintToken(secret, { subject: "bob", role: "trader", ttlS: 60, nowS: Math.floor(Date.now() / 1000) - 3600 })),
      ),
    );
    t.equal(expired.code, status.UNAUTHENTICATED);
    t.match(expired.details, /expired/);
    const wrongAudience = await failure(
      call(
        trading2,
        "SubmitOrder",
        order,
        h2.meta(await mintToken(secret, { subject: "bob", role: "trader", ttlS: 60, audience: "other" })),
      ),
    );
    t.equal(wrongAudience.code, status.UNAUTHENTICATED);
    t.match(wrongAudience.details, /aud/);
    const viewer = await failure(call(trading2, "SubmitOrder", order, h2.meta(await h2.token("viewer", "vera"))));
    t.equal(viewer.code, status.PERMISSION_DENIED);
    t.match(viewer.details, /needs role trader or higher; vera has viewer/);
  });

  await t.test("validation errors name the proto field", async (t) => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...order, quantity: "1.123456789" }, /^quantity: .*more than 8 decimals/],
      [{ ...order, quantity: "" }, /^quantity: required/],
      [{ ...order, price: "" }, /^price: required for LIMIT/],
      [{ ...order, side: "SIDE_UNSPECIFIED" }, /^side: must be one of SIDE_BUY, SIDE_SELL/],
      [{ ...order, instrument: "AAPL" }, /^instrument: must be SYMBOL.VENUE/],
      [{ ...order, clientOrderId: "bad id!" }, /^client_order_id: /],
      [{ ...order, orderType: "ORDER_TYPE_MARKET" }, /^price: not allowed for MARKET/],
      [{ ...order, timeInForce: "TIME_IN_FORCE_GTD" }, /^expire_at_us: required for GTD/],
      [{ ...order, book: "a.b>" }, /^book: /],
    ];
    for (const [req, re] of cases) {
      const e = await failure(call(trading2, "SubmitOrder", req, trader2));
      t.equal(e.code, status.INVALID_ARGUMENT, String(re));
      t.match(e.details, re);
    }
  });

  await t.test("an order for a book without a running risk book is UNAVAILABLE naming the subject", async (t) => {
    const e = await failure(call(trading2, "SubmitOrder", { ...order, book: "nobody" }, trader2));
    t.equal(e.code, status.UNAVAILABLE);
    t.match(e.details, /am\.cmd\.risk-book\.nobody.*no responders/);
  });

  await t.test("an actor that does not answer within the deadline is DEADLINE_EXCEEDED", async (t) => {
    const e = await failure(call(trading, "SubmitOrder", { ...order, book: "slow" }, trader, 300));
    t.equal(e.code, status.DEADLINE_EXCEEDED);
  });

  await t.test("a principal past its burst is RESOURCE_EXHAUSTED with the retry delay", async (t) => {
    const carol = h.meta(await h.token("viewer", "carol"));
    for (let i = 0; i < 3; i++) await call(trading, "ListOrders", {}, carol);
    const e = await failure(call(trading, "ListOrders", {}, carol));
    t.equal(e.code, status.RESOURCE_EXHAUSTED);
    t.match(e.details, /rate limit of 1 requests\/s \(burst 3\) exceeded for carol; retry in \d+ ms/);
    t.ok(e.metadata.get("grpc-retry-pushback-ms")[0]);
    // another principal is not affected
    await call(trading, "ListOrders", {}, h.meta(await h.token("viewer", "dave")));
  });

  await t.test("cancel goes to the order actor, replace to its risk book; GetOrder maps the actor's answer", async (t) => {
    const got: Record<string, unknown>[] = [];
    h2.respond(subjects.cmd("order", "o-9"), (m) => {
      if (m.type !== "GetOrder") got.push(m);
      return m.type === "GetOrder"
        ? { ok: true, result: { status: "accepted", quantity: 5_00000000, price: 10_50000000, cumQty: 0, book: "main" } }
        : { ok: true };
    });
    h2.respond(subjects.cmd("risk-book", "main"), (m) => {
      got.push(m);
      return { ok: true };
    });
    await call(trading2, "CancelOrder", { clientOrderId: "o-9" }, trader2);
    await call(trading2, "ReplaceOrder", { clientOrderId: "o-9", price: "10.25" }, trader2);
    t.same(
      got.map((m) => [m.type, m.price]),
      [
        ["CancelOrder", undefined],
        ["ReplaceOrder", 10_25000000],
      ],
    );
    const e = await failure(call(trading2, "ReplaceOrder", { clientOrderId: "o-9" }, trader2));
    t.match(e.details, /^quantity: set at least one of quantity, price, stop_price/);
    const o = await call(trading2, "GetOrder", { clientOrderId: "o-9" }, h2.meta(await h2.token("viewer")));
    t.equal(o.status, "ACCEPTED");
    t.equal(o.quantity, "5");
    t.equal(o.price, "10.5");
  });

  await t.test("execution reports stream filtered by book, and ListOrders shows them", async (t) => {
    const stream = openStream(trading2, "StreamExecutionReports", { book: "main" }, h2.meta(await h2.token("viewer")));
    const received: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve) =>
      stream.on("data", (r: Record<string, unknown>) => {
        received.push(r);
        if (received.length === 2) resolve();
      }),
    );
    stream.on("error", () => {});
    await new Promise((r) => setTimeout(r, 100)); // the server subscribes after auth
    const publish = (id: string, type: string, body: Record<string, unknown>) => {
      const { data, headers } = encodeMessage({ type, clientOrderId: id, tsEvent: 1, tsInit: 1, ...body });
      h2.nc.publish(subjects.evt("order", id, type), data, { headers });
    };
    const submitted = {
      instrument: "AAPL.XNAS",
      side: "BUY",
      orderType: "LIMIT",
      quantity: 10_00000000,
      price: 1_00000000,
      timeInForce: "DAY",
      postOnly: false,
      reduceOnly: false,
      emulatedStop: false,
      emulatedGtd: false,
    };
    publish("x-1", "OrderSubmitted", { ...submitted, strategy: "s", book: "other" });
    publish("m-1", "OrderSubmitted", { ...submitted, strategy: "s", book: "main" });
    publish("x-1", "OrderFilled", {
      execId: "e0",
      side: "BUY",
      lastQty: 1,
      lastPx: 1,
      fee: 0,
      liquidity: "MAKER",
      cumQty: 1,
      leavesQty: 0,
      avgPx: 1,
      venueSeq: 1,
    });
    publish("m-1", "OrderFilled", {
      execId: "e1",
      side: "BUY",
      lastQty: 4_00000000,
      lastPx: 1_00000000,
      fee: -1000,
      liquidity: "MAKER",
      cumQty: 4_00000000,
      leavesQty: 6_00000000,
      avgPx: 1_00000000,
      venueSeq: 2,
    });
    await done;
    stream.cancel();
    t.same(
      received.map((r) => [r.clientOrderId, r.event, r.book]),
      [
        ["m-1", "OrderSubmitted", "main"],
        ["m-1", "OrderFilled", "main"],
      ],
    );
    t.equal(received[1]!.lastQty, "4");
    t.equal(received[1]!.fee, "-0.00001");
    const list = await call<{ orders: Record<string, unknown>[] }>(trading2, "ListOrders", { book: "main" }, trader2);
    t.same(
      list.orders.map((o) => [o.clientOrderId, o.status, o.cumQty]),
      [["m-1", "PARTIALLY_FILLED", "4"]],
    );
  });

  await t.test("a slow execution report client is ended with RESOURCE_EXHAUSTED, the queue stays bounded", async (t) => {
    const stream = openStream(trading2, "StreamExecutionReports", {}, h2.meta(await h2.token("viewer")));
    const ended = new Promise<{ code: number; details: string }>((resolve) => stream.on("error", resolve));
    stream.pause();
    await new Promise((r) => setTimeout(r, 100));
    const blob = "x".repeat(200);
    for (let i = 0; i < 20_000; i++) {
      const { data, headers } = encodeMessage({
        type: "OrderRejected",
        clientOrderId: `r-${i}`,
        reason: "r",
        message: blob,
        tsEvent: 1,
        tsInit: 1,
      });
      h2.nc.publish(subjects.evt("order", `r-${i}`, "OrderRejected"), data, { headers });
      if (i % 2000 === 0) await h2.nc.flush();
    }
    await h2.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    const stats = h2.gateway.streamStats();
    t.ok(
      stats.every((s) => s.maxQueued <= 1024),
      "no stream holds more than its bound",
    );
    stream.on("data", () => {});
    stream.resume();
    const e = await ended;
    t.equal(e.code, status.RESOURCE_EXHAUSTED);
    t.match(e.details, /reads too slowly, 1024 messages queued/);
  });

  await t.test("health reports SERVING for the server and its services", async (t) => {
    const health = h2.client("Health");
    const meta = new (await import("@grpc/grpc-js")).Metadata();
    t.same(await call(health, "Check", { service: "" }, meta), { status: "SERVING" });
    t.same(await call(health, "Check", { service: "alphamind.v1.Trading" }, meta), { status: "SERVING" });
    const e = await failure(call(health, "Check", { service: "nope" }, meta));
    t.equal(e.code, status.NOT_FOUND);
  });

  await t.test("server reflection lists every service", async (t) => {
    const grpc = await import("@grpc/grpc-js");
    const loader = await import("@grpc/proto-loader");
    const def = loader.loadSync("node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto", { keepCase: true });
    const Reflection = (
      grpc.loadPackageDefinition(def) as unknown as {
        grpc: { reflection: { v1: { ServerReflection: import("@grpc/grpc-js").ServiceClientConstructor } } };
      }
    ).grpc.reflection.v1.ServerReflection;
    const client = new Reflection(`127.0.0.1:${h2.gateway.port}`, grpc.credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = (
        client as unknown as {
          ServerReflectionInfo(): import("@grpc/grpc-js").ClientDuplexStream<
            unknown,
            { list_services_response?: { service: { name: string }[] } }
          >;
        }
      ).ServerReflectionInfo();
      stream.on("data", (r) => {
        resolve((r.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ list_services: "*" });
    });
    client.close();
    for (const s of ["Trading", "MarketData", "Portfolio", "Risk", "Strategies", "Admin"]) t.ok(names.includes(`alphamind.v1.${s}`), s);
    t.ok(names.includes("grpc.health.v1.Health"));
  });
});

t.test(
  "GetOrder of an order whose actor is gone answers from order history, and NOT_FOUND naming the id when history has none",
  async (t) => {
    const asked: string[] = [];
    const h = await startHarness(t, {
      history: {
        bars: async () => [],
        latestOrder: async (id) => {
          asked.push(id);
          return id === "gone-1"
            ? {
                clientOrderId: id,
                instrument: "AAPL.XNAS",
                side: "BUY",
                orderType: "LIMIT",
                status: "FILLED",
                quantity: 5_00000000,
                price: 10_00000000,
                cumQty: 5_00000000,
                avgPx: 9_99000000,
                tsEvent: 42,
              }
            : undefined;
        },
      },
    });
    const trading = h.client("Trading");
    const viewer = h.meta(await h.token("viewer"));
    // no order actor listens: the request has no responders, as after the actor retired with no node spawning it
    const o = await call(trading, "GetOrder", { clientOrderId: "gone-1" }, viewer);
    t.match(o, {
      clientOrderId: "gone-1",
      status: "FILLED",
      instrument: "AAPL.XNAS",
      side: "SIDE_BUY",
      quantity: "5",
      cumQty: "5",
      leavesQty: "0",
      avgPx: "9.99",
      updatedAtUs: 42,
    });
    const e = await failure(call(trading, "GetOrder", { clientOrderId: "never-2" }, viewer));
    t.equal(e.code, status.NOT_FOUND);
    t.match(e.details, /order never-2/);
    t.same(asked, ["gone-1", "never-2"]);
  },
);

t.test("GetOrder waits only a bounded time for a silent order actor before asking history", async (t) => {
  const h = await startHarness(t, { history: { bars: async () => [], latestOrder: async () => undefined } });
  h.respond(subjects.cmd("order", "silent-1"), () => undefined);
  const e = await failure(call(h.client("Trading"), "GetOrder", { clientOrderId: "silent-1" }, h.meta(await h.token("viewer")), 10_000));
  t.equal(e.code, status.NOT_FOUND, "not DEADLINE_EXCEEDED: the call's own deadline is far off");
});
