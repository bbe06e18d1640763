import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import t from "tap";
import { fromNumber } from "../../actors/domain/index.ts";
import { readModelFile } from "../../actors/model/index.ts";
import { riskAnalytics } from "../../actors/risk-book/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { decodeMessage, encodeMessage, encodePayload, type Message } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey } from "../../infra/nats/snapshot-store.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { admin, command } from "../node/admin-client.ts";
import { startTestNode } from "../node/testing.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { signToken } from "./auth.ts";
import { startConsole } from "./server.ts";

/** Debian's Chromium (scripts/setup.sh installs it); CHROMIUM_BIN points elsewhere. */
function findChromium(): string | undefined {
  for (const c of [process.env.CHROMIUM_BIN, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (c && existsSync(c)) return c;
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = findChromium();
const K = "counter-snapshot";
const SECRET = "console-browser-test-secret-32-bytes-at-least";
const artifacts = join(repoRoot, ".tap", "artifacts", "console");

async function openBrowser(t: { teardown(fn: () => unknown): void }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), "am-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executablePath!,
    headless: true,
    viewport: { width: 1680, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.locator("#signin-token").fill(token);
  await page.locator("#signin-submit").click();
  await page.locator("#link-text", { hasText: "live" }).waitFor();
}

const row = (page: Page, id: string) => page.locator(`#tree-body tr[data-kind="${K}"][data-id="${id}"]`);

/** Market data, orders and a risk book for the other panels, so a screenshot shows the page as operators see it. */
function liveMarket(nc: NatsConnection): () => void {
  const pub = (subject: string, m: Message) => {
    const { data, headers } = encodeMessage(m);
    nc.publish(subject, data, { headers });
  };
  const instruments = [
    { symbol: "BTCUSDT", venue: "BINANCE", px: 64_250 },
    { symbol: "ETHUSDT", venue: "BINANCE", px: 3_120.5 },
    { symbol: "AAPL", venue: "XNAS", px: 227.31 },
    { symbol: "BRK.B", venue: "XNYS", px: 468.02 },
  ];
  let seq = 0;
  let rnd = 42;
  const noise = () => {
    rnd = (rnd * 1_103_515_245 + 12_345) % 2 ** 31;
    return rnd / 2 ** 31 - 0.5;
  };
  const tick = setInterval(() => {
    const us = Date.now() * 1000;
    for (const i of instruments) {
      i.px *= 1 + noise() * 0.002;
      const px = Math.round(i.px * 100) / 100;
      pub(subjects.md("quote", i), {
        type: "Quote",
        instrument: `${i.symbol}.${i.venue}`,
        bid: fromNumber(px),
        bidSize: fromNumber(1 + Math.round(Math.abs(noise()) * 40) / 10),
        ask: fromNumber(px + 0.01),
        askSize: fromNumber(2.5),
        seq: ++seq,
        tsEvent: us,
        tsInit: us,
      });
    }
  }, 60);
  const us = Date.now() * 1000;
  const stamp = { tsEvent: us, tsInit: us };
  const orderEvt = (id: string, event: string, m: Record<string, unknown>) =>
    pub(subjects.evt("order", id, event), { type: event, clientOrderId: id, ...m, ...stamp });
  orderEvt("O-1001", "OrderSubmitted", {
    instrument: "BTCUSDT.BINANCE",
    side: "BUY",
    orderType: "LIMIT",
    quantity: fromNumber(0.5),
    price: fromNumber(64_200),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    strategy: "mm-1",
    book: "main",
    emulatedStop: false,
    emulatedGtd: false,
  });
  orderEvt("O-1001", "OrderAccepted", { venueOrderId: "V-77", local: false });
  orderEvt("O-1001", "OrderFilled", {
    execId: "E-1",
    side: "BUY",
    lastQty: fromNumber(0.2),
    lastPx: fromNumber(64_200),
    fee: fromNumber(0.64),
    liquidity: "MAKER",
    cumQty: fromNumber(0.2),
    leavesQty: fromNumber(0.3),
    avgPx: fromNumber(64_200),
    venueSeq: 1,
  });
  orderEvt("O-1002", "OrderSubmitted", {
    instrument: "AAPL.XNAS",
    side: "SELL",
    orderType: "LIMIT",
    quantity: fromNumber(300),
    price: fromNumber(228.1),
    timeInForce: "DAY",
    postOnly: false,
    reduceOnly: false,
    strategy: "mr-2",
    book: "main",
    emulatedStop: false,
    emulatedGtd: false,
  });
  orderEvt("O-1002", "OrderRejected", { reason: "PRICE_COLLAR", message: "limit price 228.10 is outside the 50 bps collar" });
  const riskEvt = (event: string, m: Record<string, unknown>) =>
    pub(subjects.evt("risk-book", "main", event), { type: event, ...m, ...stamp });
  riskEvt("PositionChanged", {
    instrument: "BTCUSDT.BINANCE",
    leg: "NET",
    quantity: fromNumber(0.2),
    avgPrice: fromNumber(64_200),
    cost: 1_284_000_000_000n,
    realisedPnl: 0n,
  });
  riskEvt("LimitWarning", { limit: "MAX_GROSS_EXPOSURE", value: 8_200_000_000_000n, threshold: 8_000_000_000_000n, level: "WARN" });
  // A risk book that answers GetRiskReport, as the real one does.
  const book = nc.subscribe(subjects.cmd("risk-book", "main"), {
    callback: (_e, msg) => {
      const m = decodeMessage(msg.data, msg.headers, false).message;
      const result =
        m.type === "GetRiskReport"
          ? {
              book: "main",
              positions: [
                {
                  instrument: "BTCUSDT.BINANCE",
                  leg: "NET",
                  quantity: fromNumber(0.2),
                  avgPrice: fromNumber(64_200),
                  mark: fromNumber(64_251.5),
                  marketValue: 1_285_030_000_000n,
                  cost: 1_284_000_000_000n,
                  unrealisedPnl: 1_030_000_000n,
                  realisedPnl: 0n,
                  fees: 64_000_000n,
                },
                {
                  instrument: "AAPL.XNAS",
                  leg: "NET",
                  quantity: fromNumber(-150),
                  avgPrice: fromNumber(229.4),
                  mark: fromNumber(227.31),
                  marketValue: -3_409_650_000_000n,
                  cost: -3_441_000_000_000n,
                  unrealisedPnl: 31_350_000_000n,
                  realisedPnl: 12_040_000_000n,
                  fees: 150_000_000n,
                },
              ],
              pnl: {
                cash: 100_000_000_000_000n,
                equity: 100_443_800_000_000n,
                realised: 12_040_000_000n,
                unrealised: 32_380_000_000n,
                fees: 214_000_000n,
                net: 44_206_000_000n,
                daily: 44_206_000_000n,
                highWaterMark: 100_500_000_000_000n,
                drawdown: 56_200_000_000n,
              },
              limits: [
                {
                  limit: "MAX_GROSS_EXPOSURE",
                  value: 8_200_000_000_000n,
                  warn: 8_000_000_000_000n,
                  hard: 10_000_000_000_000n,
                  usedPct: 82,
                  level: "WARN",
                },
                { limit: "MAX_DAILY_LOSS", value: 0n, warn: 4_000_000_000_000n, hard: 5_000_000_000_000n, usedPct: 0, level: "OK" },
              ],
              killSwitch: { book: null, global: null },
            }
          : { ok: true };
      const { data, headers } = encodeMessage({ type: "Reply", ok: true, result });
      msg.respond(data, { headers });
    },
  });
  return () => {
    clearInterval(tick);
    book.unsubscribe();
  };
}

t.test(
  "the console in Chromium: a crashing actor, an operator's quarantine and release, a viewer's disabled controls",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    const _node = await startTestNode(t, f, { node: "n1", cells: 2, hangBudgetMs: 1000, logLevel: "error" });
    for (const id of ["boom", "alpha", "beta", "gamma"]) await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id });
    await eventually("boom up", async () => (await command(f.nc, K, "boom", { type: "Increment", by: 7 }, 500).catch(() => undefined))?.ok);
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      natsMonitorUrl: f.infra.natsMonitorUrl,
      treeIntervalMs: 300,
      riskIntervalMs: 500,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const stopMarket = liveMarket(f.nc);
    t.teardown(stopMarket);

    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "olga", role: "operator" }, SECRET));
    await row(page, "boom").waitFor();
    t.equal(await row(page, "boom").locator("td.restarts").textContent(), "0");

    for (const expected of [1, 2]) {
      await command(f.nc, K, "boom", { type: "Explode", where: "action" }, 2_000).catch(() => undefined);
      await page
        .locator(`#tree-body tr[data-id="boom"] td.restarts`, { hasText: new RegExp(`^${expected}$`) })
        .waitFor({ timeout: 15_000 });
      t.pass(`the tree shows boom restarted ${expected} time(s)`);
    }
    await row(page, "boom").click();
    await page.locator("#detail-body", { hasText: "action exploded" }).waitFor();
    t.pass("the detail panel shows the last error");
    await page.locator("#detail-body table", { hasText: "restarted" }).first().waitFor();
    t.pass("the detail panel shows the restart history");
    t.equal(await page.locator("#venue-controls").isVisible(), false, "a venue's kill switch shows only for a venue");
    await page.locator("#quotes-body tr[data-instrument]").first().waitFor();
    await page.screenshot({ path: join(artifacts, "operator-crashing-actor.png") });

    const quarantine = page.locator('#actor-controls button[data-action="quarantine"]');
    t.equal(await quarantine.isEnabled(), true, "an operator may quarantine");
    await quarantine.click();
    await page.locator("#confirm[open]").waitFor();
    t.match(await page.locator("#confirm-title").textContent(), /Quarantine counter-snapshot\/boom\?/, "the control asks to confirm");
    await page.locator("#confirm-reason").fill("keeps exploding");
    await page.screenshot({ path: join(artifacts, "operator-confirm-quarantine.png") });
    await page.locator("#confirm-ok").click();
    await page.locator(`#tree-body tr[data-id="boom"][data-status="quarantined"]`).waitFor({ timeout: 15_000 });
    t.match((await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "boom" })).result, {
      status: "quarantined",
      reason: "keeps exploding (by olga)",
    });
    await page.screenshot({ path: join(artifacts, "operator-quarantined.png") });

    const release = page.locator('#actor-controls button[data-action="release"]');
    await release.click();
    await page.locator("#confirm[open]").waitFor();
    await page.locator("#confirm-ok").click();
    await page.locator(`#tree-body tr[data-id="boom"][data-status="running"]`).waitFor({ timeout: 15_000 });
    await eventually(
      "boom answers after release",
      async () => (await command(f.nc, K, "boom", { type: "GetCount" }, 500).catch(() => undefined))?.ok,
    );
    t.pass("released from the page, the actor runs again");

    // A canceled confirmation does nothing.
    await page.locator('#actor-controls button[data-action="stop"]').click();
    await page.locator("#confirm[open]").waitFor();
    await page.locator("#confirm-cancel").click();
    t.match(
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "boom" })).result,
      { status: "running" },
      "cancel leaves the actor running",
    );

    const viewerPage = await browser.newPage();
    await signIn(viewerPage, running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));
    await row(viewerPage, "boom").click();
    const vq = viewerPage.locator('#actor-controls button[data-action="quarantine"]');
    t.equal(await vq.isDisabled(), true, "a viewer's quarantine button is disabled");
    t.match(await vq.getAttribute("title"), /Needs role operator or above \(you are viewer\)/, "and says which role is needed");
    const kill = viewerPage.locator("#risk-body button[data-kill]").first();
    await kill.waitFor();
    t.equal(await kill.isDisabled(), true, "so is the kill switch");
    // the report's money came as plain integers of 1e-8 units (msgpack carries a safe bigint as one)
    const pnl = viewerPage.locator("#risk-body .pnl", { hasText: "Equity" }).first();
    await pnl.waitFor();
    t.match(await pnl.textContent(), /Equity1,004,438\.00.*Net P&L442\.06.*Drawdown562\.00/, "the book's P&L in decimals");
    await viewerPage.screenshot({ path: join(artifacts, "viewer.png") });
    t.same(pageErrors, [], "the page threw no errors");
  },
);

