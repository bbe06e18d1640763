import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import t from "tap";
import { fromNumber } from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage, encodePayload } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey } from "../../infra/nats/snapshot-store.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { admin, command } from "../node/admin-client.ts";
import { startTestNode } from "../node/testing.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { signToken } from "./auth.ts";
import { startConsole } from "./server.ts";
import type { Health } from "./protocol.ts";
import { actorIn, ConsoleClient } from "./testing.ts";

const K = "counter-snapshot";
const SECRET = "console-test-secret-of-at-least-32-bytes!";

t.test("the console over a real node", async (t) => {
  const f = await startTestServers(t);
  const _node = await startTestNode(t, f, { node: "n1", cells: 1, hangBudgetMs: 1000, logLevel: "error" });
  await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id: "x" });
  await eventually("x up", async () => (await command(f.nc, K, "x", { type: "Increment", by: 2 }, 500).catch(() => undefined))?.ok);
  // journalled before the console starts: it shows the latest of each venue event from the journal
  const js = jetstream(f.nc);
  const journal = async (event: { type: string } & Record<string, unknown>, venue = "SIMX") => {
    const { data, headers } = encodeMessage(event);
    await js.publish(subjects.evt("venue", venue, event.type), data, { headers });
  };
  await journal(
    { type: "VenueGapFilled", venue: "SIMH", missing: 4, recovered: 3, lastVenueSeq: 90, tsEvent: 4_000_000, tsInit: 4_000_000 },
    "SIMH",
  );
  await journal(
    { type: "VenueGapFilled", venue: "SIMH", missing: 2, recovered: 2, lastVenueSeq: 95, tsEvent: 4_000_001, tsInit: 4_000_001 },
    "SIMH",
  );
  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: SECRET },
    natsMonitorUrl: f.infra.natsMonitorUrl,
    treeIntervalMs: 200,
    healthIntervalMs: 500,
    log: createLogger({ level: "error" }),
  });
  t.teardown(() => running.stop());
  const operator = await ConsoleClient.open(running.url, await signToken({ sub: "olga", role: "operator" }, SECRET));
  t.teardown(() => operator.close());
  const viewer = await ConsoleClient.open(running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));
  t.teardown(() => viewer.close());

  t.test("the page and its script are served", async (t) => {
    const page = await fetch(running.url);
    t.equal(page.status, 200);
    t.match(await page.text(), /Supervision tree/);
    t.match((await fetch(`${running.url}console.js`)).headers.get("content-type"), /javascript/);
    t.equal((await fetch(`${running.url}../../package.json`)).status, 404, "only the console's own files are served");
  });

  t.test("a signed-in browser is welcomed with its role and receives the tree", async (t) => {
    t.match(await operator.waitFor((f) => f.type === "welcome", "welcome"), { sub: "olga", role: "operator", canOperate: true });
    t.match(await viewer.waitFor((f) => f.type === "welcome", "welcome"), {
      sub: "victor",
      role: "viewer",
      canOperate: false,
      controlRole: "operator",
    });
    const tree = await operator.waitFor((f) => f.type === "tree" && actorIn(f, K, "x") !== undefined, "a tree with x");
    t.match(actorIn(tree, K, "x"), { status: "running", state: "counting", context: { count: 2 } });
  });

  t.test("a crash shows as lifecycle events and a rising restart count", async (t) => {
    const from = operator.frames.length;
    await command(f.nc, K, "x", { type: "Explode", where: "action" }, 2_000).catch(() => undefined);
    const failed = await operator.waitFor(
      (f) =>
        f.type === "lifecycle" &&
        (f.event as { id: string; event: string }).id === "x" &&
        (f.event as { event: string }).event === "failed",
      "failed event",
      10_000,
      from,
    );
    t.match(failed.event, { kind: K, id: "x", node: "n1", reason: /action exploded/ });
    await operator.waitFor(
      (f) =>
        f.type === "lifecycle" &&
        (f.event as { event: string; id: string }).event === "restarted" &&
        (f.event as { id: string }).id === "x",
      "restarted event",
      10_000,
      from,
    );
    const tree = await operator.waitFor(
      (f) => f.type === "tree" && Number(actorIn(f, K, "x")?.restarts) >= 1,
      "restarts ≥ 1",
      10_000,
      from,
    );
    t.match(actorIn(tree, K, "x"), { restarts: 1, lastError: /action exploded/ });
    const detail = await viewer.request({ op: "detail", kind: K, id: "x" });
    t.match(detail, { type: "detail", status: { ok: true, result: { kind: K, id: "x", node: "n1" } } }, "viewers may look at an actor");
    t.ok(
      (detail.events as { event: string }[]).some((e) => e.event === "failed"),
      "the detail carries the actor's recent lifecycle events",
    );
  });

  t.test("an operator's restart goes through the admin API and everyone sees who did it", async (t) => {
    const from = viewer.frames.length;
    const r = await operator.request({ op: "action", action: "restart", kind: K, id: "x" });
    t.match(r, { type: "result", ok: true, what: `restart ${K}/x` });
    t.match(await viewer.waitFor((f) => f.type === "audit", "audit", 5_000, from), { sub: "olga", what: `restart ${K}/x`, ok: true });
    t.same((await command(f.nc, K, "x", { type: "GetCount" })).result, { count: 2, fired: 0 }, "restart keeps the persisted state");
  });

  t.test("a viewer's restart and kill switch are refused and change nothing", async (t) => {
    const before = (await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "x" })).result as { restarts: number };
    const r = await viewer.request({ op: "action", action: "restart", kind: K, id: "x" });
    t.match(r, { ok: false, error: { code: "forbidden", message: /needs role operator or above; victor is viewer/ } });
    const q = await viewer.request({ op: "action", action: "quarantine", kind: K, id: "x", reason: "curious" });
    t.match(q, { ok: false, error: { code: "forbidden" } });
    const k = await viewer.request({ op: "killSwitch", engage: true, book: "main", reason: "panic" });
    t.match(k, { ok: false, error: { code: "forbidden" } });
    const after = (await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "x" })).result as {
      restarts: number;
      status: string;
    };
    t.equal(after.restarts, before.restarts, "no restart happened");
    t.equal(after.status, "running", "not quarantined");
  });

  t.test("an operator quarantines and releases an actor", async (t) => {
    const q = await operator.request({ op: "action", action: "quarantine", kind: K, id: "x", reason: "flapping" });
    t.match(q, { ok: true });
    t.match((await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "x" })).result, {
      status: "quarantined",
      reason: "flapping (by olga)",
    });
    const tree = await operator.waitFor(
      (f) => f.type === "tree" && actorIn(f, K, "x")?.status === "quarantined",
      "quarantined in the tree",
    );
    t.ok(tree);
    t.match(await operator.request({ op: "action", action: "release", kind: K, id: "x" }), { ok: true });
    await eventually("x back", async () => (await command(f.nc, K, "x", { type: "GetCount" }, 500).catch(() => undefined))?.ok);
  });

  t.test("the kill switch goes to the risk book signed with the operator's name", async (t) => {
    const got: Record<string, unknown>[] = [];
    const book = f.nc.subscribe(subjects.cmd("risk-book", "main"), {
      callback: (_e, m) => {
        got.push(decodeMessage(m.data, m.headers, true).message);
        const { data, headers } = encodeMessage({ type: "Reply", ok: true, result: { engaged: true } });
        m.respond(data, { headers });
      },
    });
    t.teardown(() => book.unsubscribe());
    const r = await operator.request({ op: "killSwitch", engage: true, book: "main", reason: "runaway strategy" });
    t.match(r, { ok: true, result: { engaged: true } });
    t.match(got[0], { type: "EngageKillSwitch", scope: "BOOK", by: "olga", reason: "runaway strategy" });
    const none = await operator.request({ op: "killSwitch", engage: false, book: "nobody" });
    t.match(none, { ok: false, error: { code: "no-answer" } }, "a book that is not running is reported, not hung on");
  });

  t.test("the venue kill switch goes to the venue connection signed with the operator's name, and needs a reason", async (t) => {
    const got: Record<string, unknown>[] = [];
    const venue = f.nc.subscribe(subjects.cmd("venue", "SIMX"), {
      callback: (_e, m) => {
        got.push(decodeMessage(m.data, m.headers, true).message);
        const { data, headers } = encodeMessage({ type: "Reply", ok: true, result: "done" });
        m.respond(data, { headers });
      },
    });
    t.teardown(() => venue.unsubscribe());
    const from = operator.frames.length;
    operator.send({ op: "venueKillSwitch", reqId: 999_999, activate: true, venue: "SIMX" });
    t.match(await operator.waitFor((f) => f.type === "error", "the bad frame's error", 5_000, from), { message: /reason: required/ });
    t.equal(got.length, 0, "a refused frame sends nothing");
    const v = await viewer.request({ op: "venueKillSwitch", activate: true, venue: "SIMX", reason: "panic" });
    t.match(v, { ok: false, error: { code: "forbidden" } });
    t.equal(got.length, 0, "a viewer sends nothing");
    const r = await operator.request({ op: "venueKillSwitch", activate: true, venue: "SIMX", reason: "venue misbehaves" });
    t.match(r, { ok: true, what: "activate kill switch of venue SIMX" });
    t.match(got[0], { type: "ActivateVenueKillSwitch", by: "olga", reason: "venue misbehaves" });
    t.match(await operator.request({ op: "venueKillSwitch", activate: false, venue: "SIMX" }), { ok: true });
    t.match(got[1], { type: "ReleaseVenueKillSwitch", by: "olga" });
  });

  t.test("a venue connection's events show in the log and in the venue's detail, in words", async (t) => {
    const from = viewer.frames.length;
    await journal({
      type: "VenueReportRefused",
      venue: "SIMX",
      clientOrderId: "O-7",
      execId: "E-9",
      code: "UNKNOWN_ORDER",
      reason: "no such order",
      tsEvent: 5_000_000,
      tsInit: 5_000_000,
    });
    // not a venue connection's event as its definition has it: left out, not shown half-read
    await journal({ type: "VenueCircuitOpened", venue: "SIMX", failures: "many", tsEvent: 5_000_001, tsInit: 5_000_001 });
    await journal({
      type: "VenueKillSwitchActivated",
      venue: "SIMX",
      by: "olga",
      reason: "venue misbehaves",
      canceled: 3,
      tsEvent: 5_000_002,
      tsInit: 5_000_002,
    });
    const venueRows = () =>
      viewer.frames
        .slice(from)
        // SIMX's only: the journal read at start pushes SIMH's whenever it ends
        .filter((fr) => fr.type === "lifecycle" && (fr.event as { id: string }).id === "SIMX")
        .map((fr) => fr.event as Record<string, unknown>);
    await viewer.waitFor(
      (fr) => fr.type === "lifecycle" && (fr.event as { event: string }).event === "VenueKillSwitchActivated",
      "the kill switch",
      5_000,
      from,
    );
    t.match(venueRows(), [
      {
        event: "VenueReportRefused",
        kind: "venue",
        id: "SIMX",
        tsEvent: 5_000_000,
        reason: /order O-7 refused execution E-9 \(UNKNOWN_ORDER: no such order\): reconcile/,
      },
      { event: "VenueKillSwitchActivated", id: "SIMX", reason: /by olga: venue misbehaves; 3 open orders being canceled/ },
    ]);
    t.equal(venueRows().length, 2, "the malformed event is not shown");
    const detail = await viewer.request({ op: "detail", kind: "venue", id: "SIMX" });
    t.match(
      (detail.events as { event: string }[]).map((e) => e.event),
      ["VenueKillSwitchActivated", "VenueReportRefused"],
      "the venue's detail carries its events, newest first",
    );
  });

  t.test("a console started after a venue's events shows the latest of each from the journal", async (t) => {
    const shown = () =>
      viewer.frames.flatMap((fr) =>
        fr.type === "snapshot"
          ? (fr.lifecycle as Record<string, unknown>[])
          : fr.type === "lifecycle"
            ? [fr.event as Record<string, unknown>]
            : [],
      );
    await eventually("the journalled gap", async () => shown().some((r) => r.id === "SIMH") || undefined);
    t.match(
      shown().filter((r) => r.id === "SIMH"),
      [{ event: "VenueGapFilled", kind: "venue", tsEvent: 4_000_001, reason: /2 reports lost on the way, 2 recovered/ }],
      "the latest gap of SIMH, once",
    );
  });

  t.test("quotes are conflated per instrument: a burst arrives as its latest value", async (t) => {
    const from = viewer.frames.length;
    const n = 300;
    for (let i = 1; i <= n; i++) {
      const { data, headers } = encodeMessage({
        type: "Quote",
        instrument: "BTCUSDT.BINANCE",
        bid: fromNumber(100 + i / 100),
        bidSize: fromNumber(1),
        ask: fromNumber(100.5 + i / 100),
        askSize: fromNumber(2),
        seq: i,
        tsEvent: i,
        tsInit: i,
      });
      f.nc.publish(subjects.md("quote", { venue: "BINANCE", symbol: "BTCUSDT" }), data, { headers });
    }
    await f.nc.flush();
    const last = await viewer.waitFor(
      (f) => f.type === "quotes" && (f.quotes as { seq: number }[]).some((q) => q.seq === n),
      "the last quote",
      5_000,
      from,
    );
    t.match((last.quotes as Record<string, unknown>[])[0], {
      instrument: "BTCUSDT.BINANCE",
      bid: "103",
      ask: "103.5",
      mid: "103.25",
      bidSize: "1",
    });
    const frames = viewer.frames.slice(from).filter((f) => f.type === "quotes").length;
    t.ok(frames < n / 10, `${n} quotes arrived as ${frames} frames`);
  });

  t.test("health shows NATS, its streams and an unconfigured QuestDB", async (t) => {
    const h = (await viewer.waitFor((f) => f.type === "health", "health")).health as Record<string, Record<string, unknown>>;
    t.match(h.nats, { ok: true, healthz: "ok" });
    t.ok((h.jetstream!.streams as unknown[]).length > 0, "the platform's streams are listed");
    t.match(h.questdb, { ok: false, configured: false });
  });

  t.test(
    "health checks the cluster: the node and its declared actor running are healthy, a declared actor no node runs is a reason",
    async (t) => {
      // x and the shards of the test kinds' sharded kind are declared: all of them run on n1
      const allRunning = (h: Health) => (h.cluster?.declared ?? 0) > 0 && h.cluster?.running === h.cluster?.declared;
      const ok = await viewer.waitFor(
        (f) => f.type === "health" && allRunning(f.health as Health),
        "health with every declared actor running",
      );
      t.match((ok.health as Health).cluster, { ok: true, nodes: ["n1"], missing: [] });
      const kv = await new Kvm(f.nc).open(buckets.config);
      await kv.put(`actors.${kvKey("ghost", "g1")}`, encodePayload({ kind: "ghost", id: "g1" }));
      t.teardown(() => kv.delete(`actors.${kvKey("ghost", "g1")}`));
      const from = viewer.frames.length;
      const bad = (
        await viewer.waitFor((f) => f.type === "health" && (f.health as Health).status === "degraded", "degraded health", 10_000, from)
      ).health as Health;
      t.match(bad.reasons, [/declared actor not running: ghost\/g1/], "the missing actor is named");
    },
  );

  t.test("a frame that fails validation is answered with the field at fault", async (t) => {
    const from = viewer.frames.length;
    viewer.send({ op: "action", reqId: 1, action: "explode", kind: K, id: "x" });
    const e = await viewer.waitFor((f) => f.type === "error", "error frame", 5_000, from);
    t.match(e.message, /bad frame/);
    t.notOk(viewer.closed, "the socket stays open");
  });
});

