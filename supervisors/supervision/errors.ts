/** Reason codes of supervisor calls a caller may branch on (OTP's `{error, Reason}` answers). */
export const SupervisionErrorCode = {
  AlreadyStarted: "already_started",
  AlreadyPresent: "already_present",
  NotFound: "not_found",
  Running: "running",
  Restarting: "restarting",
  StartFailed: "start_failed",
  NotRunning: "not_running",
  WrongStrategy: "wrong_strategy",
  InvalidOption: "invalid_option",
} as const;
export type SupervisionErrorCode = (typeof SupervisionErrorCode)[keyof typeof SupervisionErrorCode];

export class SupervisionError extends Error {
  override readonly name = "SupervisionError";
  constructor(
    readonly code: SupervisionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