t.test(
  "the console tells the truth: degraded health without nodes or actors, lease losses and moves, decimals, words and gaps",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      natsMonitorUrl: f.infra.natsMonitorUrl,
      treeIntervalMs: 300,
      healthIntervalMs: 300,
      riskIntervalMs: 500,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const pub = (subject: string, m: Message) => {
      const { data, headers } = encodeMessage(m);
      f.nc.publish(subject, data, { headers });
    };
    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "olga", role: "operator" }, SECRET));

    // No node at all: connected to the console is not "live", and the health says why it is degraded.
    await page.locator("#link-text", { hasText: "live · no nodes" }).waitFor();
    t.notMatch(await page.locator("#link").getAttribute("class"), /dot-on/, "the link is not green at 0 nodes");
    await page.locator('#health-status[data-status="degraded"]', { hasText: "no live node" }).waitFor();
    t.equal(await page.locator("#kpi-health").textContent(), "degraded", "the header says degraded");

    // An actor declared for a kind no node runs.
    const kv = await new Kvm(f.nc).open(buckets.config);
    await kv.put(`actors.${kvKey("ghost", "g1")}`, encodePayload({ kind: "ghost", id: "g1" }));
    const _node = await startTestNode(t, f, { node: "n1", cells: 1, hangBudgetMs: 1000, logLevel: "error" });
    await page.locator("#link-text", { hasText: /^live$/ }).waitFor();
    t.match(await page.locator("#link").getAttribute("class"), /dot-on/, "green once a node runs");
    // (an empty tree's reason is in health.test.ts: the test kinds' shards always run on a node)
    await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id: "alpha" });
    await page.locator('#tree-body tr[data-id="alpha"][data-status="running"]').waitFor({ timeout: 15_000 });
    await page
      .locator("#health-status", { hasText: "1 declared actor not running: ghost/g1", hasNotText: "tree is empty" })
      .waitFor({ timeout: 15_000 });
    t.notMatch(await page.locator("#health-status").textContent(), /tree is empty/, "with an actor running the tree is not empty");
    t.equal(await page.locator("#kpi-health").textContent(), "degraded", "a declared actor missing keeps the health degraded");
    await kv.delete(`actors.${kvKey("ghost", "g1")}`);
    await page.locator('#health-status[data-status="ok"]').waitFor({ timeout: 15_000 });
    t.pass("healthy once every declared actor runs");

    // Lease losses and moves as the nodes report them on am.sys.
    const us = Date.now() * 1000;
    pub(subjects.sys("lease-lost", "n2"), {
      type: "ActorLifecycle",
      event: "lease-lost",
      node: "n2",
      kind: K,
      id: "alpha",
      restarts: 0,
      reason: "lease on n2 not renewed in time",
      tsEvent: us,
      tsInit: us,
    });
    pub(subjects.sys("moved", "n1"), {
      type: "ActorLifecycle",
      event: "moved",
      node: "n1",
      kind: K,
      id: "alpha",
      restarts: 0,
      reason: "from n2 to n1",
      tsEvent: us,
      tsInit: us,
    });
    await page.locator("#log-body tr", { hasText: "lease on n2 not renewed in time" }).locator(".st-lease-lost").waitFor();
    await page.locator("#log-body tr", { hasText: "from n2 to n1" }).locator(".st-moved").waitFor();
    t.pass("the log shows the lease loss and the move");

    // A venue connection's report that an order refused an execution: an operator must reconcile it.
    pub(subjects.evt("venue", "SIMX", "VenueReportRefused"), {
      type: "VenueReportRefused",
      venue: "SIMX",
      clientOrderId: "O-3",
      execId: "E-31",
      code: "UNKNOWN_ORDER",
      reason: "no such order",
      tsEvent: us,
      tsInit: us,
    });
    const refused = page.locator("#log-body tr", { hasText: "order O-3 refused execution E-31" });
    await refused.locator(".st-failed", { hasText: "VenueReportRefused" }).waitFor();
    t.match(await refused.textContent(), /venue\/SIMX.*reconcile it with the venue/, "the log says which venue and what to do");

    // Alerts in decimals: a limit alert whose money arrived as a plain integer, and a denial in its own words.
    pub(subjects.evt("risk-book", "main", "LimitWarning"), {
      type: "LimitWarning",
      limit: "MAX_GROSS_EXPOSURE",
      value: 8_200_000_000_000,
      threshold: 8_000_000_000_000n,
      level: "WARN",
      tsEvent: us,
      tsInit: us,
    });
    pub(subjects.evt("risk-book", "main", "OrderDenied"), {
      type: "OrderDenied",
      clientOrderId: "O-9",
      instrument: "AAPL.XNAS",
      side: "BUY",
      quantity: fromNumber(1500),
      strategy: "mr-2",
      reason: "MAX_ORDER_QUANTITY",
      message: "MAX_ORDER_QUANTITY: quantity 1500 exceeds maxOrderQuantity 1000 for AAPL.XNAS",
      limit: fromNumber(1000),
      value: fromNumber(1500),
      tsEvent: us,
      tsInit: us,
    });
    await page.locator("#risk-body", { hasText: "quantity 1500 exceeds maxOrderQuantity 1000" }).waitFor();
    const risk = (await page.locator("#risk-body").textContent()) ?? "";
    t.match(risk, /MAX_GROSS_EXPOSURE 82,000 \/ 80,000/, "a limit alert in decimals");
    t.notMatch(risk, /8200000000000|100000000000|150000000000/, "no 1e-8 integers in the alerts");

    // Order states as words.
    pub(subjects.evt("order", "O-7", "OrderFilled"), {
      type: "OrderFilled",
      clientOrderId: "O-7",
      execId: "E-7",
      side: "BUY",
      lastQty: fromNumber(1),
      lastPx: fromNumber(100),
      fee: 0,
      liquidity: "MAKER",
      cumQty: fromNumber(1),
      leavesQty: fromNumber(2),
      avgPx: fromNumber(100),
      venueSeq: 1,
      tsEvent: us,
      tsInit: us,
    });
    await page
      .locator("#orders-body tr", { hasText: "O-7" })
      .locator("td", { hasText: /^partially filled$/ })
      .waitFor();
    const words = await page.evaluate(async () => {
      const actors = (await import("/actors.js" as string)) as { stateText(v: unknown): string };
      return [
        actors.stateText({ open: { working: "partiallyFilled" } }),
        actors.stateText("PENDING_CANCEL"),
        actors.stateText({ feed: "live", orders: "idle" }),
      ];
    });
    t.same(
      words,
      ["open › working › partially filled", "pending cancel", "feed › live; orders › idle"],
      "machine states read as words, not JSON",
    );

    // A feed that stalls leaves a gap in the chart, not a line across it.
    const quote = (px: number) => {
      const now = Date.now() * 1000;
      pub(subjects.md("quote", { symbol: "GAP", venue: "XTST" }), {
        type: "Quote",
        instrument: "GAP.XTST",
        bid: fromNumber(px),
        bidSize: fromNumber(1),
        ask: fromNumber(px + 0.01),
        askSize: fromNumber(1),
        seq: 1,
        tsEvent: now,
        tsInit: now,
      });
    };
    const burst = async (px: number) => {
      for (let i = 0; i < 12; i++) {
        quote(px + i * 0.01);
        await new Promise((r) => setTimeout(r, 120));
      }
    };
    await burst(100);
    await new Promise((r) => setTimeout(r, 3_000));
    await burst(101);
    await page.locator('#quotes-body tr[data-instrument="GAP.XTST"]').click();
    await page.locator('#chart[data-runs="2"]').waitFor({ timeout: 5_000 });
    t.pass("the chart draws two runs around the stall");
    const starts = await page.evaluate(async () =>
      ((await import("/chart.js" as string)) as { runStarts(p: [number, number][]): number[] }).runStarts([
        [0, 1],
        [250, 1],
        [500, 1],
        [3000, 2],
        [3250, 2],
      ]),
    );
    t.same(starts, [0, 3], "a spacing far above the usual one starts a new run");
    await page.screenshot({ path: join(artifacts, "operator-truth.png") });
    t.same(pageErrors, [], "the page threw no errors");
  },
);

