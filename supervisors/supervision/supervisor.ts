import { type BackoffPolicy, backoffDelay, immediateRestart, validateBackoff } from "./backoff.ts";
import { type ChildHandle, type ChildSpec, type ExitReason, isAbnormalExit, RestartType, shouldRestart } from "./child.ts";
import {
  type ChildCounts,
  type ChildInfo,
  type ChildRecord,
  childCounts,
  childInfo,
  newChildRecord,
  type PendingRestart,
} from "./child-record.ts";
import { SupervisionError, SupervisionErrorCode } from "./errors.ts";
import { RestartIntensity } from "./restart-intensity.ts";
import { type Scheduler, systemScheduler } from "./scheduler.ts";
import type { ChildTemplate, SupervisionEvent, SupervisorOptions } from "./supervisor-options.ts";
import { stopWithin } from "./shutdown.ts";
import { affectedBy, type RestartStrategy } from "./strategy.ts";

/** The exit reason of a supervisor that gave up (OTP exits with `shutdown`, so transient parents do not restart it). */
export const restartIntensityExceeded: ExitReason = { shutdown: "restart intensity exceeded" };

/**
 * An OTP supervisor. All work (starts, exits, stops, timers) runs one step at a time on an internal queue, as an
 * Erlang process handles its mailbox, so no two steps interleave. A supervisor is itself a ChildHandle: trees compose.
 */
export class Supervisor<A = never> implements ChildHandle {
  readonly name: string;
  private readonly strategy: RestartStrategy;
  private readonly initial: ChildSpec[];
  private readonly template: ChildTemplate<A> | undefined;
  private readonly intensity: RestartIntensity;
  private readonly backoff: BackoffPolicy;
  private readonly scheduler: Scheduler;
  private readonly random: () => number;
  private readonly emit: (event: SupervisionEvent) => void;
  /** in start order */
  private children: ChildRecord[] = [];
  private byId = new Map<string, ChildRecord>();
  private state: "idle" | "running" | "stopping" | "stopped" = "idle";
  private queue: Promise<unknown> = Promise.resolve();
  private exitListeners: ((reason: ExitReason) => void)[] = [];
  private exitReason: ExitReason | undefined;

