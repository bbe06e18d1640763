import { connectNats } from "./infra/nats/connect.ts";
const nc = await connectNats("nats://127.0.0.1:4222", "count", { role: (process.argv[2] ?? "node") as "node" });
const counts = new Map<string, number>();
let bytes = 0;
nc.subscribe(process.argv[3] ?? "am.>", { callback: (_e, m) => {
  const t = m.subject.split(".");
  const key = t[0] === "am" ? t.slice(0, t[1] === "cmd" || t[1] === "evt" || t[1] === "stored" ? 3 : 2).join(".") + (t[1] === "md" ? "." + t[2] : "") : t[0]!.startsWith("_INBOX") ? "_INBOX" : t.slice(0, 3).join(".");
  counts.set(key, (counts.get(key) ?? 0) + 1); bytes += m.data.length;
} });
await new Promise((r) => setTimeout(r, 10_000));
console.log([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${(v / 10).toFixed(1).padStart(8)}/s ${k}`).join("\n"), "\nbytes/s", bytes / 10);
await nc.close();
