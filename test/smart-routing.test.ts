import { join } from "node:path";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { fromNumber } from "../actors/domain/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { admin, command, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/** A routed parent on the running platform: SIM004 listed on two simulated venues, filled on both. */

type Ev = { type: string; [k: string]: unknown };
const POLL = { timeoutMs: 30_000, everyMs: 200 };

t.test("a routed parent order fills across two simulated venues, each child through the risk book", async (t) => {
  const f = await startTestServers(t);
  // SIM004 on SIMX comes with the demo universe; a second listing on SIMY, and a book that trades both
  const dir = t.testdir({
    "instruments.json": JSON.stringify([
      { id: "SIM004.SIMY", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" },
    ]),
  });
  const file = join(dir, "instruments.json");
  const node = startNodeProcess(t, "node-sor", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "4",
    AM_CELLS: "1",
    AM_INSTRUMENTS_FILE: file,
    // SIMX charges to take: the router weighs it against SIMY's price
    AM_VENUE_COSTS: JSON.stringify({ SIMX: { takerFeeBps: 1 }, SIMY: { latencyUs: 500 } }),
  });
  await node.waitFor(/node up/, 60_000);
  const deploy = await admin(
    f.nc,
    "deploy",
    {
      type: "AdminDeployRequest",
      kind: "risk-book",
      id: "sor",
      config: { initialCash: "10000000", instruments: [{ id: "SIM004.SIMX" }, { id: "SIM004.SIMY" }] },
    },
    30_000,
  );
  t.match(deploy, { ok: true }, "the routing book defined");
  for (const kind of ["exchange", "venue"])
    t.match(await admin(f.nc, "spawn", { type: "AdminActorRequest", kind, id: "SIMY" }, 10_000), { ok: true }, `${kind}/SIMY spawned`);
  await eventually("both venue connections ready", async () => (await venueReady(f.nc, "SIMX")) && (await venueReady(f.nc, "SIMY")), POLL);

  const events: Ev[] = [];
  for (const subject of [
    subjects.evtAll("execution-algo"),
    subjects.evtAll("order"),
    subjects.evtAll("risk-book"),
    subjects.mdAll("quote"),
  ]) {
    const sub = f.nc.subscribe(subject, { callback: (_e, m) => void events.push(decodeMessage(m.data, m.headers, false).message as Ev) });
    t.teardown(() => sub.unsubscribe());
  }
  const lastQuote = (instrument: string) =>
    events.findLast((e) => e.type === "Quote" && e.instrument === instrument) as { ask: number } | undefined;
  const [x, y] = await eventually(
    "quotes of both listings",
    () => {
      const qx = lastQuote("SIM004.SIMX");
      const qy = lastQuote("SIM004.SIMY");
      return qx && qy ? [qx, qy] : undefined;
    },
    POLL,
  );

  t.match(await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: "execution-algo", id: "sor-1" }, 10_000), { ok: true });
  const now = Date.now() * 1000;
  // each listing's touch shows a few shares (the simulator's sizes average 5 lots): 40 cannot all go to one venue
  const started = await eventually(
    "the routed parent started",
    async () => {
      const r = await command(f.nc, "execution-algo", "sor-1", {
        type: "StartAlgo",
        instrument: "SIM004.SIMX",
        side: "BUY",
        quantity: fromNumber(40),
        lotSize: fromNumber(1),
        // marketable on both venues whatever they do meanwhile
        limitPrice: Math.max(x.ask, y.ask) + fromNumber(5),
        params: { algo: "SOR", venues: ["SIMX", "SIMY"], checkEveryMs: 100 },
        book: "sor",
        strategy: "router-tester",
        tsEvent: now,
        tsInit: now,
      }).catch(() => undefined);
      return r?.ok ? r : undefined;
    },
    POLL,
  );
  t.ok(started.ok, "StartAlgo accepted");
  const completed = await eventually(
    "the parent completed",
    () => events.find((e) => e.type === "AlgoCompleted" && e.parentId === "sor-1"),
    { timeoutMs: 60_000, everyMs: 200 },
  );
  t.equal(completed.filledQty, fromNumber(40), "the parent is filled");
  const sent = events.filter((e) => e.type === "AlgoChildSent" && e.parentId === "sor-1");
  // an order's fills name no instrument: each child's listing is in the parent's AlgoChildSent
  const listingOf = new Map(sent.map((e) => [e.clientOrderId as string, e.instrument as string]));
  const filledAt = (venue: string) =>
    events
      .filter((e) => e.type === "OrderFilled" && listingOf.get(e.clientOrderId as string) === `SIM004.${venue}`)
      .reduce((s, e) => s + (e.lastQty as number), 0);
  await eventually("the children's fills add up to the parent", () => filledAt("SIMX") + filledAt("SIMY") === fromNumber(40), POLL);
  t.ok(
    filledAt("SIMX") > 0 && filledAt("SIMY") > 0,
    `filled on both venues (SIMX ${filledAt("SIMX") / 1e8}, SIMY ${filledAt("SIMY") / 1e8})`,
  );
  t.ok(
    sent.every((e) => e.instrument === "SIM004.SIMX" || e.instrument === "SIM004.SIMY"),
    "every child names its venue's listing",
  );
  const approvals = events.filter((e) => e.type === "OrderApproved" && String(e.clientOrderId).startsWith("algo.sor-1."));
  t.equal(approvals.length, sent.length, "every child was approved by the risk book");
  const view = (await command(f.nc, "execution-algo", "sor-1", { type: "GetAlgo", tsEvent: now, tsInit: now })).result as {
    status: string;
    venues: { venue: string; filled: number }[];
  };
  t.equal(view.status, "completed");
  t.same(
    view.venues.map((v) => [v.venue, v.filled]),
    [
      ["SIMX", filledAt("SIMX")],
      ["SIMY", filledAt("SIMY")],
    ],
    "GetAlgo shows each venue's share",
  );
});
