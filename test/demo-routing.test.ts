import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { fromNumber } from "../actors/domain/index.ts";
import { fillRate } from "../actors/execution-algo/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { DEMO_VENUES } from "../supervisors/node/kinds/demo-venues.ts";
import { admin, command, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * Routed parents over the demo market's three venues on the running platform (node process, nats-server, QuestDB):
 * each wave split across the venues in the order of price after fees and latency, each child on its venue's tick; a
 * venue that rejects (its kill switch on) or whose session is down is passed over and the rest fills on the others. SIMY pays takers here
 * (AM_VENUE_COSTS names it; the others keep their demo terms), so the router always tries it first.
 */

type Ev = { type: string; [k: string]: unknown };
const POLL = { timeoutMs: 30_000, everyMs: 200 };
const SYMBOL = "SIM004"; // listed on all three demo venues, traded by no demo strategy
const VENUES = DEMO_VENUES.map((v) => v.venue);
const SIMY = { makerFeeBps: 0, takerFeeBps: -5, latencyUs: 2_000, jitterUs: 500 };
const terms = new Map(DEMO_VENUES.map((v) => [v.venue, { ...v, ...(v.venue === "SIMY" ? SIMY : {}) }]));
/** StartAlgo's defaults: what a millisecond of a venue's latency costs, and what an unfilled unit costs, in bps */
const LATENCY_BPS_PER_MS = 0.1;
const MISS_COST_BPS = 5;

t.test(
  "a routed parent over the demo's three venues splits by price, fees and latency and avoids a venue that rejects or is down",
  async (t) => {
    const f = await startTestServers(t, { questdb: true });
    const node = startNodeProcess(t, "node-demo-routing", {
      AM_NATS_URL: f.infra.natsUrl,
      AM_QUESTDB_URL: f.infra.questdbUrl!,
      AM_DEMO_INSTRUMENTS: "4",
      AM_CELLS: "1",
      AM_VENUE_COSTS: JSON.stringify({ SIMY }),
    });
    await node.waitFor(/node up/, 60_000);
    await eventually(
      "the three demo venues ready",
      async () => (await Promise.all(VENUES.map((v) => venueReady(f.nc, v)))).every(Boolean),
      {
        timeoutMs: 60_000,
        everyMs: 250,
      },
    );

    const events: Ev[] = [];
    for (const subject of [subjects.evtAll("execution-algo"), subjects.evtAll("order"), subjects.mdAll("quote")]) {
      const sub = f.nc.subscribe(subject, { callback: (_e, m) => void events.push(decodeMessage(m.data, m.headers, false).message as Ev) });
      t.teardown(() => sub.unsubscribe());
    }
    const lastQuote = (venue: string) =>
      events.findLast((e) => e.type === "Quote" && e.instrument === `${SYMBOL}.${venue}`) as { bid: number; ask: number } | undefined;
    const quotes = await eventually(
      "quotes of the three listings",
      () => {
        const q = VENUES.map(lastQuote);
        return q.every((x) => x !== undefined) ? (q as { bid: number; ask: number }[]) : undefined;
      },
      POLL,
    );

    /** Starts a routed parent of `quantity` on the demo book, marketable on every venue, and waits for its completion. */
    const routed = async (parentId: string, side: "BUY" | "SELL", quantity: number) => {
      t.match(await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: "execution-algo", id: parentId }, 10_000), { ok: true });
      await eventually(
        `${parentId} started`,
        async () => {
          const now = Date.now() * 1000;
          const r = await command(f.nc, "execution-algo", parentId, {
            type: "StartAlgo",
            instrument: `${SYMBOL}.SIMX`,
            side,
            quantity: fromNumber(quantity),
            lotSize: fromNumber(1),
            limitPrice:
              side === "BUY"
                ? Math.max(...quotes.map((q) => q.ask)) + fromNumber(5)
                : Math.min(...quotes.map((q) => q.bid)) - fromNumber(5),
            // half a second between waves: the parent's book has every listing's quote by its first
            params: { algo: "SOR", venues: VENUES, checkEveryMs: 500 },
            book: "demo",
            strategy: "router-tester",
            tsEvent: now,
            tsInit: now,
          }).catch(() => undefined);
          return r?.ok ? r : undefined;
        },
        POLL,
      );
      const completed = await eventually(
        `${parentId} completed`,
        () => events.find((e) => e.type === "AlgoCompleted" && e.parentId === parentId),
        { timeoutMs: 60_000, everyMs: 200 },
      );
      t.equal(completed.filledQty, fromNumber(quantity), `${parentId} is filled`);
      const sent = events.filter((e) => e.type === "AlgoChildSent" && e.parentId === parentId);
      const venueOf = new Map(sent.map((e) => [e.clientOrderId as string, String(e.instrument).slice(SYMBOL.length + 1)]));
      const filledAt = (venue: string) =>
        events
          .filter((e) => e.type === "OrderFilled" && venueOf.get(e.clientOrderId as string) === venue)
          .reduce((s, e) => s + (e.lastQty as number), 0);
      await eventually(`${parentId}'s fills add up`, () => VENUES.reduce((s, v) => s + filledAt(v), 0) === fromNumber(quantity), POLL);
      return { sent, venueOf, filledAt };
    };

    await t.test("each wave goes to the venues best after fees and latency first, each child on its venue's tick", async (t) => {
      const { sent, filledAt } = await routed("demo-route-1", "BUY", 30);
      const venueOf = (e: Ev) => String(e.instrument).slice(SYMBOL.length + 1);
      const waves = [...new Set(sent.map((e) => e.tsEvent as number))].map((at) => sent.filter((e) => e.tsEvent === at));
      t.ok(new Set(waves[0]!.map(venueOf)).size >= 2, `the first wave is split (${waves[0]!.map(venueOf).join(", ")})`);
      // the rank: the touch after the taker fee, the latency and the miss cost at the venue's fill rate before the wave
      const filledOf = (id: string) =>
        events.filter((e) => e.type === "OrderFilled" && e.clientOrderId === id).reduce((s, e) => s + (e.lastQty as number), 0);
      const effective = (e: Ev) => {
        const venue = venueOf(e);
        const v = terms.get(venue)!;
        const before = sent.filter((c) => venueOf(c) === venue && (c.tsEvent as number) < (e.tsEvent as number));
        const rate = fillRate(
          {
            sent: before.reduce((s, c) => s + (c.quantity as number), 0),
            filled: before.reduce((s, c) => s + filledOf(c.clientOrderId as string), 0),
          },
          fromNumber(1),
        );
        const bps = v.takerFeeBps + (v.latencyUs / 1000) * LATENCY_BPS_PER_MS + (1 - rate) * MISS_COST_BPS;
        return (e.price as number) * (1 + bps / 10_000);
      };
      t.ok(
        waves.every((w) => w.every((e, i) => i === 0 || effective(w[i - 1]!) <= effective(e))),
        `every wave sent in the order of price after fees and latency (${waves.map((w) => w.map(venueOf).join("+")).join(", ")})`,
      );
      t.ok(
        sent.every((e) => (e.price as number) % terms.get(venueOf(e))!.tickSize === 0),
        "every child is priced on its venue's tick",
      );
      t.ok(
        VENUES.filter((v) => filledAt(v) > 0).length >= 2,
        `filled on several venues (${VENUES.map((v) => `${v} ${filledAt(v) / 1e8}`).join(", ")})`,
      );
    });

    await t.test("a venue that rejects is passed over and the rest fills on the others", async (t) => {
      const ts = Date.now() * 1000;
      const on = await command(f.nc, "venue", "SIMY", {
        type: "ActivateVenueKillSwitch",
        by: "router-tester",
        reason: "drill",
        tsEvent: ts,
        tsInit: ts,
      });
      t.match(on, { ok: true }, "SIMY refuses new orders");
      // a sell takes back the first parent's position, so no listing nears the demo book's position limit
      const { sent, venueOf, filledAt } = await routed("demo-route-2", "SELL", 30);
      const rejected = events.filter((e) => e.type === "OrderRejected" && venueOf.get(e.clientOrderId as string) === "SIMY");
      t.ok(rejected.length >= 1, "SIMY's child was rejected");
      t.equal(filledAt("SIMY"), 0, "nothing filled at SIMY");
      const firstRejection = Math.min(...rejected.map((e) => e.tsEvent as number));
      const after = sent.filter((e) => (e.tsEvent as number) > firstRejection);
      t.ok(after.length > 0, "the rest was routed again");
      t.ok(
        after.every((e) => venueOf.get(e.clientOrderId as string) !== "SIMY" || (e.tsEvent as number) > firstRejection + 5_000_000),
        "SIMY is passed over while held",
      );
      const off = await command(f.nc, "venue", "SIMY", {
        type: "ReleaseVenueKillSwitch",
        by: "router-tester",
        tsEvent: ts + 1,
        tsInit: ts + 1,
      });
      t.match(off, { ok: true });
    });

    await t.test("a venue whose session is down is passed over and the rest fills on the others", async (t) => {
      // SIMY's exchange gone and its connection logging on again: it cannot, so SIMY is not ready for new orders
      t.match(await admin(f.nc, "stop", { type: "AdminActorRequest", kind: "exchange", id: "SIMY" }, 10_000), { ok: true });
      t.match(await admin(f.nc, "restart", { type: "AdminActorRequest", kind: "venue", id: "SIMY" }, 10_000), { ok: true });
      await eventually("SIMY's connection down", async () => !(await venueReady(f.nc, "SIMY")), POLL);
      const { sent, venueOf, filledAt } = await routed("demo-route-3", "BUY", 30);
      const rejected = events.filter((e) => e.type === "OrderRejected" && venueOf.get(e.clientOrderId as string) === "SIMY");
      t.ok(rejected.length >= 1, `SIMY's child was rejected (${rejected.map((e) => e.message).join("; ")})`);
      t.equal(filledAt("SIMY"), 0, "nothing filled at SIMY");
      const firstRejection = Math.min(...rejected.map((e) => e.tsEvent as number));
      t.ok(
        sent.some((e) => (e.tsEvent as number) > firstRejection),
        "the rest was routed again",
      );
    });
  },
);
