import { defineKind } from "../../contract/index.ts";
import { venueConnectionMachine } from "./machine.ts";

/**
 * A venue connection (id = venue): order commands in on am.cmd.venue.<venue>, adapter answers on the same subject.
 * Snapshot persistence keeps its view of open orders and the last venue sequence for reconciliation; a fresh one
 * is started with `Start` (connect, log on, reconcile).
 */
export const venueKind = () =>
  defineKind({
    name: "venue",
    machine: venueConnectionMachine,
    // the first reconnect waits a second, so that after a node restart its order actors are back to hear the result
    input: (venue) => ({ venue, rateCapacity: 50, ratePerSecond: 50, backoffBaseMs: 1_000, backoffMaxMs: 5_000 }),
    persistence: "snapshot",
    snapshotEveryMs: 500,
    startWith: { type: "Start" },
    // a gap's request for lost reports that went unanswered is asked again on the next tick (gap-fill.ts)
    tickEveryMs: 1_000,
    // the venue session died with the process that held it: reconnect and reconcile what the snapshot remembers
    resumeWith: { type: "ResumeVenueSession" },
    summarize: (c) => ({
      openOrders: Object.keys((c as { orders: object }).orders).length,
      lastVenueSeq: (c as { lastVenueSeq: number }).lastVenueSeq,
      killSwitch: (c as { killSwitch: { active: boolean } }).killSwitch.active,
    }),
  });
