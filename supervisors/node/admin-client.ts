import type { NatsConnection } from "@nats-io/transport-node";
import { Reply, subjects } from "../../actors/contract/index.ts";
import { decodeAs, encodeMessage, type Message } from "../../infra/nats/codec.ts";

export interface ReplyBody {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

/** Sends a command to an actor and decodes its Reply. */
export async function command(nc: NatsConnection, kind: string, id: string, message: Message, timeout = 5_000): Promise<ReplyBody> {
  const { data, headers } = encodeMessage(message);
  const r = await nc.request(subjects.cmd(kind, id), data, { headers, timeout });
  return decodeAs(Reply, r.data, r.headers);
}

/** Calls the admin API (am.admin.<verb>) and decodes its Reply. */
export async function admin(nc: NatsConnection, verb: string, message: Message, timeout = 10_000): Promise<ReplyBody> {
  const { data, headers } = encodeMessage(message);
  const r = await nc.request(subjects.admin(verb), data, { headers, timeout });
  return decodeAs(Reply, r.data, r.headers);
}
