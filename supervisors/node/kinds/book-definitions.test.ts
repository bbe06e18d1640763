import t from "tap";
import { Kvm } from "@nats-io/kv";
import { Reply, subjects, systemClock } from "../../../actors/contract/index.ts";
import { fromNumber, priceOf, quantityOf } from "../../../actors/domain/index.ts";
import { instrumentCatalogue } from "../../../actors/instrument/index.ts";
import { type BookConfig, riskBookKind } from "../../../actors/risk-book/index.ts";
import { decodeAs, encodeMessage } from "../../../infra/nats/codec.ts";
import { buckets } from "../../../infra/nats/resources.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { eventually, startTestServers } from "../../../test/testing.ts";
import { ActorTree } from "../../runtime/actor-tree.ts";
import { bookDeployable, followBookDefinitions, parseBookDefinition } from "./book-definitions.ts";

const catalogue = instrumentCatalogue(3);
const [first, second] = [...catalogue.keys()] as [string, string];
const deployable = bookDeployable((i) => catalogue.get(i), { book: (id) => id === "demo", strategy: (id) => id === "mm-1" });

/** A book of the catalogue's first two instruments, at most `maxQty` per order. */
const definition = (maxQty: number, over: Record<string, unknown> = {}) => ({
  initialCash: "1000000",
  instruments: [{ id: first }, { id: second }],
  limits: { maxOrderQuantity: fromNumber(maxQty) },
  ...over,
});

t.test("a bad book definition is refused with the field it got wrong", async (t) => {
  const refused = (config: Record<string, unknown>, field: string, id = "alpha") =>
    t.throws(() => deployable.prepare(id, config), { code: "invalid", message: new RegExp(`^${field.replace(/\./g, "\\.")}: `) }, field);
  refused(definition(5, { limits: { maxOrderQuantity: -1 } }), "config.limits.maxOrderQuantity");
  refused(definition(5, { initialCash: "lots" }), "config.initialCash");
  refused(definition(5, { colour: "red" }), "config.colour");
  refused(definition(5, { instruments: [{ id: "NOPE.SIMX" }] }), "config.instruments.0.multiplier");
  refused(definition(5, { instruments: [{ id: first }, { id: first }] }), "config.instruments.1.id");
  refused(definition(5, { limits: { instruments: { "NOPE.SIMX": { maxPosition: 1 } } } }), "config.limits.instruments.NOPE.SIMX");
  refused(
    definition(5, { strategies: { s1: { strategy: "market-maker", instruments: [{ id: [...catalogue.keys()][2] }] } } }),
    "config.strategies.s1.instruments.0.id",
  );
  refused(
    definition(5, { strategies: { s1: { strategy: "market-maker", instruments: [{ id: first }], parameters: { quoteSize: -3 } } } }),
    "config.strategies.s1.parameters.quoteSize",
  );
  refused(
    definition(5, { strategies: { s1: { strategy: "market-maker", book: "other", instruments: [{ id: first }] } } }),
    "config.strategies.s1.book",
  );
  refused(definition(5), "id", "bad.id");
  t.throws(() => deployable.prepare("demo", definition(5)), { code: "already-exists" }, "the demo book stays the demo book");
  t.throws(
    () =>
      deployable.prepare("alpha", definition(5, { strategies: { "mm-1": { strategy: "market-maker", instruments: [{ id: first }] } } })),
    { code: "already-exists" },
    "a strategy id that already runs is taken",
  );
});

t.test("a book definition resolves its defaults and lists its strategies to spawn", async (t) => {
  const text = deployable.prepare(
    "alpha",
    definition(5, { strategies: { "mm-a": { strategy: "market-maker", instruments: [{ id: first }] } } }),
  );
  const d = parseBookDefinition("alpha", JSON.parse(text));
  t.equal(d.markSource, "MID");
  t.equal(d.instruments[0]!.multiplier, "1");
  t.equal(d.strategies["mm-a"]!.book, "alpha", "a book's strategy trades on that book");
  t.same(deployable.companions?.("alpha", text), [{ kind: "strategy", id: "mm-a" }]);
  t.equal(deployable.key("alpha"), "books.alpha");
});

t.test("books defined in KV start and approve or deny by their own limits", async (t) => {
  const f = await startTestServers(t);
  const kv = await new Kvm(f.nc).open(buckets.config);
  const log = createLogger({ level: "error" });
  const books = new Map<string, BookConfig>();
  const defined = await followBookDefinitions(f.nc, books, { owner: "test", log });
  t.teardown(() => defined.stop());
  await kv.put("books.alpha", deployable.prepare("alpha", definition(5)));
  await kv.put("books.beta", deployable.prepare("beta", definition(20)));
  await eventually("both definitions seen", () => books.has("alpha") && books.has("beta"));
  t.same(defined.marked("beta"), [first, second], "a defined book marks with its own instruments");

  const tree = new ActorTree([riskBookKind({ books, marked: defined.marked })], {
    nc: f.nc,
    store: f.store,
    clock: systemClock,
    log,
    onLifecycle: () => {},
  });
  await tree.start();
  t.teardown(() => tree.stop());
  await tree.spawn("risk-book", "alpha");
  await tree.spawn("risk-book", "beta");

  let n = 0;
  const check = async (book: string, qty: number) => {
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage({
      type: "CheckOrder",
      clientOrderId: `c${++n}`,
      instrument: first,
      side: "BUY",
      orderType: "LIMIT",
      quantity: quantityOf(qty),
      price: priceOf(10),
      strategy: "s1",
      tsEvent: now,
      tsInit: now,
    });
    const r = await f.nc.request(subjects.cmd("risk-book", book), data, { headers, timeout: 5_000 });
    return decodeAs(Reply, r.data, r.headers);
  };
  t.equal((await check("alpha", 3)).ok, true, "alpha approves within its limit");
  t.match(await check("alpha", 10), { ok: false, error: { code: "MAX_ORDER_QUANTITY" } }, "alpha denies above its limit of 5");
  t.equal((await check("beta", 10)).ok, true, "beta approves the same order by its own limit of 20");

  await kv.delete("books.beta");
  await eventually("a removed definition leaves the hosting map", () => !books.has("beta"));
  t.ok(books.has("alpha"), "the other book stays");
});
