import type { Config } from "../../infra/config/index.ts";
import { localServerStarters, type RunningChild } from "../../infra/local/index.ts";
import type { Logger } from "../../infra/telemetry/index.ts";
import { type ChildHandle, type ChildSpec, RestartType, type SupervisionEvent, Supervisor } from "../supervision/index.ts";

export interface SupervisedLocalServers {
  natsUrl: string;
  natsMonitorUrl: string;
  questdbUrl: string;
  /** resolves once QuestDB answers: it starts (seconds, a JVM) while the node connects and starts its actors */
  questdbReady: Promise<void>;
  /** the servers running now, by name, with their process ids */
  running(): { name: string; pid: number }[];
  /** stops both servers (QuestDB, then nats-server); their ends from here on are not failures */
  stop(): Promise<void>;
}

/** A server process as a supervised child: an end the supervisor did not ask for is a crash. */
function serverChild(id: string, start: () => Promise<RunningChild>, running: Map<string, RunningChild>): ChildSpec {
  return {
    id,
    type: "worker",
    restart: RestartType.Permanent,
    // the server's own stop already kills it 10 s after SIGTERM and says so
    shutdownMs: 15_000,
    start: async (): Promise<ChildHandle> => {
      const server = await start();
      running.set(id, server);
      server.onExit(() => {
        if (running.get(id) === server) running.delete(id);
      });
      return {
        stop: () => server.stop(),
        kill: () => server.kill(),
        onExit: (listener) => server.onExit((how) => listener({ error: new Error(`${id} (pid ${server.pid}) ${how}`) })),
      };
    },
  };
}

const reasonText = (e: Extract<SupervisionEvent, { type: "exited" }>["reason"]): string =>
  typeof e === "object" && "error" in e ? (e.error instanceof Error ? e.error.message : String(e.error)) : JSON.stringify(e);

/**
 * The node's nats-server and QuestDB as children of one supervisor (one_for_one, permanent): a server that dies is
 * logged and started again on the same ports and data after a short backoff, so the node's connections find it
 * back; the NATS clients reconnect by themselves. Past its restart intensity the supervisor gives up and
 * `onGiveUp` is told (the node then stops: a platform without its servers cannot trade). Resolves once nats-server
 * answers: trading needs nothing else, and QuestDB goes on starting beside it (`questdbReady`).
 */
export async function superviseLocalServers(config: Config, log: Logger, onGiveUp: (why: string) => void): Promise<SupervisedLocalServers> {
  const starters = localServerStarters(config, (why) => log.warn("local server killed", { why }));
  const started = new Set<string>();
  const running = new Map<string, RunningChild>();
  const supervisor = new Supervisor({
    name: "local-servers",
    strategy: "one_for_one",
    maxRestarts: 10,
    periodMs: 60_000,
    backoff: { minMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2, resetAfterMs: 30_000 },
    children: [serverChild("nats-server", starters.nats, running)],
    onEvent: (e) => {
      if (e.type === "started" && !started.has(e.childId)) {
        started.add(e.childId);
        log.info(`${e.childId} ready`, { url: e.childId === "nats-server" ? starters.natsUrl : starters.questdbUrl });
      } else if (e.type === "exited") log.error(`local server ${e.childId} died; restarting it`, { reason: reasonText(e.reason) });
      else if (e.type === "restarted") log.info(`local server ${e.childId} restarted`, { attempt: e.attempt, afterMs: e.delayMs });
      else if (e.type === "escalated")
        log.error(`local server ${e.childId} keeps dying; giving up`, { restarts: e.restarts, withinMs: e.periodMs });
    },
  });
  log.info("starting nats-server, then QuestDB");
  await supervisor.start();
  supervisor.onExit((reason) => {
    if (reason !== "shutdown") onGiveUp(`local servers stopped: ${reasonText(reason)}`);
  });
  return {
    natsUrl: starters.natsUrl,
    natsMonitorUrl: starters.natsMonitorUrl,
    questdbUrl: starters.questdbUrl,
    questdbReady: supervisor.addChild(serverChild("questdb", starters.questdb, running)),
    running: () => [...running].map(([name, server]) => ({ name, pid: server.pid })),
    stop: async () => {
      log.info("stopping nats-server and QuestDB");
      await supervisor.stop();
    },
  };
}
