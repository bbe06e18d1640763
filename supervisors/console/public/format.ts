import { esc } from "./dom.js";

export const timeOfUs = (us: number | string | undefined): string => (us ? new Date(Number(us) / 1000).toISOString().slice(11, 23) : "—");
export const timeOfMs = (ms: number | undefined): string => (ms ? new Date(ms).toISOString().slice(11, 23) : "—");
export const groupDigits = (s: string): string => s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A decimal string of 1e-8 units rounded to `dp` places with grouped digits; exact (BigInt), never a float. */
export function fmtDec(s: unknown, dp = 2): string {
  if (s === null || s === undefined || s === "") return "—";
  const text = String(s);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return esc(text);
  const neg = text.startsWith("-");
  const [i = "0", f = ""] = (neg ? text.slice(1) : text).split(".");
  let n = BigInt(i) * 100000000n + BigInt((f + "00000000").slice(0, 8));
  const div = 10n ** BigInt(8 - dp);
  n = (n + div / 2n) / div;
  const scale = 10n ** BigInt(dp);
  const frac = dp ? `.${(n % scale).toString().padStart(dp, "0")}` : "";
  return `${neg && n !== 0n ? "-" : ""}${groupDigits((n / scale).toString())}${frac}`;
}

/** Prices keep their own precision (as formatted by the server), with grouped digits. */
export function fmtPx(s: unknown): string {
  if (s === null || s === undefined || s === "") return "";
  const [i = "", f] = String(s).split(".");
  return `${groupDigits(i)}${f ? `.${f}` : ""}`;
}

export function fmtBytes(b: number): string {
  const n = Number(b);
  if (n < 1024) return `${n} B`;
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let k = 0;
  while (v >= 1024 && k < u.length - 1) {
    v /= 1024;
    k++;
  }
  return `${v.toFixed(1)} ${u[k]}`;
}

export const signClass = (s: unknown): string => (String(s ?? "").startsWith("-") ? "down" : Number(s) > 0 ? "up" : "");
