import { z } from "zod";

/**
 * Every setting of a node, with its default and a line of documentation. The README's configuration table is
 * generated from this list (`npm run docs:config`), so the two never drift.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

export const settings = {
  host: { schema: z.string().min(1), default: "127.0.0.1", doc: "Address local servers bind to" },
  natsUrl: {
    schema: z.string().regex(/^nats:\/\/[^\s]+$/, "must look like nats://host:port").optional(),
    default: undefined,
    doc: "Connect to this NATS server instead of starting a local one",
  },
  natsPort: { schema: port, default: 4222, doc: "Client port of the local nats-server" },
  natsMonitorPort: { schema: port, default: 8222, doc: "HTTP monitoring port of the local nats-server" },
  questdbUrl: {
    schema: z.string().regex(/^https?:\/\/[^\s]+$/, "must look like http://host:port").optional(),
    default: undefined,
    doc: "Use this QuestDB (HTTP endpoint) instead of starting a local one",
  },
  questdbHttpPort: { schema: port, default: 9000, doc: "QuestDB HTTP port: REST SQL, ILP over HTTP, web console" },
  questdbPgPort: { schema: port, default: 8812, doc: "QuestDB PostgreSQL wire port" },
  questdbHeapMb: { schema: z.coerce.number().int().min(256).max(65536), default: 1024, doc: "QuestDB JVM heap" },
  varDir: { schema: z.string().min(1), default: "var", doc: "Data of local servers (NATS store, QuestDB)" },
  cacheDir: {
    schema: z.string().min(1),
    default: "~/.cache/alphamind",
    doc: "Per-user cache of installed tools (nats-server, QuestDB jar)",
  },
  nodeId: { schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ only").optional(), default: undefined, doc: "Name of this node in the cluster (default: host-pid)" },
  logLevel: { schema: z.enum(["debug", "info", "warn", "error"]), default: "info", doc: "Least severe log level written" },
  startInfra: { schema: bool, default: true, doc: "Start local nats-server and QuestDB as child processes" },
  cells: { schema: z.coerce.number().int().min(1).max(64), default: 2, doc: "Worker-thread cells hosting this node's actors" },
  hangBudgetMs: { schema: z.coerce.number().int().min(50).max(60_000), default: 1000, doc: "A cell silent this long is ended by the watchdog" },
  kinds: { schema: z.string().min(1), default: "supervisors/node/kinds.ts", doc: "Module (path from the repository root) exporting the actor kinds this node hosts" },
  demoInstruments: { schema: z.coerce.number().int().min(0).max(5000), default: 50, doc: "Instruments of the demo market (SIM001.SIMX…, stored in KV when absent; simulator feed and demo trading); 0 = no demo" },
  instrumentsFile: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "JSON file of instrument definitions stored in KV (am-instruments) at start, replacing those ids; a bad file stops start-up",
  },
  gatewayPort: { schema: z.coerce.number().int().min(0).max(65535), default: 50051, doc: "gRPC gateway port; 0 = no gateway on this node" },
  gatewayJwtSecret: {
    schema: z.string().min(32, "must be at least 32 characters").optional(),
    default: undefined,
    doc: "HS256 secret of bearer tokens (gateway and console); default: generated once into <varDir>/jwt-secret",
  },
  gatewayTlsCert: { schema: z.string().min(1).optional(), default: undefined, doc: "PEM certificate file: the gateway serves TLS (with gatewayTlsKey)" },
  gatewayTlsKey: { schema: z.string().min(1).optional(), default: undefined, doc: "PEM private key file of gatewayTlsCert" },
  gatewayRatePerSecond: { schema: z.coerce.number().min(1).max(1_000_000), default: 2000, doc: "Requests per second allowed to one principal" },
  gatewayRateBurst: { schema: z.coerce.number().int().min(1).max(1_000_000), default: 4000, doc: "Burst of requests allowed to one principal" },
  consolePort: { schema: z.coerce.number().int().min(0).max(65535), default: 8090, doc: "Admin console (web page + WebSocket) port; 0 = no console on this node" },
  replicas: { schema: z.coerce.number().int().min(1).max(5), default: 1, doc: "JetStream replicas of streams and buckets (3 in a cluster)" },
} as const;

export type SettingName = keyof typeof settings;
/** The loaded configuration; nodeId always has a value after loading (host-pid by default). */
export type Config = { [K in SettingName]: z.output<(typeof settings)[K]["schema"]> } & { nodeId: string };
