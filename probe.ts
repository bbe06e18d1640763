import { connect } from "@nats-io/transport-node";
const nc = await connect({ servers: "nats://127.0.0.1:4222" });
const counts = new Map<string, number>();
nc.subscribe(">", { callback: (_e, m) => { const k = m.subject.split(".").slice(0, 3).join("."); counts.set(k, (counts.get(k) ?? 0) + 1); } });
await new Promise((r) => setTimeout(r, 3000));
console.log([...counts].filter(([k]) => k.startsWith("am.")).sort());
await nc.close();
