import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { ModelRegistry } from "../infra/models/index.ts";
import { admin, startNodeProcess } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

type Ev = { type: string; [k: string]: unknown };

// with seven demo instruments or more, the demo's model-forecast strategy trades SIM006, its signal blend SIM007
const FORECAST_INSTRUMENT = { venue: "SIMX", symbol: "SIM006" };

t.test(
  "the demo deploys the committed model from the registry, and feature actors feed it forecasts the model strategy runs on",
  async (t) => {
    const f = await startTestServers(t);
    const node = startNodeProcess(t, "node-m", {
      AM_NATS_URL: f.infra.natsUrl,
      AM_DEMO_INSTRUMENTS: "7",
      AM_CELLS: "1",
      AM_FEATURES_BAR_TYPE: "1s",
    });
    const factors: Ev[] = [];
    const forecasts: Ev[] = [];
    const listen = (subject: string, into: Ev[]) => {
      const sub = f.nc.subscribe(subject, {
        callback: (_e, m) => {
          into.push(decodeMessage(m.data, m.headers, true).message as Ev);
        },
      });
      t.teardown(() => sub.unsubscribe());
    };
    listen(subjects.md("features", FORECAST_INSTRUMENT), factors);
    listen(subjects.signal("gbt-return-5f", FORECAST_INSTRUMENT), forecasts);
    await node.waitFor(/node up/, 60_000);

    const registry = await ModelRegistry.open(f.nc);
    t.match(
      (await registry.list()).filter((m) => m.promoted).map((m) => [m.name, m.version, m.registeredBy]),
      [
        ["gbt-return-5f", 1, "committed models (models/)"],
        ["seq-return-16", 1, "committed models (models/)"],
      ],
      "main registered and promoted the committed models",
    );

    // 21 one-second bars before the first factors
    const forecast = await eventually("a forecast of SIM006 from the model actor", () => forecasts[0], { timeoutMs: 60_000 });
    t.match(forecast, { type: "ModelForecast", model: "gbt-return-5f", version: 1, instrument: "SIM006.SIMX", barType: "1s" });
    t.ok(
      factors.some((x) => x.tsEvent === forecast.tsEvent),
      "the forecast carries the time of the bar whose factors it comes from",
    );
    const orders: Ev[] = [];
    listen(subjects.evtAll("order"), orders);
    const status = async (id: string) =>
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind: "strategy", id }, 1_000).catch(() => undefined))?.result as
        | { context?: { state?: string } }
        | undefined;
    // its lookback is 20 forecasts
    await eventually(
      "the model-forecast strategy primed by the forecasts",
      async () => (await status("forecast-1"))?.context?.state === "running",
      {
        timeoutMs: 60_000,
      },
    );
    const order = await eventually(
      "an order of the model-forecast strategy on a confident forecast",
      () => orders.find((e) => e.type === "OrderSubmitted" && String(e.clientOrderId).startsWith("forecast-1.")),
      { timeoutMs: 90_000 },
    );
    t.match(order, { instrument: "SIM006.SIMX", book: "demo" }, "through the demo risk book like any strategy");
  },
);
