import { z } from "zod";

/**
 * The console's WebSocket protocol (JSON text frames). The browser is outside the trust boundary: every frame it
 * sends is parsed against `clientFrame`; bigints travel to it as decimal strings.
 */
const kind = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "an actor kind");
const id = z.string().min(1).max(128);
const reqId = z.number().int().nonnegative();
const modelName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "a model name");

export const ActorAction = { Restart: "restart", Stop: "stop", Quarantine: "quarantine", Release: "release" } as const;
export type ActorAction = (typeof ActorAction)[keyof typeof ActorAction];

export const clientFrame = z.union([
  z.object({ op: z.literal("hello"), token: z.string().min(1).max(8192) }),
  z.object({ op: z.literal("detail"), reqId, kind, id }),
  z.object({ op: z.literal("action"), reqId, action: z.enum(["restart", "stop", "release"]), kind, id }),
  z.object({ op: z.literal("action"), reqId, action: z.literal("quarantine"), kind, id, reason: z.string().trim().min(1).max(500) }),
  z.object({
    op: z.literal("killSwitch"),
    reqId,
    engage: z.boolean(),
    book: z.string().min(1).max(64),
    scope: z.enum(["BOOK", "GLOBAL"]).default("BOOK"),
    reason: z.string().trim().max(256).optional(),
  }),
  z.object({
    op: z.literal("proposal"),
    reqId,
    decision: z.enum(["approve", "reject"]),
    strategy: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "a strategy id"),
    proposalId: z.string().min(1).max(96),
    reason: z.string().trim().max(256).optional(),
  }),
  z.object({ op: z.literal("backtestReport"), reqId, id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a backtest run id") }),
  z
    .object({
      op: z.literal("venueKillSwitch"),
      reqId,
      activate: z.boolean(),
      venue: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "a venue id like SIMX"),
      reason: z.string().trim().max(256).optional(),
    })
    .refine((f) => !f.activate || !!f.reason, { path: ["reason"], message: "required to activate a venue kill switch" }),
  // a model's challenger, kept in the registry (as scripts/admin.ts and the gateway's StartChallenge keep it)
  z.object({
    op: z.literal("startChallenge"),
    reqId,
    model: modelName,
    version: z.number().int().min(1),
    mode: z.enum(["shadow", "canary"]),
    share: z.number().optional(),
  }),
  z.object({ op: z.literal("endChallenge"), reqId, model: modelName }),
]);
export type ClientFrame = z.output<typeof clientFrame>;

/** Close codes the page understands (4000–4999 are the application's). */
export const CloseCode = { Unauthorized: 4401, BadFrame: 4400, Shutdown: 4503 } as const;

/** JSON text of a value with bigints as decimal strings (Money is bigint; JSON has no 64-bit integers). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}

/** A frame as the page builds it: the server fills defaults (`scope`) when it parses. */
export type ClientFrameInput = z.input<typeof clientFrame>;

/*
 * Frames the server pushes, as the page reads them (after JSON: bigints are decimal strings, fixed-point values are
 * formatted decimals). Only the fields the page uses are named; actors and risk reports carry more.
 */

/** Fixed-point values arrive formatted (decimal strings); counts and rates as numbers. */
export type Decimal = string | number;

/** One actor as its node's admin tree reports it (status, stats, a summary of its context). */
export interface ActorView {
  kind: string;
  id: string;
  status?: string;
  state?: unknown;
  context?: unknown;
  restarts?: number;
  mailbox?: number;
  processed?: number;
  deadLettered?: number;
  busyRefusals?: number;
  /** journal events its last restore replayed after its snapshot */
  replayed?: number;
  lastError?: string;
  startedAt?: number;
  reason?: string;
}

/** One node's answer to am.admin.tree: its cells, their kinds and actors, its supervisor and quarantine. */
export interface NodeTree {
  node: string;
  liveNodes?: string[];
  supervisor?: { id: string; status: string; restarts: number }[];
  cells?: { cell: number; status: string; kinds?: { kind: string; actors?: ActorView[] }[] }[];
  quarantined?: { key: string; reason: string }[];
}