t.test(
  "the models panel shows each model's versions and stage, and its actor's latency and batch size",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    const gbt = readModelFile("gbt-return-5f");
    const registry = await ModelRegistry.open(f.nc);
    await registry.register(gbt.card, gbt.bytes, "alice");
    await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
    await registry.promote(gbt.card.name, 2);
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      treeIntervalMs: 300,
      healthIntervalMs: 300,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));

    const gbtRow = page.locator("#models-body tr", { has: page.locator('[data-model="gbt-return-5f"]') });
    await gbtRow.filter({ hasText: "no requests yet" }).waitFor({ timeout: 15_000 });
    t.match(await gbtRow.textContent(), /v1\s*registered\s*v2\s*promoted/, "both versions with their stage");
    // what a serving model actor reports while it answers (actors/model publishes it once a second)
    const us = Date.now() * 1000;
    const { data, headers } = encodeMessage({
      type: "ModelServingReported",
      model: "gbt-return-5f",
      version: 2,
      provider: "cpu",
      served: 12_345,
      batches: 1_000,
      failures: 0,
      queued: 0,
      window: 512,
      latencyP50Us: 420,
      latencyP99Us: 1_850,
      meanBatch: 12.3,
      tsEvent: us,
      tsInit: us,
    });
    f.nc.publish(subjects.sys("model-stats", "gbt-return-5f"), data, { headers });
    await gbtRow.filter({ hasText: "1.85 ms" }).waitFor({ timeout: 15_000 });
    const text = (await gbtRow.textContent()) ?? "";
    for (const shown of ["420 µs", "1.85 ms", "12.3", "12,345", "cpu"]) t.match(text, shown, `shows ${shown}`);
    await page.screenshot({ path: join(artifacts, "models-panel.png") });
    t.same(pageErrors, [], "the page threw no errors");
  },
);

