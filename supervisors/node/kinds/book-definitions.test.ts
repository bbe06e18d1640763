import t from "tap";
import { Kvm } from "@nats-io/kv";
import { Reply, subjects } from "../../../actors/contract/index.ts";
import { fromNumber, priceOf, quantityOf } from "../../../actors/domain/index.ts";
import { instrumentCatalogue } from "../../../actors/instrument/index.ts";
import { type BookConfig, riskBookKind } from "../../../actors/risk-book/index.ts";
import { decodeAs, encodeMessage } from "../../../infra/nats/codec.ts";
import { buckets } from "../../../infra/nats/resources.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { eventually, startTestServers } from "../../../test/testing.ts";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../../infra/local/index.ts";
import { ActorNode } from "../actor-node.ts";
import { admin, seedDemoInstruments } from "../testing.ts";
import { bookDefinitions, bookDeployable, parseBookDefinition } from "./book-definitions.ts";
import { followConfigKeySpaces } from "./deployments.ts";
import { startTestTree } from "../../runtime/testing/tree.ts";

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
  const { space, view: defined } = bookDefinitions(books, { log, builtIn: (id) => id === "demo" });
  const watch = await followConfigKeySpaces(f.nc, { owner: "test", log }, [space]);
  t.teardown(() => watch.stop());
  await kv.put("books.alpha", deployable.prepare("alpha", definition(5)));
  await kv.put("books.beta", deployable.prepare("beta", definition(20)));
  await eventually("both definitions seen", () => books.has("alpha") && books.has("beta"));
  t.same(defined.marked("beta"), [first, second], "a defined book marks with its own instruments");

  const tree = await startTestTree(t, f, [riskBookKind({ books, marked: defined.marked })]);
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

t.test("a book defined over the admin API starts with its strategies on a node; a bad one is refused and stores nothing", async (t) => {
  process.env.AM_DEMO_INSTRUMENTS = "3";
  const f = await startTestServers(t);
  await seedDemoInstruments(f.nc, 3);
  const node = new ActorNode({
    nc: f.nc,
    natsUrl: f.infra.natsUrl,
    node: "n1",
    kindsModule: pathToFileURL(`${repoRoot}supervisors/node/kinds.ts`).href,
    cells: 1,
    hangBudgetMs: 5_000,
    log: createLogger({ level: "error" }),
    logLevel: "error",
  });
  await node.start();
  t.teardown(() => node.stop());
  const kv = await new Kvm(f.nc).open(buckets.config);
  const define = (config: Record<string, unknown>) =>
    admin(f.nc, "deploy", { type: "AdminDeployRequest", kind: "risk-book", id: "alpha", config }, 30_000);
  const strategies = { "mm-a": { strategy: "market-maker", instruments: [{ id: "SIM001.SIMX" }], autoStart: false } };

  const refused = await define(definition(5, { strategies, limits: { maxPosition: "many" } }));
  t.match(refused, { ok: false, error: { code: "invalid", message: /^config\.limits\.maxPosition: / } }, "refused naming the field");
  t.equal(await kv.get("books.alpha"), null, "nothing stored");

  t.match(await define(definition(5, { strategies })), {
    ok: true,
    result: { deployed: "risk-book/alpha", key: "books.alpha", created: true },
  });
  const running = (kind: string, id: string) =>
    eventually(
      `${kind}/${id} running`,
      async () =>
        (
          (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.result as {
            status?: string;
          }
        )?.status === "running",
      { timeoutMs: 20_000 },
    );
  await running("risk-book", "alpha");
  await running("strategy", "mm-a");
  t.pass("the book and its strategy run");
});