/** An actor lifecycle event (am.sys) as the console shows it. */
export interface LifecycleRow {
  event: string;
  node: string;
  kind: string;
  id: string;
  restarts: number;
  reason?: string;
  tsEvent: number;
}

/** The latest top of book of an instrument (am.md.quote), conflated per push. */
export interface QuoteRow {
  instrument: string;
  bid: string;
  ask: string;
  bidSize: string;
  askSize: string;
  mid: string;
  spreadBps: number;
  crossed: boolean;
  seq: number;
  tsEvent: number;
  updates: number;
}

/** An order event (am.evt.order) with the instrument and side remembered from its submission. */
export interface OrderRow {
  event: string;
  clientOrderId: string;
  tsEvent?: number;
  instrument?: string;
  side?: string;
  quantity?: Decimal;
  price?: Decimal;
  lastQty?: Decimal;
  lastPx?: Decimal;
  cumQty?: Decimal;
  leavesQty?: Decimal;
  avgPx?: Decimal;
  reason?: string;
  message?: string;
  cause?: string;
  liquidity?: string;
  orderType?: string;
}

export interface KillSwitchView {
  engaged?: boolean;
  scope?: string;
  by?: string;
  reason?: string;
  tsEvent?: number;
}

export interface PositionRow {
  instrument: string;
  leg?: string;
  quantity: Decimal;
  avgPrice?: Decimal;
  mark?: Decimal;
  unrealisedPnl?: Decimal;
  realisedPnl?: Decimal;
}

export interface RiskReportView {
  killSwitch?: { book?: KillSwitchView; global?: KillSwitchView };
  pnl?: Partial<Record<"equity" | "net" | "daily" | "drawdown" | "realised" | "unrealised" | "fees" | "cash", Decimal>>;
  positions?: PositionRow[];
  limits?: { limit: string; usedPct: number; level: string }[];
}

export interface RiskAlertRow {
  event: string;
  tsEvent?: number;
  limit?: string;
  value?: Decimal;
  threshold?: Decimal;
  message?: string;
  reason?: string;
  by?: string;
}

export interface BookFrame {
  book: string;
  positions?: PositionRow[];
  alerts: RiskAlertRow[];
  killSwitch: KillSwitchView | null;
  report: RiskReportView | null;
  reportError: string | null;
}

/** A proposal of a strategy in approval mode, waiting for an operator (ProposalMade). */
export interface ProposalView {
  proposalId: string;
  strategy: string;
  book: string;
  createdUs: number;
  expiresUs: number;
  proposal: {
    method: string;
    capital: number;
    objective: Record<string, number>;
    trades: {
      instrument: string;
      currentQuantity: number;
      targetQuantity: number;
      currentWeight: number;
      targetWeight: number;
      estimatedCost: number;
    }[];
  };
}

/** A section of a book's risk analytics: its figures, or why it has none yet. */
export type AnalyticsSection<T> = ({ available: true } & T) | { available: false; reason: string };

/** A book's risk analytics as the page reads them (actors/risk-book/analytics-report.ts; only what it shows). */
export interface RiskAnalyticsView {
  book: string;
  asOfUs: number;
  valueAtRisk: AnalyticsSection<{
    confidence: number;
    samples: number;
    estimates: { method: string; valueAtRisk: number; expectedShortfall: number; note?: string }[];
  }>;
  backtest: AnalyticsSection<{
    observations: number;
    exceptions: number;
    kupiec: { pValue: number; rejected: boolean };
    christoffersen: { independence: { pValue: number; rejected: boolean }; conditionalCoverage: { pValue: number; rejected: boolean } };
    trafficLight: { zone: string; cumulativeProbability: number };
  }>;
  stress: AnalyticsSection<{
    scenarios: { scenario: string; kind: string; pnl: number; limits: { limit: string; usedPct: number; breached: boolean }[] }[];
    reverse: { limit: string; scenario: string; scale: number | null }[];
    note?: string;
  }>;
  counterparty: AnalyticsSection<{
    counterparties: {
      counterparty: string;
      times: number[];
      expectedExposure: number[];
      potentialFutureExposure: number[];
      cva: number;
      /** the venue's CSA (threshold, MTA, IA in currency; MPoR in business days); null = uncollateralised */
      collateral?: { threshold: number; minimumTransfer: number; independentAmount: number; marginPeriodDays: number } | null;
    }[];
  }>;
}