t.test(
  "an admin starts a canary from the models panel, sees its figures, and ends it",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    const gbt = readModelFile("gbt-return-5f");
    const registry = await ModelRegistry.open(f.nc);
    await registry.register(gbt.card, gbt.bytes, "alice");
    await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
    await registry.promote(gbt.card.name, 1);
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      treeIntervalMs: 300,
      healthIntervalMs: 300,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "ada", role: "admin" }, SECRET));

    const gbtRow = page.locator("#models-body tr", { has: page.locator('[data-model="gbt-return-5f"]') });
    await gbtRow.locator("button[data-challenge-start]").click({ timeout: 15_000 });
    await page.locator("#confirm-reason").fill("v2 canary 0.25");
    await page.locator("#confirm-ok").click();
    await gbtRow.filter({ hasText: "canary 25.0%" }).waitFor({ timeout: 15_000 });
    t.match(await registry.challenge("gbt-return-5f"), { version: 2, mode: "canary", share: 0.25, startedBy: "ada" });
    const us = Date.now() * 1000;
    const { data, headers } = encodeMessage({
      type: "ModelServingReported",
      model: "gbt-return-5f",
      version: 1,
      provider: "cpu",
      served: 400,
      batches: 40,
      failures: 0,
      queued: 0,
      window: 400,
      challenger: {
        version: 2,
        mode: "canary",
        share: 0.25,
        canaryServed: 100,
        loaded: true,
        compared: 0,
        championRunUs: 40,
        challengerRunUs: 45,
        failures: 0,
      },
      tsEvent: us,
      tsInit: us,
    });
    f.nc.publish(subjects.sys("model-stats", "gbt-return-5f"), data, { headers });
    await gbtRow.filter({ hasText: "answered 100" }).waitFor({ timeout: 15_000 });
    t.match(await gbtRow.textContent(), /run 40 µs \/ 45 µs/, "each side's run time");
    await page.screenshot({ path: join(artifacts, "models-challenge.png") });

    await gbtRow.locator("button[data-challenge-end]").click();
    await page.locator("#confirm-ok").click();
    await gbtRow.locator("button[data-challenge-start]").waitFor({ timeout: 15_000 });
    t.equal(await registry.challenge("gbt-return-5f"), undefined, "the challenge ended in the registry");
    t.same(pageErrors, [], "the page threw no errors");
  },
);

