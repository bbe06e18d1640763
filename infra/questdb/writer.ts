import { Sender } from "@questdb/nodejs-client";

/**
 * An ILP-over-HTTP sender. Protocol version 3 carries DECIMAL columns in binary, so fixed-point prices reach
 * QuestDB without passing through a float. Auto-flush is off: callers flush and only then acknowledge upstream.
 */
export async function openIlpSender(httpUrl: string): Promise<Sender> {
  const addr = httpUrl.replace(/^https?:\/\//, "");
  return Sender.fromConfig(`http::addr=${addr};protocol_version=3;auto_flush=off;request_timeout=10000;retry_timeout=10000;`);
}

export type { Sender };
