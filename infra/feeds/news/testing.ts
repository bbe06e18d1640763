/**
 * The local Polygon news for tests: it logs every request and can be told to answer the next ones with a 502 page
 * or to slip an unreadable article into a page.
 */
import type { ServerResponse } from "node:http";
import { type LocalArticle, LocalPolygonNews } from "./local-provider.ts";

export class FakePolygonNews extends LocalPolygonNews {
  readonly requests: string[] = [];
  private script: Array<"garbage" | "bad-article"> = [];
  private badArticle = false;

  answerNext(...steps: Array<"garbage" | "bad-article">): void {
    this.script.push(...steps);
  }

  protected override received(pathAndQuery: string): void {
    this.requests.push(pathAndQuery);
  }

  protected override intercepted(res: ServerResponse): boolean {
    const step = this.script.shift();
    this.badArticle = step === "bad-article";
    if (step !== "garbage") return false;
    res.writeHead(502, { "content-type": "text/html" });
    res.end("<html>502 Bad Gateway</html>");
    return true;
  }

  protected override results(page: readonly LocalArticle[]): unknown[] {
    const out = super.results(page);
    if (this.badArticle) out.unshift({ id: "bad", title: "No time", published_utc: "yesterday" });
    return out;
  }
}

export function startFakePolygonNews(port: number, apiKey: string): Promise<FakePolygonNews> {
  return new FakePolygonNews(apiKey).listen(port);
}
