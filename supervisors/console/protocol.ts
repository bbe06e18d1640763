import { z } from "zod";

/**
 * The console's WebSocket protocol (JSON text frames). The browser is outside the trust boundary: every frame it
 * sends is parsed against `clientFrame`; bigints travel to it as decimal strings.
 */
const kind = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "an actor kind");
const id = z.string().min(1).max(128);
const reqId = z.number().int().nonnegative();

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

export interface TreeActor {
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
  lastError?: string;
  startedAt?: number;
  reason?: string;
}

export interface TreeNode {
  node: string;
  liveNodes?: string[];
  supervisor?: { id: string; status: string; restarts: number }[];
  cells?: { cell: number; status: string; kinds?: { kind: string; actors?: TreeActor[] }[] }[];
  quarantined?: { key: string; reason: string }[];
}

export interface LifecycleEvent {
  event: string;
  node: string;
  kind: string;
  id: string;
  restarts: number | string;
  reason?: string;
  tsEvent: number;
}

export interface Quote {
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

export interface OrderEvent {
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

export interface KillSwitchState {
  engaged?: boolean;
  scope?: string;
  by?: string;
  reason?: string;
  tsEvent?: number;
}

export interface Position {
  instrument: string;
  leg?: string;
  quantity: Decimal;
  avgPrice?: Decimal;
  mark?: Decimal;
  unrealisedPnl?: Decimal;
  realisedPnl?: Decimal;
}

export interface RiskReport {
  killSwitch?: { book?: KillSwitchState; global?: KillSwitchState };
  pnl?: Partial<Record<"equity" | "net" | "daily" | "drawdown" | "realised" | "unrealised" | "fees" | "cash", Decimal>>;
  positions?: Position[];
  limits?: { limit: string; usedPct: number; level: string }[];
}

export interface RiskAlert {
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
  positions?: Position[];
  alerts: RiskAlert[];
  killSwitch: KillSwitchState | null;
  report: RiskReport | null;
  reportError: string | null;
}

export interface StreamHealth {
  name: string;
  messages: number;
  bytes: number;
  consumers: number;
  lastSeq: number;
}

export interface HealthView {
  at: number;
  nats: { ok: boolean; version?: string; rttMs?: number; healthz?: string; error?: string };
  jetstream: { ok: boolean; streams: StreamHealth[]; error?: string };
  questdb: { ok: boolean; configured: boolean; latencyMs?: number; error?: string };
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

export type ServerFrame =
  | { type: "welcome"; sub: string; role: string; exp: number; canOperate: boolean; controlRole: string }
  | { type: "authError"; reason: string; message: string }
  | {
      type: "snapshot";
      tree: TreeNode[];
      treeAt: number;
      lifecycle: LifecycleEvent[];
      quotes: (Quote & { history: [number, number][] })[];
      orders: OrderEvent[];
      books: BookFrame[];
      health: HealthView | null;
    }
  | { type: "tree"; nodes: TreeNode[]; at: number }
  | { type: "lifecycle"; event: LifecycleEvent }
  | { type: "audit"; at: number; sub: string; what: string; ok: boolean; error?: string }
  | { type: "quotes"; quotes: Quote[]; at: number }
  | { type: "orders"; orders: OrderEvent[] }
  | ({ type: "book" } & BookFrame)
  | { type: "health"; health: HealthView }
  | { type: "detail"; reqId: number; kind: string; id: string; status: ControlReply; events: LifecycleEvent[] }
  | ({ type: "result"; reqId: number; what: string } & ControlReply)
  | { type: "error"; message: string };
