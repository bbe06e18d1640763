import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { asPrice, priceOf, quantityOf } from "../../actors/domain/index.ts";
import { SeededRandom } from "../../actors/exchange/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { instrumentDefinitionSchema } from "../../actors/instrument/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { decodeMessage } from "../../infra/nats/codec.ts";
import { openInstrumentBucket, putDefinitions } from "../../infra/nats/index.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "../../infra/questdb/index.ts";
import { publishReplayFeed } from "../../infra/questdb/replay-source.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { createLogger } from "../../infra/telemetry/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { ActorNode } from "../node/actor-node.ts";
import { admin, command } from "../node/testing.ts";
import { parseRunConfig } from "./run-config.ts";
import { Backtest } from "./runner.ts";

// The node's kinds read the configuration from the environment: no demo market beside the test's instrument.
process.env.AM_DEMO_INSTRUMENTS = "0";

const INSTRUMENT = "PAR001.SIMX";
const BOOK = "parity";
const STRATEGY = "meanrev-parity";
const QUOTES = 240;
const T0 = Date.parse("2024-03-05T14:30:00Z") * 1000;
const instrument = { id: INSTRUMENT, assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" } as const;
const parameters = { lookback: 12, entryZ: 1.4, exitZ: 0.3, maxPosition: 10, source: "mid" };

/** A seeded random walk of quotes, one a second of data time, two ticks wide. */
function market(): ReplayRecord[] {
  const rng = new SeededRandom(11);
  let mid = 10_000;
  return Array.from({ length: QUOTES }, (_, i) => {
    mid += rng.int(5) - 2;
    const ts = T0 + i * 1_000_000;
    return {
      type: "RawQuote",
      instrument: INSTRUMENT,
      bid: asPrice((mid - 1) * priceOf(0.01)),
      bidSize: quantityOf(500),
      ask: asPrice((mid + 1) * priceOf(0.01)),
      askSize: quantityOf(500),
      tsEvent: ts,
      tsInit: ts,
    } as ReplayRecord;
  });
}

interface Decision {
  type: string;
  clientOrderId: string;
  [field: string]: unknown;
}

/** The decisions to compare: each order's terms and each fill, by the order's place in the run (ids differ by session). */
function decisions(events: Decision[]): { orders: unknown[]; fills: unknown[] } {
  const index = new Map<string, number>();
  const orders: unknown[] = [];
  const fills: unknown[] = [];
  for (const e of events) {
    if (e.type === "OrderSubmitted") {
      index.set(e.clientOrderId, orders.length);
      orders.push([e.instrument, e.side, e.orderType, e.quantity, e.price ?? null, e.timeInForce]);
    } else if (e.type === "OrderFilled") fills.push([index.get(e.clientOrderId), e.lastQty, e.lastPx, String(e.fee)]);
  }
  return { orders, fills };
}

t.test(
  "a strategy traded live on a replayed feed, recorded to QuestDB by the platform, backtests on the recording to the same orders and fills",
  async (t) => {
    const f = await startTestServers(t, { questdb: true });
    const url = f.infra.questdbUrl ?? "";
    await declareTables(url);
    await putDefinitions(await openInstrumentBucket(f.nc), [instrumentDefinitionSchema.parse(instrument)]);
    const quiet = createLogger({ write: () => {} });
    const recorder = new Recorder({ nc: f.nc, questdbUrl: url, lingerMs: 50, statsIntervalMs: 0, log: quiet });
    await recorder.start();
    t.teardown(() => recorder.stop());
    const node = new ActorNode({
      nc: f.nc,
      natsUrl: f.infra.natsUrl,
      node: "live",
      kindsModule: pathToFileURL(`${repoRoot}supervisors/node/kinds.ts`).href,
      cells: 1,
      hangBudgetMs: 5_000,
      log: quiet,
      logLevel: "error",
    });
    await node.start();
    t.teardown(() => node.stop());

    const orderEvents: Decision[] = [];
    const sub = f.nc.subscribe(subjects.evtAll("order"), {
      callback: (_e, m) => {
        orderEvents.push(decodeMessage(m.data, m.headers, false).message as unknown as Decision);
      },
    });
    t.teardown(() => sub.unsubscribe());
    let quotesSeen = 0;
    const quotes = f.nc.subscribe(subjects.md("quote", { venue: "SIMX", symbol: "PAR001" }), {
      callback: () => {
        quotesSeen++;
      },
    });
    t.teardown(() => quotes.unsubscribe());

    // the trading loop on the test's instrument: its book with the strategy (started with it), the exchange and the venue connection
    for (const kind of ["instrument", "exchange", "venue"] as const) {
      const id = kind === "instrument" ? INSTRUMENT : "SIMX";
      t.equal((await admin(f.nc, "spawn", { type: "AdminActorRequest", kind, id }, 30_000)).ok, true, `${kind} ${id} spawned`);
    }
    const deployed = await admin(
      f.nc,
      "deploy",
      {
        type: "AdminDeployRequest",
        kind: "risk-book",
        id: BOOK,
        config: {
          initialCash: "1000000",
          instruments: [{ id: INSTRUMENT }],
          strategies: { [STRATEGY]: { strategy: "mean-reversion", instruments: [{ id: INSTRUMENT }], parameters } },
        },
      },
      30_000,
    );
    t.equal(deployed.ok, true, `book and strategy deployed (${JSON.stringify(deployed.error ?? "")})`);
    const status = async (kind: string, id: string) =>
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 2_000).catch(() => undefined))?.result as
        | { state?: unknown; context?: { state?: string; openOrders?: number } }
        | undefined;
    await eventually("the venue connection logged on", async () => (await status("venue", "SIMX"))?.state === "ready", {
      timeoutMs: 30_000,
    });
    await eventually(
      "the strategy started",
      async () => {
        const s = await status("strategy", STRATEGY);
        // started: warming up on the first quotes, then trading
        return s?.context?.state === "warmingUp" || s?.context?.state === "running" ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );

    // Lockstep replay: each quote goes out once the platform has settled the one before, so no order races the next
    // quote. This is the parity condition: a backtest with no latency model assumes each decision reaches the
    // exchange before the market moves. Settled: a StartStrategy (a no-op for a started strategy) is answered after
    // the quote ahead of it in the strategy's mailbox, and then the strategy has no order open.
    for (const [i, r] of market().entries()) {
      await publishReplayFeed(f.nc, [r], { speed: "max" });
      await eventually("the instrument's quote", () => quotesSeen > i, { timeoutMs: 10_000, everyMs: 2 });
      const now = Date.now() * 1000;
      const barrier = await command(f.nc, "strategy", STRATEGY, { type: "StartStrategy", tsEvent: now, tsInit: now }, 10_000);
      if (!barrier.ok) throw new Error(`the strategy refused the barrier after quote ${i + 1}: ${JSON.stringify(barrier.error)}`);
      await eventually(
        `the strategy's orders of quote ${i + 1} done`,
        async () => (await status("strategy", STRATEGY))?.context?.openOrders === 0,
        { timeoutMs: 20_000, everyMs: 5 },
      );
    }
    const live = decisions(orderEvents);
    t.ok(live.orders.length >= 4, `the strategy traded live (${live.orders.length} orders, ${live.fills.length} fills)`);

    // what the platform recorded is the backtest's data
    await eventually(
      "every quote recorded",
      async () => {
        await walApplied(url, "quotes", { written: true });
        const n = rowsOf(await questdbSql(url, `SELECT count() n FROM quotes WHERE venue = 'SIMX' AND symbol = 'PAR001'`))[0]?.n;
        return n === QUOTES;
      },
      { timeoutMs: 30_000 },
    );
    const dir = mkdtempSync(join(tmpdir(), "parity-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const config = parseRunConfig({
      name: "parity",
      start: T0,
      end: T0 + QUOTES * 1_000_000,
      instruments: [instrument],
      data: { kind: "questdb", url, quotes: true },
      strategies: [{ id: STRATEGY, sample: "mean-reversion", channels: ["quote"], parameters }],
      book: { id: BOOK, initialCash: "1000000" },
    });
    const journalPath = join(dir, "events.jsonl");
    const bt = new Backtest(config, { journalPath });
    const result = await bt.run();
    t.equal(result.records, QUOTES, "the backtest read every recorded quote");
    const journal = readFileSync(journalPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Decision & { subject: string })
      .filter((e) => e.subject.startsWith("am.evt.order."));
    const backtest = decisions(journal);
    t.same(backtest.orders, live.orders, "the same orders, in the same order");
    t.same(backtest.fills, live.fills, "the same fills: quantity, price and fee");
    const held = (await status("strategy", STRATEGY))?.context as { positions?: { instrument: string; quantity: number }[] } | undefined;
    t.equal(
      bt.account.position(INSTRUMENT),
      held?.positions?.find((p) => p.instrument === INSTRUMENT)?.quantity,
      "the backtest ends with the live strategy's position",
    );
  },
);
