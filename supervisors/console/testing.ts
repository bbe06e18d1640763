import { WebSocket } from "ws";

/** A WebSocket client of the console for tests: records every frame and waits for the one a test needs. */
export class ConsoleClient {
  readonly frames: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];
  private reqSeq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      this.frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Opens /ws and signs in with `token` (the page's first frame). */
  static async open(url: string, token: string): Promise<ConsoleClient> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}ws`);
    const c = new ConsoleClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ op: "hello", token }));
    return c;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a request frame (action, killSwitch, detail) and waits for its answer. */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const reqId = ++this.reqSeq;
    this.send({ ...frame, reqId });
    return this.waitFor((f) => f.reqId === reqId, `answer to ${String(frame.op)} ${String(frame.action ?? "")}`, timeoutMs);
  }

  /** Resolves with the first frame (already received or coming) that matches. */
  async waitFor(
    match: (f: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let seen = from;
    for (;;) {
      for (; seen < this.frames.length; seen++) if (match(this.frames[seen]!)) return this.frames[seen]!;
      if (this.closed) throw new Error(`console closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("the console did not close the socket");
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}

type Tree = {
  node: string;
  cells?: { kinds?: { kind: string; actors?: Record<string, unknown>[] }[] }[];
  quarantined?: { key: string; reason: string }[];
}[];

/** The actor's row in a pushed tree frame, if the tree has it. */
export function actorIn(frame: Record<string, unknown>, kind: string, id: string): Record<string, unknown> | undefined {
  const nodes = (frame.type === "tree" ? frame.nodes : frame.tree) as Tree | undefined;
  for (const n of nodes ?? [])
    for (const c of n.cells ?? [])
      for (const k of c.kinds ?? []) for (const a of k.actors ?? []) if (a.kind === kind && a.id === id) return a;
  return undefined;
}
