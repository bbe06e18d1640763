import type { Config } from "../../infra/config/index.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";

/** What the node sends a cell, and what the cell answers or reports. */
export type CellRequest =
  | { op: "spawn" | "stop" | "restart" | "release" | "describe"; kind: string; id: string }
  | { op: "quarantine"; kind: string; id: string; reason: string }
  | { op: "tree" }
  /** the cell's figures for the node's metrics endpoint (ScopeMetrics[], passed by structured clone) */
  | { op: "metrics" }
  | { op: "shutdown" };

export type CellMessage =
  | { t: "ready" }
  | { t: "reply"; rid: number; ok: true; value?: unknown }
  | { t: "reply"; rid: number; ok: false; error: string }
  | { t: "lifecycle"; event: LifecycleEvent }
  /** an actor got a processing slot: the watchdog names a hung actor by its slot */
  | { t: "slot"; slot: number; key: string };

export interface CellData {
  entry: string;
  cell: number;
  node: string;
  natsUrl: string;
  /** module URL exporting createKinds(env), called in the cell with its own connection */
  kindsModule: string;
  config: Config;
  /**
   * Float64 [0]: last heartbeat (ms, performance.timeOrigin + now); Int32 at byte 8: busy slot (0 = idle); Float64
   * at byte 16: until when the node's leases are confirmed (ms, Date.now()): the cell's actors act only before it
   */
  shared: SharedArrayBuffer;
  logLevel: "debug" | "info" | "warn" | "error";
}

export const HEARTBEAT_MS = 20;