  constructor(options: SupervisorOptions<A>) {
    this.name = options.name;
    this.strategy = options.strategy;
    this.initial = options.strategy === "dynamic" ? [] : (options.children ?? []);
    this.template = options.strategy === "dynamic" ? options.template : undefined;
    const maxRestarts = options.maxRestarts ?? 1;
    const periodMs = options.periodMs ?? 5000;
    if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) this.invalid("maxRestarts", "an integer >= 0", maxRestarts);
    if (!(periodMs > 0)) this.invalid("periodMs", "> 0", periodMs);
    this.intensity = new RestartIntensity(maxRestarts, periodMs);
    this.backoff = validateBackoff({ ...immediateRestart, ...options.backoff });
    this.scheduler = options.scheduler ?? systemScheduler;
    this.random = options.random ?? Math.random;
    this.emit = options.onEvent ?? (() => {});
    const ids = new Set<string>();
    for (const spec of this.initial) {
      this.validateSpec(spec);
      if (ids.has(spec.id)) this.invalid("children", "unique by id", spec.id);
      ids.add(spec.id);
    }
  }

  /** Starts the initial children in order; if one fails, stops those started and rejects. */
  start(): Promise<void> {
    return this.serial(async () => {
      if (this.state === "running") throw this.error(SupervisionErrorCode.AlreadyStarted, "is already started");
      if (this.state !== "idle") throw this.error(SupervisionErrorCode.NotRunning, `is ${this.state}: it cannot start again`);
      this.state = "running";
      for (const spec of this.initial) {
        const record = this.add(spec);
        try {
          await this.launch(record);
        } catch (cause) {
          this.remove(record);
          await this.terminateAll();
          this.finish({ shutdown: `child ${spec.id} failed to start` });
          throw this.error(SupervisionErrorCode.StartFailed, `could not start child ${spec.id}`, cause);
        }
      }
    });
  }

  /** Adds and starts a child (OTP's start_child/2 on a static supervisor). */
  addChild(spec: ChildSpec): Promise<void> {
    return this.serial(async () => {
      this.mustBeStatic("addChild");
      this.validateSpec(spec);
      await this.startNew(spec);
    });
  }

  /** Starts the dynamic child for `id` from the template. */
  startChild(id: string, args: A): Promise<void> {
    return this.serial(async () => {
      const template = this.template;
      if (!template) throw this.error(SupervisionErrorCode.WrongStrategy, "has no template: startChild needs strategy dynamic");
      await this.startNew({ ...template, id, start: () => template.start(id, args) });
    });
  }

  /** Stops a child (cancelling a pending restart); a dynamic or temporary child is forgotten. */
  terminateChild(id: string): Promise<void> {
    return this.serial(async () => {
      const record = this.find(id);
      this.unpend(record);
      await this.shutdown(record);
      record.status = "stopped";
      if (this.template || record.spec.restart === RestartType.Temporary) this.remove(record);
    });
  }

  /** Starts a stopped static child again. */
  restartChild(id: string): Promise<void> {
    return this.serial(async () => {
      this.mustBeStatic("restartChild");
      const record = this.find(id);
      if (record.status !== "stopped") throw this.error(this.busyCode(record), `cannot restart child ${id}: it is ${record.status}`);
      try {
        await this.launch(record);
      } catch (cause) {
        throw this.error(SupervisionErrorCode.StartFailed, `could not restart child ${id}`, cause);
      }
    });
  }

  /** Forgets a stopped static child. */
  deleteChild(id: string): Promise<void> {
    return this.serial(async () => {
      this.mustBeStatic("deleteChild");
      const record = this.find(id);
      if (record.status !== "stopped") throw this.error(this.busyCode(record), `cannot delete child ${id}: it is ${record.status}`);
      this.remove(record);
    });
  }

  whichChildren(): ChildInfo[] {
    return this.children.map(childInfo);
  }

  countChildren(): ChildCounts {
    return childCounts(this.children);
  }

  /** Stops all children in reverse start order, then ends with `reason`. */
  stop(reason: ExitReason = "shutdown"): Promise<void> {
    return this.serial(async () => {
      if (this.state === "stopped") return;
      this.state = "stopping";
      await this.terminateAll();
      this.finish(reason);
    });
  }

  /** Kills all children at once and ends. */
  kill(): void {
    if (this.state === "stopped") return;
    for (const record of [...this.children].reverse()) {
      this.unpend(record);
      record.handle?.kill();
      record.handle = undefined;
      record.status = "stopped";
    }
    this.finish({ error: "killed" });
  }

  onExit(listener: (reason: ExitReason) => void): void {
    if (this.exitReason !== undefined) listener(this.exitReason);
    else this.exitListeners.push(listener);
  }

  /** Resolves once every step queued so far, and every step those queued, has run. */
  async settled(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  // ---- steps run on the queue ----

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async startNew(spec: ChildSpec): Promise<void> {
    if (this.state !== "running") throw this.error(SupervisionErrorCode.NotRunning, `is ${this.state}: cannot start child ${spec.id}`);
    const existing = this.byId.get(spec.id);
    if (existing) {
      const code = existing.status === "stopped" ? SupervisionErrorCode.AlreadyPresent : SupervisionErrorCode.AlreadyStarted;
      throw this.error(code, `already has child ${spec.id}`);
    }
    const record = this.add(spec);
    try {
      await this.launch(record);
    } catch (cause) {
      this.remove(record);
      throw this.error(SupervisionErrorCode.StartFailed, `could not start child ${spec.id}`, cause);
    }
  }

  /** Starts one incarnation and watches it. */
  private async launch(record: ChildRecord): Promise<void> {
    const handle = await record.spec.start();
    if (this.state !== "running") {
      handle.kill();
      throw this.error(SupervisionErrorCode.NotRunning, `stopped while child ${record.spec.id} was starting`);
    }
    record.handle = handle;
    record.status = "running";
    record.startedAt = this.scheduler.now();
    this.emit({ type: "started", supervisor: this.name, childId: record.spec.id });
    handle.onExit((reason) => {
      void this.serial(() => this.exited(record, handle, reason));
    });
  }

  private async exited(record: ChildRecord, handle: ChildHandle, reason: ExitReason): Promise<void> {
    // an incarnation we stopped ourselves, or one already replaced
    if (record.handle !== handle || this.state !== "running") return;
    record.handle = undefined;
    record.lastExit = reason;
    if (isAbnormalExit(reason)) record.lastError = reason.error;
    this.emit({ type: "exited", supervisor: this.name, childId: record.spec.id, reason });
    if (!shouldRestart(record.spec.restart, reason)) {
      record.status = "stopped";
      if (this.template || record.spec.restart === RestartType.Temporary) this.remove(record);
      return;
    }
    const stable = this.scheduler.now() - record.startedAt >= this.backoff.resetAfterMs;
    await this.failed(record, stable);
  }

  /** A child must be restarted: count it, stop the siblings the strategy names, restart after the backoff delay. */
  private async failed(record: ChildRecord, stable: boolean): Promise<void> {
    if (this.state !== "running") return;
    if (!this.intensity.allow(this.scheduler.now())) return this.escalate(record);
    record.attempt = stable ? 1 : record.attempt + 1;
    const delayMs = backoffDelay(this.backoff, record.attempt, this.random());
    const group = affectedBy(this.strategy, this.children, record);
    for (const sibling of [...group].reverse()) {
      if (sibling === record) continue;
      await this.shutdown(sibling);
      // OTP: a temporary sibling is never restarted, even when the strategy stopped it
      if (sibling.spec.restart === RestartType.Temporary) {
        this.unpend(sibling);
        this.remove(sibling);
      }
    }
    const records = group.filter((r) => this.children.includes(r));
    // an earlier pending restart of these children is folded into this one
    for (const r of records) if (r.pending) r.pending.cancel();
    for (const r of records) r.status = "restarting";
    if (delayMs === 0) return this.restart(records, record, 0);
    const pending: PendingRestart = { records, trigger: record, delayMs, cancel: () => {} };
    const cancelTimer = this.scheduler.setTimer(delayMs, () => {
      void this.serial(() => this.restartPending(pending));
    });
    pending.cancel = () => {
      cancelTimer();
      for (const r of pending.records) if (r.pending === pending) r.pending = undefined;
    };
    for (const r of records) r.pending = pending;
  }

  private async restartPending(pending: PendingRestart): Promise<void> {
    const records = pending.records.filter((r) => r.pending === pending);
    for (const r of records) r.pending = undefined;
    if (this.state === "running") await this.restart(records, pending.trigger, pending.delayMs);
  }

  /** Starts the group again in start order; a start that fails counts as another failure of that child. */
  private async restart(records: ChildRecord[], trigger: ChildRecord, delayMs: number): Promise<void> {
    const ordered = this.children.filter((r) => records.includes(r) && r.status === "restarting");
    for (const record of ordered) {
      try {
        await this.launch(record);
      } catch (error) {
        if (this.state !== "running") return;
        record.lastExit = { error };
        record.lastError = error;
        this.emit({ type: "exited", supervisor: this.name, childId: record.spec.id, reason: record.lastExit });
        return this.failed(record, false);
      }
      record.restarts += 1;
      this.emit({ type: "restarted", supervisor: this.name, childId: record.spec.id, attempt: trigger.attempt, delayMs });
    }
  }

  private async escalate(record: ChildRecord): Promise<void> {
    this.emit({
      type: "escalated",
      supervisor: this.name,
      childId: record.spec.id,
      restarts: this.intensity.count,
      periodMs: this.intensity.periodMs,
    });
    this.state = "stopping";
    await this.terminateAll();
    this.finish(restartIntensityExceeded);
  }

  /** Stops every child: in reverse start order, or all at once under the dynamic strategy (OTP does the same). */
  private async terminateAll(): Promise<void> {
    const records = [...this.children].reverse();
    for (const r of records) this.unpend(r);
    if (this.template) await Promise.all(records.map((r) => this.shutdown(r)));
    else for (const r of records) await this.shutdown(r);
    for (const r of records) {
      r.status = "stopped";
      if (r.spec.restart === RestartType.Temporary) this.remove(r);
    }
  }

  /** Asks a child to stop, kills it after shutdownMs. Its exit from here on is expected, not a failure. */
  private async shutdown(record: ChildRecord): Promise<void> {
    const handle = record.handle;
    if (!handle) return;
    record.handle = undefined;
    record.status = "stopped";
    const killed = await stopWithin(handle, record.spec.shutdownMs, this.scheduler);
    this.emit({ type: "stopped", supervisor: this.name, childId: record.spec.id, killed });
  }

  private finish(reason: ExitReason): void {
    this.state = "stopped";
    // a kill() can overtake a stop already under way: the first end is the one reported
    if (this.exitReason !== undefined) return;
    this.exitReason = reason;
    const listeners = this.exitListeners;
    this.exitListeners = [];
    for (const listener of listeners) listener(reason);
  }

  // ---- bookkeeping ----

  private add(spec: ChildSpec): ChildRecord {
    const record = newChildRecord(spec);
    this.children.push(record);
    this.byId.set(spec.id, record);
    return record;
  }

  private remove(record: ChildRecord): void {
    const index = this.children.indexOf(record);
    if (index < 0) return;
    this.children.splice(index, 1);
    this.byId.delete(record.spec.id);
  }

  /** Takes a child out of a pending restart without disturbing the others in it. */
  private unpend(record: ChildRecord): void {
    const pending = record.pending;
    if (!pending) return;
    record.pending = undefined;
    record.status = "stopped";
    if (!pending.records.some((r) => r.pending === pending)) pending.cancel();
  }

  private find(id: string): ChildRecord {
    const record = this.byId.get(id);
    if (!record) throw this.error(SupervisionErrorCode.NotFound, `has no child ${id}`);
    return record;
  }

  private busyCode(record: ChildRecord): SupervisionErrorCode {
    return record.status === "restarting" ? SupervisionErrorCode.Restarting : SupervisionErrorCode.Running;
  }

  private mustBeStatic(call: string): void {
    if (this.template) throw this.error(SupervisionErrorCode.WrongStrategy, `is dynamic: ${call} needs a static strategy`);
  }

  private validateSpec(spec: ChildSpec): void {
    if (!spec.id) this.invalid("child id", "non-empty", spec.id);
    const ms = spec.shutdownMs;
    if (ms !== "infinity" && !(ms >= 0)) this.invalid(`child ${spec.id} shutdownMs`, '>= 0 or "infinity"', ms);
  }

  private invalid(field: string, rule: string, value: unknown): never {
    throw this.error(SupervisionErrorCode.InvalidOption, `${field} must be ${rule}, got ${String(value)}`);
  }

  private error(code: SupervisionErrorCode, message: string, cause?: unknown): SupervisionError {
    return new SupervisionError(code, `supervisor ${this.name} ${message}`, cause === undefined ? undefined : { cause });
  }
}
