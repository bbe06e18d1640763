import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { defaultAudience, defaultIssuer } from "./auth.ts";
import { CommandBus } from "./commands.ts";
import { OrderProjection } from "./order-view.ts";
import { loadProtos, type ServiceName } from "./protos.ts";
import { defaultRateLimit, RateLimiter } from "./rate-limit.ts";
import { addReflection } from "./reflection.ts";
import { type Guard, implement, roleTable, type ServiceRpcs } from "./rpc.ts";
import { adminRpcs } from "./services/admin.ts";
import { backtestRpcs } from "./services/backtests.ts";
import type { Services } from "./services/context.ts";
import { HealthService } from "./services/health.ts";
import { marketDataRpcs } from "./services/market-data.ts";
import { modelRpcs } from "./services/models.ts";
import { portfolioRpcs } from "./services/portfolio.ts";
import { riskRpcs } from "./services/risk.ts";
import { strategyRpcs } from "./services/strategies.ts";
import { tradingRpcs } from "./services/trading.ts";
import { venueKillSwitchRpcs } from "./services/venue-kill-switch.ts";
import { orderListRpcs } from "./services/order-lists.ts";
import { algoRpcs } from "./services/algos.ts";
import { defaultStreams, type GatewayOptions } from "./settings.ts";
import type { SinkStats } from "./stream-sink.ts";
import { errorMessage } from "../actors/contract/index.ts";
import { PredictClient } from "../infra/models/index.ts";

export { type AuthSettings, mintToken, parseTtl, type Principal, Role, roles } from "./auth.ts";
export type { BacktestPerformance, BacktestRunner, BacktestRunReport, BacktestRunState, BacktestRunStatus } from "./backtests.ts";
export type { BarHistory, HistoricalBar, HistoricalOrder } from "./history.ts";
export { loaderOptions, loadProtos, protoFiles, protoRoot, type ServiceName } from "./protos.ts";
export type { RateLimitSettings } from "./rate-limit.ts";
export type { GatewayOptions, StreamSettings, TlsSettings } from "./settings.ts";
export type { TrainingJobPhase, TrainingJobRunner, TrainingJobView } from "./training.ts";

export interface RunningGateway {
  port: number;
  /** live server streams: how much each holds and has dropped (flow control made visible) */
  streamStats(): SinkStats[];
  stop(): Promise<void>;
}

function serviceTables(s: Services): Record<ServiceName, ServiceRpcs> {
  return {
    Trading: { ...tradingRpcs(s), ...venueKillSwitchRpcs(s), ...orderListRpcs(s), ...algoRpcs(s) },
    MarketData: marketDataRpcs(s),
    Portfolio: portfolioRpcs(s),
    Risk: riskRpcs(s),
    Strategies: strategyRpcs(s),
    Admin: adminRpcs(s),
    Models: modelRpcs(s),
    Backtests: backtestRpcs(s),
  };
}

/** The least role of every RPC (generated into gateway/README.md's table). */
export function rpcRoles() {
  const none = undefined as unknown as Services;
  return roleTable(serviceTables(none));
}

function credentials(o: GatewayOptions): grpc.ServerCredentials {
  if (!o.tls) return grpc.ServerCredentials.createInsecure();
  const read = (field: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`gateway tls.${field}: cannot read ${path}: ${errorMessage(e)}`);
    }
  };
  const ca = o.tls.clientCaFile ? read("clientCaFile", o.tls.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: read("certFile", o.tls.certFile), private_key: read("keyFile", o.tls.keyFile) }],
    ca !== null,
  );
}

/** Starts the gRPC edge on `host:port` over the given NATS connection. */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const protos = loadProtos();
  const guard: Guard = {
    auth: { secret: o.jwtSecret, issuer: o.jwtIssuer ?? defaultIssuer, audience: o.jwtAudience ?? defaultAudience },
    limiter: new RateLimiter(o.rateLimit ?? defaultRateLimit),
    tokens: new Map(),
  };
  if (new TextEncoder().encode(o.jwtSecret).length < 32) throw new Error("gateway jwtSecret: must be at least 32 bytes for HS256");
  const orders = new OrderProjection();
  orders.start(o.nc);
  const defaultTimeoutMs = o.defaultTimeoutMs ?? 5_000;
  const bus = new CommandBus(o.nc, defaultTimeoutMs);
  const predictions = new PredictClient(o.nc);
  const services: Services = {
    nc: o.nc,
    bus,
    predictions,
    defaultTimeoutMs,
    orders,
    history: o.history,
    backtests: o.backtests,
    training: o.training,
    streams: { ...defaultStreams, ...o.streams },
    sinks: new Set(),
  };
  // Channelz (per-call counters and traces for the channelz admin service, which this server does not offer) costs
  // work on every call.
  const server = new grpc.Server({ "grpc.max_receive_message_length": 1 << 20, "grpc.enable_channelz": 0 });
  const tables = serviceTables(services);
  for (const [name, rpcs] of Object.entries(tables) as [ServiceName, ServiceRpcs][]) {
    server.addService(protos.service(name), implement(name, rpcs, guard));
  }
  const health = new HealthService(Object.keys(tables).map((n) => `alphamind.v1.${n}`));
  server.addService(protos.health, health.implementation());
  // Server reflection lets grpcurl and similar tools list and call the services without the .proto files.
  addReflection(server);
  const watching = (async () => {
    for await (const s of o.nc.status()) {
      if (s.type === "disconnect") health.set(false);
      else if (s.type === "reconnect") health.set(true);
    }
  })();
  const host = o.host ?? "127.0.0.1";
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${o.port}`, credentials(o), (err, p) =>
      err ? reject(new Error(`gateway cannot listen on ${host}:${o.port}: ${err.message}`)) : resolve(p),
    ),
  );
  return {
    port,
    streamStats: () => [...services.sinks].map((s) => ({ ...s.stats })),
    async stop() {
      health.set(false);
      health.close();
      for (const sink of services.sinks) sink.end();
      orders.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      bus.close();
      predictions.close();
      void watching;
    },
  };
}
