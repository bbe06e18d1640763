import { SupervisionError, SupervisionErrorCode } from "./errors.ts";

/**
 * Delay before a child's n-th consecutive restart (Akka's backoff supervisor): minMs · factor^(n-1), capped at maxMs,
 * less up to `jitter` of it at random so that children failing together do not restart in lockstep. The count resets
 * once a child has run for `resetAfterMs`. minMs 0 restarts at once, as OTP does.
 */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: the fraction of the delay that is randomised away */
  jitter: number;
  /** a child that ran this long before failing starts again from minMs */
  resetAfterMs: number;
}

export const immediateRestart: BackoffPolicy = { minMs: 0, maxMs: 0, factor: 2, jitter: 0, resetAfterMs: 0 };

/** `attempt` counts from 1; `random` is a draw in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const base = Math.min(policy.maxMs, policy.minMs * policy.factor ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random));
}

export function validateBackoff(policy: BackoffPolicy): BackoffPolicy {
  const fail = (field: string, rule: string, value: number) => {
    throw new SupervisionError(SupervisionErrorCode.InvalidOption, `backoff.${field} must be ${rule}, got ${value}`);
  };
  if (!(policy.minMs >= 0)) fail("minMs", ">= 0", policy.minMs);
  if (!(policy.maxMs >= policy.minMs)) fail("maxMs", `>= minMs (${policy.minMs})`, policy.maxMs);
  if (!(policy.factor >= 1)) fail("factor", ">= 1", policy.factor);
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) fail("jitter", "within 0..1", policy.jitter);
  if (!(policy.resetAfterMs >= 0)) fail("resetAfterMs", ">= 0", policy.resetAfterMs);
  return policy;
}
