import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { loadConfig } from "../../infra/config/index.ts";
import { consoleOptionsFrom } from "./config.ts";

const nc = {} as NatsConnection;
const base = { ...loadConfig({}), gatewayJwtSecret: "a-configured-secret-of-32-characters-or-more" };

t.test("the console is on at 8090 by default and off when its port is 0", async (t) => {
  t.match(consoleOptionsFrom({ ...base, consolePort: 0 }, { nc }), { off: /consolePort is 0/ });
  t.match(consoleOptionsFrom(base, { nc }), { options: { port: 8090 } });
});

t.test("the console verifies tokens with the gateway's secret and probes the NATS server it connects to", async (t) => {
  const r = consoleOptionsFrom(
    { ...base, consolePort: 8090, natsUrl: "nats://10.1.2.3:4222", natsMonitorPort: 8222 },
    { nc, questdbUrl: "http://127.0.0.1:9000" },
  );
  t.match(r, {
    options: {
      port: 8090,
      host: base.host,
      auth: { secret: base.gatewayJwtSecret },
      natsMonitorUrl: "http://10.1.2.3:8222",
      questdbUrl: "http://127.0.0.1:9000",
    },
  });
  const local = consoleOptionsFrom({ ...base, consolePort: 8090 }, { nc, natsMonitorUrl: "http://127.0.0.1:18222" });
  t.match(local, { options: { natsMonitorUrl: "http://127.0.0.1:18222" } }, "a locally started server's monitor URL wins");
});
