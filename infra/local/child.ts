import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Resolves true once the server answers; polled until readyTimeoutMs. */
  isReady: () => Promise<boolean>;
  readyTimeoutMs: number;
  stopTimeoutMs?: number;
  /** told when the child did not exit on SIGTERM in time and was killed, with its last log lines */
  onKilled?: (why: string) => void;
}

export interface RunningChild {
  readonly name: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Ends the server at once (SIGKILL), without waiting. */
  kill(): void;
  /**
   * Called once when the server process ends for any reason, with its exit code or signal; a listener added after
   * the end is called at once. Its supervisor restarts it on an end it did not ask for.
   */
  onExit(listener: (how: string) => void): void;
}

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

/** Children die with us: on normal exit, on SIGINT/SIGTERM, and (through the guardian) on SIGKILL. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      // A process with its own handler (the node) shuts down gracefully and stops children itself.
      if (process.listenerCount(sig) > 0) return;
      for (const c of running) c.kill("SIGTERM");
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

/**
 * A watcher that outlives a SIGKILLed parent just long enough to end the child: Node has no parent-death
 * signal, and a test runner that times out a test may kill it without ceremony.
 */
function spawnGuardian(childPid: number): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 0.5; done; kill -TERM ${childPid} 2>/dev/null; sleep 5; kill -KILL ${childPid} 2>/dev/null; exit 0`;
  const g = spawn("bash", ["-c", script], { stdio: "ignore", detached: true });
  g.unref();
  return g;
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "(no log)";
  }
}

export async function startChild(spec: ProcessSpec): Promise<RunningChild> {
  installExitHooks();
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = createWriteStream(spec.logFile, { flags: "a" });
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C in the terminal reaches only us, and we stop the servers last, after the
    // actors have saved their state. Signalled with the node, nats-server and QuestDB went first and every
    // journal write and snapshot of the shutdown failed.
    detached: true,
  });
  // Two sources share the log, so neither may end it (stdout ending first made stderr's last lines a write after
  // end); the log ends once the child has closed both.
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const logClosed = new Promise<void>((resolve) => log.once("close", () => resolve()));
  running.add(child);
  let exitCode: number | null | undefined;
  let how = "";
  const exitListeners: ((how: string) => void)[] = [];
  const exited = new Promise<void>((resolve) =>
    child.once("close", (code, signal) => {
      exitCode = code ?? (signal ? -1 : 0);
      how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      log.end();
      resolve();
      for (const l of exitListeners.splice(0)) l(how);
    }),
  );
  const onExit = (listener: (how: string) => void): void => {
    if (exitCode !== undefined) listener(how);
    else exitListeners.push(listener);
  };
  const kill = (): void => void child.kill("SIGKILL");
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}: ${await spawnError}`);
  const guardian = spawnGuardian(child.pid);

  const stop = async (): Promise<void> => {
    if (exitCode === undefined) {
      child.kill("SIGTERM");
      // An unref'd timer: once the child has exited, a pending timeout must not keep the caller's process alive.
      const timedOut = await Promise.race([exited.then(() => false), sleep(spec.stopTimeoutMs ?? 10_000, true, { ref: false })]);
      if (timedOut) {
        child.kill("SIGKILL");
        await exited;
        spec.onKilled?.(
          `${spec.name} (pid ${child.pid}) did not exit within ${spec.stopTimeoutMs ?? 10_000} ms of SIGTERM and was killed; its last lines: ${lastLines(spec.logFile)}`,
        );
      }
    }
    guardian.kill("SIGKILL");
    await logClosed;
  };

  const deadline = Date.now() + spec.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`${spec.name} exited with code ${exitCode} before it was ready: ${lastLines(spec.logFile)} (log: ${spec.logFile})`);
    }
    if (await spec.isReady().catch(() => false)) return { name: spec.name, pid: child.pid, stop, kill, onExit };
    await sleep(100);
  }
  await stop();
  throw new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs} ms; see ${spec.logFile}`);
}
