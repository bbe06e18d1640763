import type { ActorAction } from "../../protocol.ts";
import { findActor, statusOf } from "../actors.js";
import { confirmAction, toast } from "../dialogs.js";
import { $, closest } from "../dom.js";
import { call } from "../link.js";
import { state } from "../state.js";

/** Controls are shown to everyone; for roles below the control role they are disabled and say which role is needed. */
function controlGate(): { ok: boolean; why: string } {
  const me = state.me;
  if (!me) return { ok: false, why: "sign in first" };
  if (!me.canOperate) return { ok: false, why: `Needs role ${me.controlRole} or above (you are ${me.role})` };
  return { ok: true, why: "" };
}

/** Enables the actor controls that apply to the selection, and the kill switches, for roles that may use them. */
export function renderControls(): void {
  const gate = controlGate();
  const s = state.selected;
  const a = s ? findActor(s.kind, s.id) : null;
  const quarantined = a ? statusOf(a) === "quarantined" : false;
  for (const b of $("actor-controls").querySelectorAll<HTMLButtonElement>("button")) {
    const act = b.dataset.action;
    const applicable = !!s && (act === "release" ? quarantined : act === "quarantine" ? !quarantined : !quarantined);
    b.disabled = !gate.ok || !applicable;
    b.title = !gate.ok
      ? gate.why
      : !s
        ? "select an actor first"
        : !applicable
          ? act === "release"
            ? "the actor is not quarantined"
            : "the actor is quarantined: release it first"
          : `${act} ${s.kind}/${s.id}`;
  }
  // a venue connection's kill switch: shown while a venue is selected
  const venue = s?.kind === "venue" ? s.id : null;
  $("venue-controls").hidden = venue === null;
  for (const b of $("venue-controls").querySelectorAll<HTMLButtonElement>("button[data-venue-kill]")) {
    b.disabled = !gate.ok || venue === null;
    b.title = gate.ok ? `${b.dataset.venueKill === "activate" ? "Activate" : "Release"} the kill switch of venue ${venue ?? ""}` : gate.why;
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>("[data-kill]")) {
    b.disabled = !gate.ok;
    b.title = gate.ok ? (b.dataset.hint ?? "") : gate.why;
  }
}

const ACTION_TEXT: Record<ActorAction, string> = {
  restart: "The actor is stopped and started again from its last persisted state.",
  stop: "The actor is unassigned and stops on its node; placement will not run it until it is spawned again.",
  quarantine: "The actor is stopped and kept stopped, on every node, until an operator releases it.",
  release: "The quarantine is lifted and the actor starts again on its owner node.",
};

const isAction = (v: string | undefined): v is ActorAction => v !== undefined && Object.hasOwn(ACTION_TEXT, v);

/** An actor control asks to confirm, sends the action and says how it went; `acted` refreshes the actor. */
export function mountControls(acted: (kind: string, id: string) => void): void {
  $("actor-controls").addEventListener("click", async (e) => {
    const b = closest<HTMLButtonElement>(e, "button[data-action]");
    if (!b || b.disabled || !state.selected) return;
    const { kind, id } = state.selected;
    const action = b.dataset.action;
    if (!isAction(action)) return;
    const label = `${action[0]?.toUpperCase()}${action.slice(1)}`;
    const reason = await confirmAction({
      title: `${label} ${kind}/${id}?`,
      text: ACTION_TEXT[action],
      reason: action === "quarantine",
      reasonRequired: action === "quarantine",
      confirmLabel: label,
    });
    if (reason === null) return;
    const r = await call(action === "quarantine" ? { op: "action", action, kind, id, reason } : { op: "action", action, kind, id });
    toast(r.ok ? `${r.what}: done` : `${r.what ?? action}: ${r.error?.message ?? "failed"}`, r.ok);
    if (r.ok) acted(kind, id);
  });
  $("venue-controls").addEventListener("click", async (e) => {
    const b = closest<HTMLButtonElement>(e, "button[data-venue-kill]");
    if (!b || b.disabled || state.selected?.kind !== "venue") return;
    const { kind, id: venue } = state.selected;
    const activate = b.dataset.venueKill === "activate";
    const reason = await confirmAction({
      title: `${activate ? "Activate" : "Release"} the kill switch of venue ${venue}?`,
      text: activate
        ? "Every open order at this venue is canceled and new orders are refused until the kill switch is released."
        : "The venue takes new orders again.",
      reason: true,
      reasonRequired: activate,
      confirmLabel: activate ? "Activate" : "Release",
    });
    if (reason === null) return;
    const r = await call({ op: "venueKillSwitch", activate, venue, ...(reason ? { reason } : {}) });
    toast(r.ok ? `${r.what}: done` : `${r.what ?? "venue kill switch"}: ${r.error?.message ?? "failed"}`, r.ok);
    if (r.ok) acted(kind, venue);
  });
}
