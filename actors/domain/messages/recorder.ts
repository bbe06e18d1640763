import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { stamped } from "./schemas.ts";

/** Why the recorder refused a message: it is terminated on its stream and never retried. */
export const RecordRejectReason = {
  /** not msgpack, no am-type header, or failed its schema */
  Decode: "DECODE",
  /** a valid message of a type the recorder does not store on that subject */
  UnexpectedType: "UNEXPECTED_TYPE",
  /** QuestDB refused the row itself (HTTP 4xx), not a transient outage */
  RefusedByQuestdb: "REFUSED_BY_QUESTDB",
} as const;
export type RecordRejectReason = (typeof RecordRejectReason)[keyof typeof RecordRejectReason];

export const RecordRejected = defineMessage(
  "RecordRejected",
  1,
  z.object({
    /** the JetStream stream and sequence the message came from */
    stream: z.string(),
    streamSeq: z.number().int().nonnegative(),
    subject: z.string(),
    reason: z.enum(Object.values(RecordRejectReason) as [RecordRejectReason, ...RecordRejectReason[]]),
    /** which field, which value, what QuestDB said */
    detail: z.string(),
    /** the am-type header as it came, when there was one */
    inputType: z.string().optional(),
    /** the payload as it came */
    input: z.custom<Uint8Array>((v) => v instanceof Uint8Array, "must be bytes"),
    ...stamped,
  }),
  "A message the QuestDB recorder refused, published on am.dlq.recorder.<md|orders> with the reason.",
);
export type RecordRejected = MessageOf<typeof RecordRejected>;
