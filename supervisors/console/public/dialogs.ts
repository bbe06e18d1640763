import { $ } from "./dom.js";

export function showSignIn(message: string): void {
  $("signin-error").textContent = message || "";
  const dlg = $<HTMLDialogElement>("signin");
  if (!dlg.open) dlg.showModal();
}

export function hideSignIn(): void {
  const dlg = $<HTMLDialogElement>("signin");
  if (dlg.open) dlg.close();
}

export interface Confirmation {
  title: string;
  text: string;
  reason?: boolean;
  reasonRequired?: boolean;
  /** the text field's label (Reason unless named) */
  reasonLabel?: string;
  confirmLabel?: string;
}

/** Asks the operator to confirm; resolves to the reason typed (or "") when confirmed, null when canceled. */
export function confirmAction({
  title,
  text,
  reason = false,
  reasonRequired = false,
  reasonLabel = "Reason",
  confirmLabel = "Confirm",
}: Confirmation): Promise<string | null> {
  const dlg = $<HTMLDialogElement>("confirm");
  const reasonInput = $<HTMLInputElement>("confirm-reason");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-reason-label").hidden = !reason;
  const label = $("confirm-reason-label").firstChild;
  if (label) label.textContent = `${reasonLabel} `;
  reasonInput.value = "";
  reasonInput.required = reasonRequired;
  $("confirm-ok").textContent = confirmLabel;
  dlg.returnValue = "";
  dlg.showModal();
  if (reason) reasonInput.focus();
  else $("confirm-cancel").focus();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? reasonInput.value.trim() : null), { once: true });
  });
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

export function toast(text: string, ok: boolean): void {
  const t = $("toast");
  t.textContent = text;
  t.className = `toast show ${ok ? "ok" : "bad"}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.className = "toast";
  }, 4000);
}
