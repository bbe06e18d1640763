import type { ChildHandle, ChildSpec, ChildType, ExitReason, RestartType } from "./child.ts";

export type ChildStatus = "running" | "restarting" | "stopped";

export interface ChildInfo {
  id: string;
  type: ChildType;
  restart: RestartType;
  status: ChildStatus;
  /** times this child was restarted by the supervisor */
  restarts: number;
  lastExit: ExitReason | undefined;
  lastError: unknown;
}

export interface ChildCounts {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
}

/** A supervisor's bookkeeping of one child: its current incarnation, restart counts, and a pending restart. */
export interface ChildRecord {
  spec: ChildSpec;
  handle: ChildHandle | undefined;
  status: ChildStatus;
  startedAt: number;
  restarts: number;
  /** consecutive restarts, for backoff */
  attempt: number;
  pending: PendingRestart | undefined;
  lastExit: ExitReason | undefined;
  lastError: unknown;
}

/** A restart of `records` waiting out its backoff delay; `cancel` stops the timer and detaches them. */
export interface PendingRestart {
  records: ChildRecord[];
  trigger: ChildRecord;
  delayMs: number;
  cancel: () => void;
}

export function newChildRecord(spec: ChildSpec): ChildRecord {
  return {
    spec,
    handle: undefined,
    status: "stopped",
    startedAt: 0,
    restarts: 0,
    attempt: 0,
    pending: undefined,
    lastExit: undefined,
    lastError: undefined,
  };
}

/** What operators see of a child. */
export function childInfo(r: ChildRecord): ChildInfo {
  return {
    id: r.spec.id,
    type: r.spec.type,
    restart: r.spec.restart,
    status: r.status,
    restarts: r.restarts,
    lastExit: r.lastExit,
    lastError: r.lastError,
  };
}

export function childCounts(children: readonly ChildRecord[]): ChildCounts {
  const supervisors = children.filter((r) => r.spec.type === "supervisor").length;
  return {
    specs: children.length,
    active: children.filter((r) => r.status === "running").length,
    supervisors,
    workers: children.length - supervisors,
  };
}
