import { z } from "zod";
import { defineMessage, type MessageOf } from "./message.ts";

/** The answer to any command (request/reply on am.cmd.<kind>.<id>). */
export const Reply = defineMessage(
  "Reply",
  1,
  z.object({
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  "Answer to a command: ok with a result, or an error with a reason code and a message.",
);
export type Reply = MessageOf<typeof Reply>;

/** Reason codes of the runtime itself (actors add their own). */
export const RuntimeError = {
  Busy: "busy",
  ActorFailed: "actor-failed",
  Quarantined: "quarantined",
  NotHere: "not-here",
  Invalid: "invalid",
  /** not handled where it was sent (the actor stopped or moved): ask again with the same ids, which is safe */
  Stopped: "stopped",
  /** an actor that is not running was asked something that does not start it */
  NotRunning: "not-running",
} as const;
export type RuntimeError = (typeof RuntimeError)[keyof typeof RuntimeError];