t.test(
  "the algorithms panel lists each parent order with its progress against the schedule; a click opens its actor",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    // a node's answer to am.admin.tree with two parents, as the execution-algo kind summarises them
    const parent = (id: string, summary: Record<string, unknown>) => ({ kind: "execution-algo", id, status: "running", context: summary });
    const tree = {
      node: "n-algo",
      cells: [
        {
          cell: 0,
          status: "running",
          kinds: [
            {
              kind: "execution-algo",
              actors: [
                parent("twap-9", {
                  status: "completed",
                  algo: "TWAP",
                  instrument: "AAPL.XNAS",
                  side: "BUY",
                  quantity: fromNumber(300),
                  filled: fromNumber(300),
                  open: 0,
                  scheduled: fromNumber(300),
                  slice: 6,
                  slices: 6,
                }),
                parent("vwap-7", {
                  status: "working",
                  algo: "VWAP",
                  instrument: "BRK.B.XNYS",
                  side: "SELL",
                  quantity: fromNumber(1000),
                  filled: fromNumber(250),
                  open: fromNumber(50),
                  scheduled: fromNumber(400),
                  slice: 4,
                  slices: 10,
                }),
              ],
            },
          ],
        },
      ],
    };
    const sub = f.nc.subscribe(subjects.admin("tree"), {
      callback: (_e, m) => {
        const { data, headers } = encodeMessage({ type: "Reply", ok: true, result: tree });
        m.respond(data, { headers });
      },
    });
    t.teardown(() => sub.unsubscribe());
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      treeIntervalMs: 300,
      healthIntervalMs: 300,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));

    const rows = page.locator("#algos-body tbody tr");
    await page.locator('#algos-body [data-algo="vwap-7"]').waitFor({ timeout: 15_000 });
    t.same(await rows.locator("[data-algo]").allTextContents(), ["vwap-7", "twap-9"], "the working parent first");
    const vwap = (await rows.nth(0).textContent()) ?? "";
    for (const shown of ["VWAP", "BRK.B.XNYS", "SELL", "25%", "250.00", "1,000.00", "4/10", "working"])
      t.match(vwap, shown, `shows ${shown}`);
    t.equal(await rows.nth(0).locator(".algo-bar.behind").count(), 1, "filled and open (300) behind the schedule (400) shows");
    t.match((await rows.nth(1).textContent()) ?? "", /TWAP.*100%.*6\/6.*completed/, "the finished parent with its last slice");
    await page.locator('#algos-body [data-algo="vwap-7"]').click();
    await page.locator("#detail-title", { hasText: "execution-algo/vwap-7" }).waitFor({ timeout: 5_000 });
    t.pass("a click opens the parent's actor in the detail panel");
    await page.screenshot({ path: join(artifacts, "algos-panel.png") });
    t.same(pageErrors, [], "the page threw no errors");
  },
);

