import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import { type WebSocket, WebSocketServer } from "ws";
import { createLogger, type Logger } from "../../infra/telemetry/log.ts";
import {
  actorVerb,
  killSwitch,
  modelChallenge,
  proposalDecision,
  quarantineActor,
  type ReplyBody,
  venueKillSwitch,
} from "./admin-relay.ts";
import { ConsoleAuthError, type ConsoleAuth, hasRole, type Principal, Role, verifyToken } from "./auth.ts";
import { type BacktestSource, BacktestView } from "./backtest-view.ts";
import { LiveView } from "./live-view.ts";
import { loadPageAssets } from "./page-assets.ts";
import { type ClientFrame, CloseCode, clientFrame, toJson } from "./protocol.ts";
import { errorMessage } from "../../actors/contract/index.ts";

export interface ConsoleOptions {
  nc: NatsConnection;
  /** 0 picks a free port (tests) */
  port: number;
  host?: string;
  /** the gRPC gateway's token settings: the same JWTs sign in here */
  auth: ConsoleAuth;
  /** serve HTTPS and WSS with this certificate and key (PEM files): tokens never cross the network in clear */
  tls?: { certFile: string; keyFile: string };
  /** nats-server monitoring endpoint for the health panel, e.g. http://127.0.0.1:8222 */
  natsMonitorUrl?: string;
  /** QuestDB HTTP endpoint for the health panel */
  questdbUrl?: string;
  /** risk books to show before any of their events is seen */
  books?: string[];
  treeIntervalMs?: number;
  healthIntervalMs?: number;
  quoteIntervalMs?: number;
  riskIntervalMs?: number;
  /** the node serving the console: its watches are named after it (default: a name of this console's own) */
  node?: string;
  /** the node's backtests (BacktestRuns) for the backtests panel; reports it forgot are read from questdbUrl */
  backtests?: BacktestSource;
  backtestIntervalMs?: number;
  /** how often sockets are pinged and expired tokens ended */
  sessionCheckMs?: number;
  log?: Logger;
}

export interface RunningConsole {
  url: string;
  port: number;
  /** browsers signed in now */
  sessions(): number;
  stop(): Promise<void>;
}

/** The least role that may use a control; viewers and traders only watch. */
export const CONTROL_ROLE = Role.Operator;
const HELLO_DEADLINE_MS = 10_000;
/** A browser this far behind stops getting droppable frames (quotes, tree) until it catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const publicDir = new URL("./public/", import.meta.url);

interface Session {
  ws: WebSocket;
  principal?: Principal;
  alive: boolean;
}

/**
 * The supervisor admin console: serves the page (its TypeScript modules transpiled at start, no build step) and a WebSocket at /ws that pushes the
 * live view and relays operator actions to the admin API. The browser signs in with its first frame
 * (`{op:"hello", token}`), which keeps the token out of URLs and access logs.
 */
