import type { BackoffPolicy } from "./backoff.ts";
import type { ChildHandle, ChildSpec, ExitReason } from "./child.ts";
import type { Scheduler } from "./scheduler.ts";

/** How a dynamic supervisor makes a child for an id. */
export interface ChildTemplate<A> extends Omit<ChildSpec, "id" | "start"> {
  start: (id: string, args: A) => Promise<ChildHandle>;
}

/** What the runtime publishes about the tree; `supervisor` is the name of the supervisor that reports. */
export type SupervisionEvent =
  | { type: "started"; supervisor: string; childId: string }
  | { type: "exited"; supervisor: string; childId: string; reason: ExitReason }
  | { type: "restarted"; supervisor: string; childId: string; attempt: number; delayMs: number }
  | { type: "escalated"; supervisor: string; childId: string; restarts: number; periodMs: number }
  | { type: "stopped"; supervisor: string; childId: string; killed: boolean };

interface CommonOptions {
  name: string;
  /** restart intensity: at most this many restarts within periodMs (OTP default 1) */
  maxRestarts?: number;
  /** OTP default 5000 */
  periodMs?: number;
  /** delay between restarts of one child; none by default */
  backoff?: Partial<BackoffPolicy>;
  scheduler?: Scheduler;
  /** a draw in [0, 1) for backoff jitter */
  random?: () => number;
  onEvent?: (event: SupervisionEvent) => void;
}

export type SupervisorOptions<A = never> =
  | (CommonOptions & { strategy: "one_for_one" | "one_for_all" | "rest_for_one"; children?: ChildSpec[] })
  | (CommonOptions & { strategy: "dynamic"; template: ChildTemplate<A> });