export interface StreamHealth {
  name: string;
  messages: number;
  bytes: number;
  consumers: number;
  firstSeq: number;
  lastSeq: number;
  /** the stream's byte limit, 0 when it has none */
  maxBytes: number;
  /** once full it refuses new messages (discard new), rather than drop its oldest */
  refusesWhenFull: boolean;
  /** it refuses new messages once full and is close to it (a reason in the health) */
  nearlyFull: boolean;
}

/** Nodes and actors as the supervision tree and the declared actors (config `actors.>`) show them. */
export interface ClusterHealth {
  ok: boolean;
  /** nodes that answered the tree or are live in placement */
  nodes: string[];
  /** actors running in some cell */
  running: number;
  /** actors declared to run somewhere; absent when the declarations could not be read */
  declared?: number;
  /** declared actors no node runs (kind/id), quarantined ones excepted */
  missing: string[];
  quarantined: string[];
}

/**
 * What the console's health panel shows; a probe that fails says why instead of throwing. `status` is "degraded"
 * whenever `reasons` has an entry: every probe and check adds its own, so a new check is one more reason.
 */
export interface Health {
  at: number;
  status: "ok" | "degraded";
  reasons: string[];
  cluster?: ClusterHealth;
  nats: { ok: boolean; server?: string; version?: string; rttMs?: number; healthz?: string; error?: string };
  jetstream: { ok: boolean; streams: StreamHealth[]; error?: string };
  questdb: { ok: boolean; configured: boolean; latencyMs?: number; error?: string };
}

/** One registered version of a model (registry KV am-model-cards). */
export interface ModelVersionView {
  version: number;
  stage: "promoted" | "registered" | "retired";
  registeredBy: string;
  registeredAtUs?: number;
  /** the card's holdout information coefficient, where it has one */
  ic?: number;
  /** what it learned from and who made it: the dataset (name, content hash) and the training job, where a job did */
  lineage?: { dataset: string; datasetSha256: string; job?: string };
}

/** A training job as the models panel shows it: progress and each trial's out-of-sample figure fold by fold. */
export interface TrainingJobRow {
  job: string;
  phase: "running" | "registered" | "cancelled" | "failed";
  model: string;
  name: string;
  version: number;
  dataset: string;
  datasetSha256: string;
  /** share of the (trial, fold) fits done, in [0, 1] */
  progress: number;
  /** the figure the job selects on (ic for gbt, pinball for seq) */
  metric: string;
  /** the validation curves: curves[trial][fold], null where the fold is not scored yet */
  curves: (number | null)[][];
  selectedTrial?: number;
  attempts: number;
  startedBy: string;
  startedAtUs: number;
  error?: string;
}

/** A model actor's latest report of its service (am.sys.model-stats.<model>, once a second while it answers). */
export interface ModelServingView {
  version: number;
  provider: string;
  served: number;
  batches: number;
  failures: number;
  queued: number;
  /** requests the latency quantiles cover */
  window: number;
  latencyP50Us?: number;
  latencyP99Us?: number;
  meanBatch?: number;
  swapRefused?: string;
  /** the version tried beside it, as the actor reports it (ModelServingReported.challenger) */
  challenger?: ChallengerView;
  /** why the last challenger was refused or dropped */
  challengerRefused?: string;
  /** when the report came (ms since the epoch): an idle actor stops reporting */
  reportedAt: number;
}

