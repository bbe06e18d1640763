/**
 * The local EDGAR for tests: it logs every request (a test may add requests "from elsewhere" to the log, which
 * EDGAR's rate counts) and can be told to answer the next requests with garbage or a dropped connection.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type EdgarRequest, LocalEdgar } from "./local-provider.ts";

export class FakeEdgar extends LocalEdgar {
  readonly requests: EdgarRequest[] = [];
  /** replies that replace the next ones: "garbage" (an HTML page where JSON or Atom belongs), "drop" */
  private script: Array<"garbage" | "drop"> = [];

  answerNext(...steps: Array<"garbage" | "drop">): void {
    this.script.push(...steps);
  }

  protected override received(r: EdgarRequest): void {
    this.requests.push(r);
  }

  protected override requestsInLastSecond(now: number): number {
    return this.requests.filter((r) => r.atMs > now - 1000).length;
  }

  protected override intercepted(req: IncomingMessage, res: ServerResponse): boolean {
    const step = this.script.shift();
    if (step === "drop") req.socket.destroy();
    if (step === "garbage") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><head><title>SEC.gov | Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>");
    }
    return step !== undefined;
  }
}

export function startFakeEdgar(port: number): Promise<FakeEdgar> {
  return new FakeEdgar().listen(port);
}