export async function startConsole(o: ConsoleOptions): Promise<RunningConsole> {
  const log = o.log ?? createLogger({ level: "warn" });
  const host = o.host ?? "127.0.0.1";
  const sessions = new Set<Session>();
  const send = (s: Session, frame: Record<string, unknown>) => {
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(toJson(frame));
  };
  const broadcast = (frame: Record<string, unknown>, droppable: boolean) => {
    let text: string | undefined;
    for (const s of sessions) {
      if (!s.principal || s.ws.readyState !== s.ws.OPEN) continue;
      if (droppable && s.ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      text ??= toJson(frame);
      s.ws.send(text);
    }
  };
  const view = new LiveView(
    {
      nc: o.nc,
      natsMonitorUrl: o.natsMonitorUrl,
      questdbUrl: o.questdbUrl,
      books: o.books,
      treeIntervalMs: o.treeIntervalMs ?? 1_000,
      healthIntervalMs: o.healthIntervalMs ?? 2_000,
      quoteIntervalMs: o.quoteIntervalMs ?? 250,
      riskIntervalMs: o.riskIntervalMs ?? 2_000,
      owner: o.node ? `${o.node}_console` : `console_${randomUUID().slice(0, 8)}`,
      log,
    },
    broadcast,
  );

  const backtests = new BacktestView(
    {
      ...(o.backtests ? { source: o.backtests } : {}),
      ...(o.questdbUrl ? { questdbUrl: o.questdbUrl } : {}),
      intervalMs: o.backtestIntervalMs ?? 1_000,
    },
    (frame) => broadcast({ ...frame }, true),
  );
  backtests.start();

  const files = await loadPageAssets(publicDir);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://console").pathname;
    const f = files.get(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (!f) {
      res
        .writeHead(path === "/favicon.ico" ? 204 : 404, { "content-type": "text/plain" })
        .end(path === "/favicon.ico" ? undefined : `no such page: ${path}`);
      return;
    }
    res.writeHead(200, {
      "content-type": f.type,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "content-security-policy":
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    });
    res.end(req.method === "HEAD" ? undefined : f.body);
  };
  const server = o.tls
    ? createTlsServer({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }, handle)
    : createServer(handle);

  const wss = new WebSocketServer({ server, path: "/ws", maxPayload: 64 * 1024 });
  wss.on("connection", (ws) => {
    const s: Session = { ws, alive: true };
    sessions.add(s);
    const deadline = setTimeout(() => {
      if (!s.principal) ws.close(CloseCode.Unauthorized, 'sign in first: send {op:"hello", token}');
    }, HELLO_DEADLINE_MS);
    ws.on("pong", () => {
      s.alive = true;
    });
    ws.on("close", () => {
      clearTimeout(deadline);
      sessions.delete(s);
      if (s.principal) view.watchers(-1);
    });
    ws.on("message", (data, isBinary) => {
      void onFrame(s, isBinary ? "" : data.toString()).catch((e) => log.warn("console frame failed", { error: errorMessage(e) }));
    });
  });

  async function onFrame(s: Session, text: string): Promise<void> {
    let frame: ClientFrame;
    try {
      const parsed = clientFrame.safeParse(JSON.parse(text));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        send(s, { type: "error", message: `bad frame: ${issue?.path.join(".") || "frame"}: ${issue?.message ?? "invalid"}` });
        return;
      }
      frame = parsed.data;
    } catch {
      send(s, { type: "error", message: "bad frame: not JSON" });
      return;
    }
    if (frame.op === "hello") {
      const first = !s.principal;
      try {
        s.principal = await verifyToken(frame.token, o.auth);
      } catch (e) {
        const reason = e instanceof ConsoleAuthError ? e.reason : "malformed";
        send(s, { type: "authError", reason, message: errorMessage(e) });
        s.ws.close(CloseCode.Unauthorized, "unauthorized");
        return;
      }
      const { sub, role, exp } = s.principal;
      send(s, { type: "welcome", sub, role, exp, canOperate: hasRole(role, CONTROL_ROLE), controlRole: CONTROL_ROLE });
      if (first) view.watchers(1);
      send(s, view.snapshot());
      send(s, { type: "backtests", ...backtests.frame() });
      return;
    }
    const p = s.principal;
    if (!p) {
      send(s, { type: "authError", reason: "missing", message: 'sign in first: send {op:"hello", token}' });
      s.ws.close(CloseCode.Unauthorized, "unauthorized");
      return;
    }
    if (p.exp * 1000 <= Date.now()) {
      send(s, { type: "authError", reason: "expired", message: "token expired: sign in again" });
      s.ws.close(CloseCode.Unauthorized, "token expired");
      return;
    }
    if (frame.op === "backtestReport") {
      send(s, { type: "backtestReport", reqId: frame.reqId, id: frame.id, ...(await backtests.report(frame.id)) });
      return;
    }
    if (frame.op === "detail") {
      const status = await actorVerb(o.nc, "status", frame.kind, frame.id, 3_000);
      send(s, {
        type: "detail",
        reqId: frame.reqId,
        kind: frame.kind,
        id: frame.id,
        status,
        events: view.actorEvents(frame.kind, frame.id).slice().reverse(),
      });
      return;
    }
    const what = controlText(frame);
    // a model's challenger changes what trades: admins only, as the gateway's StartChallenge
    const needs = frame.op === "startChallenge" || frame.op === "endChallenge" ? Role.Admin : CONTROL_ROLE;
    if (!hasRole(p.role, needs)) {
      log.warn("console control refused", { sub: p.sub, role: p.role, what });
      send(s, {
        type: "result",
        reqId: frame.reqId,
        what,
        ok: false,
        error: { code: "forbidden", message: `${what} needs role ${needs} or above; ${p.sub} is ${p.role}` },
      });
      return;
    }
    let reply: ReplyBody;
    if (frame.op === "killSwitch") {
      reply = await killSwitch(o.nc, {
        book: frame.book,
        engage: frame.engage,
        scope: frame.scope,
        by: p.sub,
        reason: frame.reason,
        nowUs: Date.now() * 1000,
      });
    } else if (frame.op === "venueKillSwitch") {
      reply = await venueKillSwitch(o.nc, {
        venue: frame.venue,
        activate: frame.activate,
        by: p.sub,
        reason: frame.reason,
        nowUs: Date.now() * 1000,
      });
    } else if (frame.op === "proposal") {
      reply = await proposalDecision(o.nc, {
        strategy: frame.strategy,
        proposalId: frame.proposalId,
        approve: frame.decision === "approve",
        by: p.sub,
        reason: frame.reason,
        nowUs: Date.now() * 1000,
      });
    } else if (frame.op === "startChallenge" || frame.op === "endChallenge") {
      reply = await modelChallenge(o.nc, frame.op === "startChallenge" ? { ...frame, by: p.sub } : { model: frame.model });
      void view.pollModels().catch(() => {});
    } else if (frame.action === "quarantine") {
      reply = await quarantineActor(o.nc, frame.kind, frame.id, `${frame.reason} (by ${p.sub})`, p.sub);
    } else {
      reply = await actorVerb(o.nc, frame.action, frame.kind, frame.id);
    }
    log.info("console control", { sub: p.sub, role: p.role, what, ok: reply.ok, ...(reply.error ? { error: reply.error.message } : {}) });
    send(s, { ...reply, type: "result", reqId: frame.reqId, what });
    broadcast(
      { type: "audit", at: Date.now(), sub: p.sub, what, ok: reply.ok, ...(reply.error ? { error: reply.error.message } : {}) },
      false,
    );
    void view.refreshTree().catch(() => {});
  }

  // Also ends sessions whose token has expired: watching needs a valid token as much as acting does.
  const pinger = setInterval(() => {
    for (const s of sessions) {
      if (s.principal && s.principal.exp * 1000 <= Date.now()) {
        send(s, { type: "authError", reason: "expired", message: "token expired: sign in again" });
        s.ws.close(CloseCode.Unauthorized, "token expired");
        continue;
      }
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }, o.sessionCheckMs ?? 15_000);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  view.start();
  const port = (server.address() as AddressInfo).port;
  const url = `${o.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  log.info("admin console listening", { url });
  return {
    url,
    port,
    sessions: () => [...sessions].filter((s) => s.principal).length,
    stop: async () => {
      clearInterval(pinger);
      backtests.stop();
      view.stop();
      for (const s of sessions) s.ws.close(CloseCode.Shutdown, "console stopping");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const s of sessions) s.ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** What an operator's control does, in the words of the audit log and the result. */
function controlText(frame: Exclude<ClientFrame, { op: "hello" | "detail" | "backtestReport" }>): string {
  switch (frame.op) {
    case "action":
      return `${frame.action} ${frame.kind}/${frame.id}`;
    case "venueKillSwitch":
      return `${frame.activate ? "activate" : "release"} kill switch of venue ${frame.venue}`;
    case "killSwitch":
      return `${frame.engage ? "engage" : "release"} kill switch of ${frame.book} (${frame.scope})`;
    case "startChallenge":
      return `${frame.mode} of ${frame.model} v${frame.version}${frame.mode === "canary" ? ` (share ${frame.share})` : ""}`;
    case "endChallenge":
      return `end the challenge of ${frame.model}`;
    case "proposal":
      return `${frame.decision} proposal ${frame.proposalId} of ${frame.strategy}`;
  }
}
