import { Sender } from "@questdb/nodejs-client";

export interface IlpSenderOptions {
  /** how long one HTTP request may take, ms (default 10 000) */
  requestTimeoutMs?: number;
  /** how long the client retries a failed request (5xx, timeouts) before giving up, ms (default 10 000) */
  retryTimeoutMs?: number;
}

/**
 * An ILP-over-HTTP sender. Protocol version 3 carries DECIMAL columns in binary, so fixed-point prices reach
 * QuestDB without passing through a float. Auto-flush is off: callers flush and only then acknowledge upstream.
 * Node's own http transport (stdlib_http): with the default undici transport (client 4.2.0) a flush to a server
 * that refuses connections retries forever, past retry_timeout, so a QuestDB outage would hang the caller.
 */
export async function openIlpSender(httpUrl: string, opts: IlpSenderOptions = {}): Promise<Sender> {
  const addr = httpUrl.replace(/^https?:\/\//, "");
  const request = opts.requestTimeoutMs ?? 10_000;
  const retry = opts.retryTimeoutMs ?? 10_000;
  return Sender.fromConfig(
    `http::addr=${addr};protocol_version=3;auto_flush=off;request_timeout=${request};retry_timeout=${retry};stdlib_http=on;`,
  );
}

export type { Sender };
