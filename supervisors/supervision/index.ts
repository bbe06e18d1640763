export { type BackoffPolicy, backoffDelay, immediateRestart } from "./backoff.ts";
export {
  type ChildHandle,
  type ChildSpec,
  type ChildType,
  type ExitReason,
  isAbnormalExit,
  RestartType,
  shouldRestart,
  supervisorChild,
} from "./child.ts";
export { SupervisionError, SupervisionErrorCode } from "./errors.ts";
export { RestartIntensity } from "./restart-intensity.ts";
export { ManualScheduler, type Scheduler, systemScheduler } from "./scheduler.ts";
export type { ChildCounts, ChildInfo, ChildStatus } from "./child-record.ts";
export { RestartStrategy } from "./strategy.ts";
export { restartIntensityExceeded, Supervisor } from "./supervisor.ts";
export type { ChildTemplate, SupervisionEvent, SupervisorOptions } from "./supervisor-options.ts";
