import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { stamped } from "./schemas.ts";

/** Operator commands to a venue connection (am.cmd.venue.<venue>); `by` is who, for the audit trail. */
const who = z.string().min(1).max(128);

export const ActivateVenueKillSwitch = defineMessage(
  "ActivateVenueKillSwitch",
  1,
  z.object({ by: who, reason: z.string().min(1).max(256), ...stamped }),
  "Cancel every open order at the venue and refuse new ones (KILL_SWITCH_ACTIVE) until released.",
);
export type ActivateVenueKillSwitch = MessageOf<typeof ActivateVenueKillSwitch>;

export const ReleaseVenueKillSwitch = defineMessage(
  "ReleaseVenueKillSwitch",
  1,
  z.object({ by: who, reason: z.string().max(256).optional(), ...stamped }),
  "Let the venue take new orders again.",
);
export type ReleaseVenueKillSwitch = MessageOf<typeof ReleaseVenueKillSwitch>;