t.test(
  "the risk panel shows a book's VaR/ES with its backtest, the stress table and exposure, and an operator approves a proposal",
  { skip: executablePath ? false : "no Chromium found (/usr/bin/chromium, chromium on PATH or CHROMIUM_BIN): run scripts/setup.sh" },
  async (t) => {
    mkdirSync(artifacts, { recursive: true });
    const f = await startTestServers(t);
    // the analytics of a two-position book, computed by the risk book's own function
    const returns = Array.from({ length: 60 }, (_, k) => [0.01 * Math.sin(k * 1.7), 0.008 * Math.cos(k * 2.3)]);
    const report = riskAnalytics(
      {
        book: "main",
        asOfUs: Date.now() * 1000,
        positions: [
          { instrument: "AAPL.XNAS", venue: "XNAS", assetClass: "EQUITY", sector: "TECH", exposure: 30_000 },
          { instrument: "BTCUSDT.BINANCE", venue: "BINANCE", assetClass: "CRYPTO", sector: "CRYPTO", exposure: -12_000 },
        ],
        returns,
        sampleUs: 60_000_000,
        windowConfidence: 0.99,
        backtest: returns.slice(20).map((r, k) => ({
          tsUs: k,
          forecast: 600,
          pnl: 30_000 * r[0]! - 12_000 * r[1]!,
          byInstrument: {},
          equity: 1_000_000,
          marketReturn: (r[0]! + r[1]!) / 2,
        })),
        equity: [1_000_000, 1_000_500, 999_800],
        equityEveryUs: 30_000_000,
        limits: [{ limit: "maxDailyLoss", hard: 5_000, used: 0 }],
        strategyPositions: {},
      },
      { confidence: 0.99, paths: 1_000, seed: 1, hypothetical: [] },
    );
    const us = Date.now() * 1000;
    const proposal = {
      proposalId: "reb-1-1",
      createdUs: us,
      expiresUs: us + 600_000_000,
      proposal: {
        method: "risk-parity",
        capital: 100_000,
        objective: { expectedReturn: 0.0001, variance: 0.0001, volatility: 0.01, turnover: 1, estimatedCost: 50 },
        trades: [
          {
            instrument: "AAPL.XNAS",
            currentQuantity: 0,
            targetQuantity: fromNumber(220),
            currentWeight: 0,
            targetWeight: 0.5,
            estimatedCost: 25,
          },
          {
            instrument: "MSFT.XNAS",
            currentQuantity: 0,
            targetQuantity: fromNumber(120),
            currentWeight: 0,
            targetWeight: 0.5,
            estimatedCost: 25,
          },
        ],
      },
    };
    const respond = (msg: { respond(d: Uint8Array, o: object): boolean }, result: unknown) => {
      const { data, headers } = encodeMessage({ type: "Reply", ok: true, result });
      msg.respond(data, { headers });
    };
    const subs = [
      f.nc.subscribe(subjects.cmd("risk-book", "main"), {
        callback: (_e, msg) => {
          const m = decodeMessage(msg.data, msg.headers, false).message;
          respond(msg, m.type === "GetRiskAnalytics" ? report : { book: "main", positions: [], killSwitch: { book: null, global: null } });
        },
      }),
      // a node that runs the strategy, and the strategy in approval mode with one pending proposal
      f.nc.subscribe(subjects.admin("tree"), {
        callback: (_e, msg) =>
          respond(msg, {
            node: "n1",
            cells: [
              { cell: 0, status: "running", kinds: [{ kind: "strategy", actors: [{ kind: "strategy", id: "reb", status: "running" }] }] },
            ],
          }),
      }),
    ];
    const decisions: Message[] = [];
    subs.push(
      f.nc.subscribe(subjects.cmd("strategy", "reb"), {
        callback: (_e, msg) => {
          const m = decodeMessage(msg.data, msg.headers, false).message;
          if (m.type === "GetProposals") return respond(msg, { strategy: "reb", book: "main", proposals: [proposal] });
          decisions.push(m);
          respond(msg, { proposalId: m.proposalId, orders: ["reb.1.1", "reb.1.2"] });
          const now = Date.now() * 1000;
          const { data, headers } = encodeMessage({
            type: "ProposalApproved",
            strategy: "reb",
            book: "main",
            proposalId: String(m.proposalId),
            by: String(m.by),
            orders: ["reb.1.1", "reb.1.2"],
            tsEvent: now,
            tsInit: now,
          });
          f.nc.publish(subjects.evt("strategy", "reb", "ProposalApproved"), data, { headers });
        },
      }),
    );
    t.teardown(() => {
      for (const s of subs) s.unsubscribe();
    });
    const running = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      books: ["main"],
      treeIntervalMs: 300,
      riskIntervalMs: 300,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => running.stop());
    const browser = await openBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await signIn(page, running.url, await signToken({ sub: "olga", role: "operator" }, SECRET));

    const analytics = page.locator('#risk-body .analytics[data-book="main"]');
    await analytics.locator("h4", { hasText: "VaR / ES" }).waitFor({ timeout: 15_000 });
    const text = (await analytics.textContent()) ?? "";
    for (const shown of ["historical", "parametric-normal", "parametric-student-t", "monte-carlo", "bayesian"])
      t.match(text, shown, `VaR by ${shown}`);
    t.match(text, /traffic light (GREEN|YELLOW|RED)/, "the backtest's traffic light");
    for (const shown of ["1987-black-monday", "2008-global-financial-crisis", "2020-covid-crash", "2022-rates-shock"])
      t.match(text, shown, `stress ${shown}`);
    t.match(text, /maxDailyLoss at ×/, "reverse stress: the scale that breaches the daily loss limit");
    t.match(text, /XNAS/, "exposure to a venue");

    const card = page.locator('#risk-body .proposal[data-proposal-id="reb-1-1"]');
    await card.waitFor({ timeout: 15_000 });
    t.match((await card.textContent()) ?? "", /AAPL\.XNAS.*220.*50\.0%/, "the proposed trade with its target quantity and weight");
    await page.screenshot({ path: join(artifacts, "risk-proposal.png") });
    // for the screenshot only: the panel re-renders on each report, so the heading scrolled to may be replaced mid-way
    await analytics
      .locator("h4", { hasText: "Stress" })
      .evaluate((h) => h.scrollIntoView())
      .catch(() => undefined);
    await page.screenshot({ path: join(artifacts, "risk-analytics.png") });
    await card.locator('button[data-proposal="approve"]').click();
    await page.locator("#confirm[open]").waitFor();
    t.match(await page.locator("#confirm-title").textContent(), /Approve the proposal of reb\?/);
    await page.locator("#confirm-reason").fill("weights look right");
    await page.locator("#confirm-ok").click();
    await card.waitFor({ state: "detached", timeout: 10_000 });
    t.match(
      decisions,
      [{ type: "ApproveProposal", proposalId: "reb-1-1", by: "olga", reason: "weights look right" }],
      "signed with the operator",
    );
    t.same(pageErrors, [], "the page threw no errors");
  },
);
