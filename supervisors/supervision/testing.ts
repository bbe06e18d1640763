/**
 * In-memory children for the supervision tests: each start makes a new incarnation, every start, stop and kill is
 * written to one shared log so that tests can assert order, and the test decides when a child exits or crashes.
 */
import type { ChildHandle, ChildSpec, ExitReason, RestartType } from "./child.ts";

export class FakeChild implements ChildHandle {
  exitReason: ExitReason | undefined;
  private listeners: ((reason: ExitReason) => void)[] = [];

  constructor(
    readonly id: string,
    private readonly log: string[],
    /** a child that ignores stop() must be killed */
    readonly ignoresShutdown = false,
  ) {}

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  stop(_reason: ExitReason): Promise<void> {
    this.log.push(`stop ${this.id}`);
    if (this.ignoresShutdown) return new Promise(() => {});
    this.end("shutdown");
    return Promise.resolve();
  }

  kill(): void {
    this.log.push(`kill ${this.id}`);
    this.end({ error: "killed" });
  }

  onExit(listener: (reason: ExitReason) => void): void {
    if (this.exitReason !== undefined) listener(this.exitReason);
    else this.listeners.push(listener);
  }

  /** The child ends by itself. */
  exit(reason: ExitReason): void {
    this.log.push(`exit ${this.id}`);
    this.end(reason);
  }

  crash(message = `${this.id} crashed`): void {
    this.exit({ error: new Error(message) });
  }

  private end(reason: ExitReason): void {
    if (this.exitReason !== undefined) return;
    this.exitReason = reason;
    for (const listener of this.listeners) listener(reason);
  }
}

export interface FakeSpecOptions {
  restart?: RestartType;
  shutdownMs?: number | "infinity";
  ignoresShutdown?: boolean;
}

/** A set of fake children sharing one log. */
export class FakeChildren {
  readonly log: string[] = [];
  readonly incarnations = new Map<string, FakeChild[]>();
  /** ids whose next starts fail (a count per id) */
  readonly failStarts = new Map<string, number>();

  spec(id: string, options: FakeSpecOptions = {}): ChildSpec {
    return {
      id,
      type: "worker",
      restart: options.restart ?? "permanent",
      shutdownMs: options.shutdownMs ?? 1000,
      start: () => this.start(id, options.ignoresShutdown ?? false),
    };
  }

  async start(id: string, ignoresShutdown = false): Promise<FakeChild> {
    const failures = this.failStarts.get(id) ?? 0;
    if (failures > 0) {
      this.failStarts.set(id, failures - 1);
      this.log.push(`start-failed ${id}`);
      throw new Error(`${id} failed to start`);
    }
    const child = new FakeChild(id, this.log, ignoresShutdown);
    this.log.push(`start ${id}`);
    const list = this.incarnations.get(id) ?? [];
    list.push(child);
    this.incarnations.set(id, list);
    return child;
  }

  /** the latest incarnation of `id` */
  current(id: string): FakeChild {
    const child = this.incarnations.get(id)?.at(-1);
    if (!child) throw new Error(`no fake child ${id} was started`);
    return child;
  }

  starts(id: string): number {
    return this.incarnations.get(id)?.length ?? 0;
  }

  /** Empties the log and returns what it held. */
  take(): string[] {
    return this.log.splice(0);
  }
}

/** Lets queued promise work run (no time passes). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
