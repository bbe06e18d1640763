import { z } from "zod";

/**
 * The console's WebSocket protocol (JSON text frames). The browser is outside the trust boundary: every frame it
 * sends is parsed against `clientFrame`; bigints travel to it as decimal strings.
 */
const kind = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "an actor kind");
const id = z.string().min(1).max(128);
const reqId = z.number().int().nonnegative();

export const ActorAction = { Restart: "restart", Stop: "stop", Quarantine: "quarantine", Release: "release" } as const;
export type ActorAction = (typeof ActorAction)[keyof typeof ActorAction];

export const clientFrame = z.union([
  z.object({ op: z.literal("hello"), token: z.string().min(1).max(8192) }),
  z.object({ op: z.literal("detail"), reqId, kind, id }),
  z.object({ op: z.literal("action"), reqId, action: z.enum(["restart", "stop", "release"]), kind, id }),
  z.object({ op: z.literal("action"), reqId, action: z.literal("quarantine"), kind, id, reason: z.string().trim().min(1).max(500) }),
  z.object({
    op: z.literal("killSwitch"),
    reqId,
    engage: z.boolean(),
    book: z.string().min(1).max(64),
    scope: z.enum(["BOOK", "GLOBAL"]).default("BOOK"),
    reason: z.string().trim().max(256).optional(),
  }),
]);
export type ClientFrame = z.output<typeof clientFrame>;

/** Close codes the page understands (4000–4999 are the application's). */
export const CloseCode = { Unauthorized: 4401, BadFrame: 4400, Shutdown: 4503 } as const;

/** JSON text of a value with bigints as decimal strings (Money is bigint; JSON has no 64-bit integers). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}
