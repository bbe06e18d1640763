/**
 * The raw request-reply baseline's responder: a plain nats.js subscriber answering every request on `subject` with
 * the same pre-encoded Reply, in a process of its own, as an actor answers from a node process (a responder in the
 * requester's own process saves the wake-up of another process on every round trip, which on a busy 2-core
 * machine is most of the tail).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectNats } from "../../../infra/nats/connect.ts";
import { encodeMessage } from "../../../infra/nats/codec.ts";

export interface RawResponder {
  stop(): Promise<void>;
}

/** Starts the responder process; resolves once its subscription is on the server. */
export async function startRawResponder(natsUrl: string, subject: string): Promise<RawResponder> {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", natsUrl, subject], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`the raw responder exited with ${code} before it was ready`)));
  });
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function serve(natsUrl: string, subject: string): Promise<void> {
  const nc = await connectNats(natsUrl, "raw-responder");
  const reply = encodeMessage({ type: "Reply", ok: true, result: { count: 1 } });
  nc.subscribe(subject, { callback: (_e, m) => void m.respond(reply.data, { headers: reply.headers }) });
  await nc.flush();
  process.on("SIGTERM", () => void nc.close().finally(() => process.exit(0)));
  process.send!("ready");
}

if (process.argv[2] === "--serve") await serve(process.argv[3]!, process.argv[4]!);
