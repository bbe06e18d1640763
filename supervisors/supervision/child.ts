/**
 * What a supervisor knows about a child: how to start it, how to stop it, and how it tells that it ended.
 * The shapes follow OTP's child specification; the runtime adapts XState actors, worker cells and nested
 * supervisors to `ChildHandle`.
 */

/**
 * Why a child ended. `"normal"` and `"shutdown"` (with or without a cause, OTP's `{shutdown, Term}`) are clean
 * ends; `{ error }` is a crash.
 */
export type ExitReason = "normal" | "shutdown" | { shutdown: string } | { error: unknown };

export const RestartType = {
  /** always restarted */
  Permanent: "permanent",
  /** restarted only after an abnormal exit */
  Transient: "transient",
  /** never restarted, and forgotten once it ends */
  Temporary: "temporary",
} as const;
export type RestartType = (typeof RestartType)[keyof typeof RestartType];

export type ChildType = "worker" | "supervisor";

/** A running child, as its supervisor sees it. */
export interface ChildHandle {
  /** Asks the child to end; resolves once it has. A child may ignore this: it is then killed after `shutdownMs`. */
  stop(reason: ExitReason): Promise<void>;
  /** Ends the child at once, without cleanup. */
  kill(): void;
  /**
   * Registers a listener called once when the child ends, for whatever reason (a listener registered after the end
   * is called at once). The supervisor ignores ends that follow its own stop() or kill().
   */
  onExit(listener: (reason: ExitReason) => void): void;
}

export interface ChildSpec {
  /** unique among the supervisor's children */
  id: string;
  start: () => Promise<ChildHandle>;
  restart: RestartType;
  /** how long stop() may take before the child is killed; 0 kills at once (OTP's brutal_kill) */
  shutdownMs: number | "infinity";
  type: ChildType;
}

/** True for a crash: an exit that is neither normal nor a shutdown. */
export function isAbnormalExit(reason: ExitReason): reason is { error: unknown } {
  return typeof reason === "object" && "error" in reason;
}

/** OTP's rule: permanent always, transient only after a crash, temporary never. */
export function shouldRestart(restart: RestartType, reason: ExitReason): boolean {
  if (restart === RestartType.Permanent) return true;
  if (restart === RestartType.Transient) return isAbnormalExit(reason);
  return false;
}

/** A child spec for a nested supervisor: permanent, and given all the time it needs to stop its own children. */
export function supervisorChild(
  id: string,
  create: () => ChildHandle & { start(): Promise<void> },
  options: { restart?: RestartType; shutdownMs?: number | "infinity" } = {},
): ChildSpec {
  return {
    id,
    type: "supervisor",
    restart: options.restart ?? RestartType.Permanent,
    shutdownMs: options.shutdownMs ?? "infinity",
    start: async () => {
      const supervisor = create();
      await supervisor.start();
      return supervisor;
    },
  };
}
