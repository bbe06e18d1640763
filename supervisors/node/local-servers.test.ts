import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { loadConfig } from "../../infra/config/index.ts";
import { freePort } from "../../infra/local/index.ts";
import { connectNats } from "../../infra/nats/index.ts";
import { questdbSql } from "../../infra/questdb/index.ts";
import { createLogger } from "../../infra/telemetry/index.ts";
import { eventually } from "../../test/testing.ts";
import { superviseLocalServers } from "./local-servers.ts";

t.test(
  "the node's nats-server killed with -9 is logged and started again on its port, and its clients reconnect; QuestDB likewise",
  async (t) => {
    const varDir = mkdtempSync(join(tmpdir(), "am-local-servers-"));
    t.teardown(() => rmSync(varDir, { recursive: true, force: true }));
    const [nats, monitor, http, pg] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const config = loadConfig({
      AM_VAR_DIR: varDir,
      AM_HOST: "127.0.0.1",
      AM_NATS_PORT: String(nats),
      AM_NATS_MONITOR_PORT: String(monitor),
      AM_QUESTDB_HTTP_PORT: String(http),
      AM_QUESTDB_PG_PORT: String(pg),
      AM_QUESTDB_HEAP_MB: "512",
    });
    const lines: string[] = [];
    const log = createLogger({ json: true, write: (l) => lines.push(l) });
    let gaveUp = "";
    const servers = await superviseLocalServers(config, log, (why) => (gaveUp = why));
    t.teardown(() => servers.stop());
    await servers.questdbReady;
    const nc = await connectNats(servers.natsUrl, "local-servers-test");
    t.teardown(() => nc.close());

    const pidOf = (name: string) => servers.running().find((s) => s.name === name)?.pid;
    const natsPid = pidOf("nats-server")!;
    process.kill(natsPid, "SIGKILL");
    await eventually("the death logged", () => lines.find((l) => /local server nats-server died/.test(l)), { timeoutMs: 5_000 });
    t.match(
      lines.find((l) => /nats-server died/.test(l)),
      /killed by SIGKILL/,
      "the log says how it ended",
    );
    await eventually("nats-server restarted", () => lines.find((l) => /local server nats-server restarted/.test(l)), { timeoutMs: 20_000 });
    t.not(pidOf("nats-server"), natsPid, "a new process");
    await eventually("the client back on the restarted server", async () => (await nc.rtt()) >= 0, { timeoutMs: 10_000 });

    const questdbPid = pidOf("questdb")!;
    process.kill(questdbPid, "SIGKILL");
    await eventually("QuestDB restarted", () => lines.find((l) => /local server questdb restarted/.test(l)), { timeoutMs: 60_000 });
    t.ok((await questdbSql(servers.questdbUrl, "SELECT 1")).dataset.length, "QuestDB answers again");
    t.equal(gaveUp, "", "the supervisor did not give up");

    await servers.stop();
    t.same(servers.running(), [], "stop leaves no server running");
    t.notOk(
      lines.some((l) => /died/.test(l) && l > lines.find((x) => /stopping nats-server/.test(x))!),
      "a stop is not logged as a death",
    );
  },
);