t.test("a token that does not verify is refused with close code 4401", async (t) => {
  const f = await startTestServers(t);
  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: SECRET },
    sessionCheckMs: 200,
    log: createLogger({ level: "error" }),
  });
  t.teardown(() => running.stop());
  const forged = await ConsoleClient.open(
    running.url,
    await signToken({ sub: "mallory", role: "admin" }, "another-secret-another-secret-xx-yy"),
  );
  t.match(await forged.waitFor((f) => f.type === "authError", "authError"), { reason: "bad-signature" });
  t.equal((await forged.waitClosed()).code, 4401);
  const expired = await ConsoleClient.open(running.url, await signToken({ sub: "olga", role: "operator" }, SECRET, -10));
  t.match(await expired.waitFor((f) => f.type === "authError", "authError"), { reason: "expired" });
  t.equal(running.sessions(), 0, "no session was opened");
  const shortLived = await ConsoleClient.open(running.url, await signToken({ sub: "olga", role: "operator" }, SECRET, 1));
  await shortLived.waitFor((f) => f.type === "welcome", "welcome");
  t.match(
    await shortLived.waitFor((f) => f.type === "authError", "authError at expiry"),
    { reason: "expired" },
    "an open session ends when its token expires",
  );
  t.equal((await shortLived.waitClosed()).code, 4401);
});
