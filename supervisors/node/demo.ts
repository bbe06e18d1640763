import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { formatFixed } from "../../actors/domain/index.ts";
import { Reply, storedSubject, subjects } from "../../actors/contract/index.ts";
import { decodeAs, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { instrumentCatalogue, SIM_SOURCE } from "../../actors/instrument/index.ts";
import type { ActorNode } from "./actor-node.ts";
import { DEMO_BOOK, demoStrategies } from "./kinds/demo-trading.ts";
import { DEMO_VENUES } from "./kinds/demo-venues.ts";

export interface DemoIo {
  nc: NatsConnection;
  log: Logger;
  /** how often the book's positions and P&L are logged; 0 = never */
  reportEveryMs?: number;
}

async function request(
  nc: NatsConnection,
  kind: string,
  id: string,
  message: Message,
  timeout: number,
): Promise<{ ok: boolean; result?: unknown; error?: { message: string } }> {
  const { data, headers } = encodeMessage(message);
  const r = await nc.request(subjects.cmd(kind, id), data, { headers, timeout });
  return decodeAs(Reply, r.data, r.headers);
}

const money = (v: unknown) => (typeof v === "bigint" || typeof v === "number" ? formatFixed(v) : String(v));

/**
 * Declares the demo market's actors (placement spreads them over the live nodes; ensure is idempotent): the feed
 * (instrument actors come from the definitions in KV, which main.ts seeds with the demo universe), a feature actor
 * per instrument, and the trading
 * loop on them: the three simulated exchanges (DEMO_VENUES), their venue connections, the demo risk
 * book and one strategy per sample, which it starts. The node logs the book's denials, the execution reports an order
 * refused, and, periodically, the book's positions and P&L. Returns a function that stops the logging.
 */
export async function startDemo(node: ActorNode, instruments: number, io?: DemoIo): Promise<() => void> {
  await node.ensure({ kind: "feed", id: SIM_SOURCE });
  // a feature actor per demo instrument: factors recorded, and fed to the models the model strategies trade on
  for (const id of instrumentCatalogue(instruments).keys()) await node.ensure({ kind: "features", id });
  if (!io || instruments === 0) return () => {};
  const { nc, log } = io;
  const strategies = demoStrategies(instrumentCatalogue(instruments));
  // the demo's three venues, each an exchange and our connection to it: the smart router's choice
  for (const { venue } of DEMO_VENUES) {
    await node.ensure({ kind: "exchange", id: venue });
    await node.ensure({ kind: "venue", id: venue });
  }
  await node.ensure({ kind: "risk-book", id: DEMO_BOOK });
  for (const s of strategies) await node.ensure({ kind: "strategy", id: s.id });
  // a regime detector on each instrument the demo trades
  for (const id of new Set(strategies.flatMap((s) => s.config.instruments.map((i) => i.id)))) await node.ensure({ kind: "regime", id });

  const subs: Subscription[] = [];
  const denials = new Map<string, { loggedAt: number; since: number }>();
  let stopped = false;
  subs.push(
    nc.subscribe(storedSubject(subjects.evt("risk-book", DEMO_BOOK, "OrderDenied")), {
      callback: (_e, m) => {
        const d = decodeMessage(m.data, m.headers, false).message as Record<string, unknown>;
        // A strategy that keeps wanting more than a limit allows is denied on every signal: log the first denial of
        // each strategy and reason, then how many followed, once a minute.
        const key = `${d.strategy}/${d.reason}`;
        const seen = denials.get(key);
        const now = Date.now();
        if (seen && now - seen.loggedAt < 60_000) {
          seen.since++;
          return;
        }
        denials.set(key, { loggedAt: now, since: 0 });
        log.warn("risk book denied an order", {
          book: DEMO_BOOK,
          order: d.clientOrderId,
          strategy: d.strategy,
          reason: d.reason,
          message: d.message,
          ...(seen?.since ? { alsoDeniedInTheLastMinute: seen.since } : {}),
        });
      },
    }),
  );
  // An execution the venue reported that its order refused is in no order's books: every one is an operator's to reconcile.
  for (const { venue } of DEMO_VENUES)
    subs.push(
      nc.subscribe(storedSubject(subjects.evt("venue", venue, "VenueReportRefused")), {
        callback: (_e, m) => {
          const r = decodeMessage(m.data, m.headers, false).message as Record<string, unknown>;
          log.error("an order refused its venue's execution report: reconcile it", {
            venue,
            order: r.clientOrderId,
            execId: r.execId,
            code: r.code,
            reason: r.reason,
          });
        },
      }),
    );
  // Strategies start once placed (perhaps on another node): retry until each answers.
  void (async () => {
    for (const s of strategies) {
      for (let attempt = 0; !stopped; attempt++) {
        const now = Date.now() * 1000;
        const r = await request(nc, "strategy", s.id, { type: "StartStrategy", reason: "demo", tsEvent: now, tsInit: now }, 1_000).catch(
          () => undefined,
        );
        if (r?.ok) {
          log.info("strategy started", {
            strategy: s.id,
            sample: s.definition.name,
            instruments: s.config.instruments.map((i) => i.id).join(","),
          });
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  })();
  const every = io.reportEveryMs ?? 15_000;
  const timer =
    every > 0
      ? setInterval(() => {
          const now = Date.now() * 1000;
          void request(nc, "risk-book", DEMO_BOOK, { type: "GetRiskReport", tsEvent: now, tsInit: now }, 2_000)
            .then((r) => {
              const rep = r.result as
                | {
                    positions: { instrument: string; quantity: number; unrealisedPnl: unknown; realisedPnl: unknown }[];
                    pnl: { net: unknown; fees: unknown };
                    pending: unknown[];
                  }
                | undefined;
              if (!r.ok || !rep) return;
              log.info("demo book", {
                book: DEMO_BOOK,
                positions: rep.positions.map((p) => `${p.instrument}:${formatFixed(p.quantity)}`).join(" ") || "flat",
                netPnl: money(rep.pnl.net),
                fees: money(rep.pnl.fees),
                openOrders: rep.pending.length,
              });
            })
            .catch(() => {});
        }, every)
      : undefined;
  timer?.unref?.();
  return () => {
    stopped = true;
    if (timer) clearInterval(timer);
    for (const s of subs) s.unsubscribe();
  };
}