/** A challenger's figures as its actor reports them: the comparison in shadow, the requests answered as a canary. */
export interface ChallengerView {
  version: number;
  mode: "shadow" | "canary";
  share?: number;
  canaryServed?: number;
  loaded: boolean;
  compared: number;
  meanAbsDiff?: number;
  maxAbsDiff?: number;
  /** share of compared values with the serving version's sign */
  signAgreement?: number;
  /** mean inference time per batch of each side, µs */
  championRunUs?: number;
  challengerRunUs?: number;
  failures: number;
}

/** A model's challenge as the registry keeps it (what every node serving the model runs). */
export interface ModelChallengeView {
  version: number;
  mode: "shadow" | "canary";
  share?: number;
  startedBy: string;
  startedAtUs: number;
}

/** A model: its registered versions and its actor's latest report (none before it answered a request). */
export interface ModelRow {
  name: string;
  promoted?: number;
  /** the challenge the registry holds for it */
  challenge?: ModelChallengeView;
  versions: ModelVersionView[];
  serving: ModelServingView | null;
}

export interface ModelsFrame {
  models: ModelRow[];
  /** training jobs, newest first (the last 20) */
  jobs: TrainingJobRow[];
  /** why the registry could not be read (the rows then come from the actors' reports only) */
  registryError: string | null;
  at: number;
}

export interface ReplyError {
  code: string;
  message: string;
}

/** The answer to a control (`result`) or an actor's status (`detail.status`). */
export interface ControlReply {
  ok: boolean;
  result?: unknown;
  error?: ReplyError;
  what?: string;
}

/** A backtest submitted to the node (gRPC Backtests), as supervisors/backtest's BacktestRunStatus. */
export interface BacktestRunView {
  id: string;
  name: string;
  state: string;
  startUs: number;
  endUs: number;
  simulatedUs: number;
  records: number;
  error?: string;
  submittedBy: string;
  submittedAtUs: number;
}

/** The node's backtests, newest first, with their progress. */
export interface BacktestsFrame {
  runs: BacktestRunView[];
  at: number;
}

/** A finished run's report (BacktestResult's figures) and its equity and drawdown curves, [timeMs, value][] (thinned). */
export interface BacktestReportView {
  name: string;
  startUs: number;
  endUs: number;
  records: number;
  wallMs: number;
  cpuMs: number;
  orders: number;
  fills: number;
  fees: number;
  initialEquity: number;
  finalEquity: number;
  pnl: number;
  journal: { sha256: string; events: number };
  performance: Record<string, number>;
  equity: [number, number][];
  drawdown: [number, number][];
}

export type ServerFrame =
  | { type: "welcome"; sub: string; role: string; exp: number; canOperate: boolean; controlRole: string }
  | { type: "authError"; reason: string; message: string }
  | {
      type: "snapshot";
      tree: NodeTree[];
      treeAt: number;
      lifecycle: LifecycleRow[];
      quotes: (QuoteRow & { history: [number, number][] })[];
      orders: OrderRow[];
      books: BookFrame[];
      health: Health | null;
      models: ModelsFrame | null;
      analytics: { book: string; analytics: RiskAnalyticsView }[];
      proposals: ProposalView[];
    }
  | { type: "tree"; nodes: NodeTree[]; at: number }
  | { type: "lifecycle"; event: LifecycleRow }
  | { type: "audit"; at: number; sub: string; what: string; ok: boolean; error?: string }
  | { type: "quotes"; quotes: QuoteRow[]; at: number }
  | { type: "orders"; orders: OrderRow[] }
  | ({ type: "book" } & BookFrame)
  | { type: "health"; health: Health }
  | ({ type: "models" } & ModelsFrame)
  | { type: "analytics"; book: string; analytics: RiskAnalyticsView }
  | { type: "proposals"; proposals: ProposalView[] }
  | { type: "detail"; reqId: number; kind: string; id: string; status: ControlReply; events: LifecycleRow[] }
  | ({ type: "result"; reqId: number; what: string } & ControlReply)
  | ({ type: "backtests" } & BacktestsFrame)
  | { type: "backtestReport"; reqId: number; id: string; report?: BacktestReportView; error?: string }
  | { type: "error"; message: string };
