export { type BackoffPolicy, backoffDelay, immediateRestart } from "./backoff.ts";
export {
  type ChildHandle,
  type ChildSpec,
  type ChildType,
  type ExitReason,
  isAbnormalExit,
  RestartType,
  shouldRestart,
} from "./child.ts";
export { SupervisionError, SupervisionErrorCode } from "./errors.ts";
export { RestartIntensity } from "./restart-intensity.ts";
export { ManualScheduler, type Scheduler, systemScheduler } from "./scheduler.ts";
export {
  type ChildCounts,
  type ChildInfo,
  type ChildStatus,
  type ChildTemplate,
  restartIntensityExceeded,
  Strategy,
  type SupervisionEvent,
  Supervisor,
  type SupervisorOptions,
  supervisorChild,
} from "./supervisor.ts";
