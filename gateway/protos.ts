import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** The .proto files of the edge, loaded the same way by the gateway, its tests and its benchmark. */
export const protoRoot = fileURLToPath(new URL("../protos", import.meta.url));
export const protoFiles = [
  "alphamind/v1/trading.proto",
  "alphamind/v1/market_data.proto",
  "alphamind/v1/portfolio.proto",
  "alphamind/v1/risk.proto",
  "alphamind/v1/strategies.proto",
  "alphamind/v1/admin.proto",
  "alphamind/v1/models.proto",
  "alphamind/v1/backtests.proto",
  "grpc/health/v1/health.proto",
];

/**
 * int64 as JS numbers: microsecond timestamps stay below 2^53 until the year 2255. Enums as their names. Defaults
 * on, so absent proto3 scalars read as "" / 0 / false, which is what proto3 sends for them anyway.
 */
export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

export type ServiceName = "Trading" | "MarketData" | "Portfolio" | "Risk" | "Strategies" | "Admin" | "Models" | "Backtests";

export interface LoadedProtos {
  service(name: ServiceName): grpc.ServiceDefinition;
  health: grpc.ServiceDefinition;
  /** Client constructors, for tests and benchmarks. */
  client(name: ServiceName | "Health"): grpc.ServiceClientConstructor;
}

let cached: LoadedProtos | undefined;

export function loadProtos(): LoadedProtos {
  if (cached) return cached;
  const def = protoLoader.loadSync(protoFiles, loaderOptions);
  // grpc-js types a loaded package as a generic GrpcObject tree; the proto files fix its shape, the types cannot.
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    alphamind: { v1: Record<ServiceName, grpc.ServiceClientConstructor> };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const client = (name: ServiceName | "Health"): grpc.ServiceClientConstructor =>
    name === "Health" ? pkg.grpc.health.v1.Health : pkg.alphamind.v1[name];
  cached = {
    service: (name) => pkg.alphamind.v1[name].service,
    health: pkg.grpc.health.v1.Health.service,
    client,
  };
  return cached;
}
