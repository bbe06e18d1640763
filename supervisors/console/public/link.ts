import type { ClientFrameInput, ReplyError, ServerFrame } from "../protocol.ts";
import { $ } from "./dom.js";

export const TOKEN_KEY = "alphamind.console.token";

type Detail = Extract<ServerFrame, { type: "detail" }>;
type Result = Extract<ServerFrame, { type: "result" }>;
type BacktestReport = Extract<ServerFrame, { type: "backtestReport" }>;
/** Why a request got no answer. */
export type Disconnected = { type: "disconnected"; ok: false; error: ReplyError; what?: undefined };
type Answer = Detail | Result | BacktestReport | Disconnected;

/** A request frame of an op; its reqId is added here. */
type Request<Op> = ClientFrameInput extends infer F ? (F extends { op: Op; reqId: number } ? Omit<F, "reqId"> : never) : never;

let ws: WebSocket | null = null;
let reqSeq = 0;
const pending = new Map<number, (answer: Answer) => void>();
let retryMs = 500;
/** the server welcomed us on the current socket */
let linked = false;
/** nodes the cluster showed last (undefined: no tree yet) */
let nodesSeen: number | undefined;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;

/** The link as operators must read it: connected to the console is not "live" while no node runs anything. */
function showLinked(): void {
  if (nodesSeen === undefined) setLink("wait", "live · waiting for the tree");
  else if (nodesSeen === 0) setLink("wait", "live · no nodes");
  else setLink("on", "live");
}

/** The number of nodes the latest tree shows; the link turns green only when there is one. */
export function linkNodes(n: number): void {
  nodesSeen = n;
  if (linked) showLinked();
}

export function setLink(kind: "on" | "off" | "wait", text: string): void {
  $("link").className = `dot dot-${kind}`;
  $("link-text").textContent = text;
}

export interface LinkHandlers {
  onFrame(frame: ServerFrame): void;
  /** no token stored: the user must sign in */
  onSignedOut(): void;
}

let handlers: LinkHandlers | undefined;

/** Connects for the first time; later (re)connects reuse these handlers. */
export function startLink(h: LinkHandlers): void {
  handlers = h;
  connect();
}

/** Opens the socket with the stored token and signs in with the first frame; reconnects with backoff. */
export function connect(): void {
  const h = handlers;
  if (!h) throw new Error("the console link has no frame handlers: call startLink first");
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    h.onSignedOut();
    return;
  }
  clearTimeout(reconnectTimer);
  setLink("wait", "connecting");
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  const me = ws;
  ws.addEventListener("open", () => me.send(JSON.stringify({ op: "hello", token })));
  ws.addEventListener("message", (e: MessageEvent<string>) => h.onFrame(JSON.parse(e.data) as ServerFrame));
  ws.addEventListener("close", (e) => {
    if (ws !== me) return;
    linked = false;
    for (const [, p] of pending)
      p({ type: "disconnected", ok: false, error: { code: "disconnected", message: "connection lost before the answer came" } });
    pending.clear();
    if (e.code === 4401) {
      setLink("off", "signed out");
      return;
    }
    setLink("off", "offline — retrying");
    reconnectTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  });
}

/** The server welcomed us: the next drop retries quickly again. */
export function linkUp(): void {
  retryMs = 500;
  linked = true;
  showLinked();
}

/** Closes the socket for good (sign-out): no reconnect follows. */
export function disconnect(): void {
  const old = ws;
  ws = null;
  linked = false;
  old?.close();
}

/** Sends a request frame; resolves with the answer carrying its reqId. */
export function call(frame: Request<"detail">): Promise<Detail | Disconnected>;
export function call(
  frame: Request<"action" | "killSwitch" | "venueKillSwitch" | "startChallenge" | "endChallenge" | "proposal">,
): Promise<Result | Disconnected>;
export function call(frame: Request<"backtestReport">): Promise<BacktestReport | Disconnected>;
export function call(
  frame: Request<
    "detail" | "action" | "killSwitch" | "venueKillSwitch" | "startChallenge" | "endChallenge" | "proposal" | "backtestReport"
  >,
): Promise<Answer> {
  const reqId = ++reqSeq;
  return new Promise((resolve) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      resolve({ type: "disconnected", ok: false, error: { code: "disconnected", message: "not connected to the node" } });
      return;
    }
    pending.set(reqId, resolve);
    ws.send(JSON.stringify({ ...frame, reqId }));
  });
}

/** Hands an answer to the request waiting for it. */
export function answered(frame: Detail | Result | BacktestReport): void {
  const p = pending.get(frame.reqId);
  pending.delete(frame.reqId);
  p?.(frame);
}
