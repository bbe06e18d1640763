// Browser module (served as JS by the console server). Imports name the served `.js` paths.

/** The page's element with this id; the page is static, so a missing one is a bug in index.html. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`console page has no element #${id}`);
  return el as T;
}

/** The element matching `selector` at or above the event's target, if any. */
export function closest<T extends HTMLElement = HTMLElement>(e: Event, selector: string): T | null {
  return e.target instanceof Element ? e.target.closest<T>(selector) : null;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (v: unknown): string => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c] ?? c);

export const badge = (status: string, text: string = status): string =>
  `<span class="badge st-${esc(String(status).toLowerCase())}">${esc(text)}</span>`;

/** A dense table of pre-rendered cells, or `empty` when there are no rows. */
export function table(heads: string[], rows: unknown[][], empty: string): string {
  if (!rows.length) return `<div class="dim">${esc(empty)}</div>`;
  return `<table class="dense"><thead><tr>${heads.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}
