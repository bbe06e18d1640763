import { z } from "zod";
import { ActivateVenueKillSwitch, ReleaseVenueKillSwitch } from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, reason } from "../validation.ts";
import type { Services } from "./context.ts";

/**
 * The kill switch of one venue connection (am.cmd.venue.<venue>), part of the Trading service: activating it
 * cancels every open order at the venue and refuses new ones with KILL_SWITCH_ACTIVE until it is released.
 * The caller's JWT subject is the `by` of the audit trail.
 */
export function venueKillSwitchRpcs(s: Services): ServiceRpcs {
  return {
    ActivateVenueKillSwitch: unary({
      role: Role.Operator,
      request: z.object({ venue: actorId, reason: reason.min(1, "required: say why the venue is stopped") }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const message = ActivateVenueKillSwitch.schema.parse({ by: ctx.principal.subject, reason: req.reason, tsEvent: ts, tsInit: ts });
        await s.bus.command(subjects.cmd("venue", req.venue), { type: ActivateVenueKillSwitch.type, ...message }, ctx.remainingMs());
        return { venue: req.venue, active: true };
      },
    }),
    ReleaseVenueKillSwitch: unary({
      role: Role.Operator,
      request: z.object({ venue: actorId, reason }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const why = req.reason ? { reason: req.reason } : {};
        const message = ReleaseVenueKillSwitch.schema.parse({ by: ctx.principal.subject, ...why, tsEvent: ts, tsInit: ts });
        await s.bus.command(subjects.cmd("venue", req.venue), { type: ReleaseVenueKillSwitch.type, ...message }, ctx.remainingMs());
        return { venue: req.venue, active: false };
      },
    }),
  };
}
