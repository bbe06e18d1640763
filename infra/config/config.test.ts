import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { repoRoot } from "../local/index.ts";
import { ConfigError, envName, loadConfig, settings } from "./index.ts";

/** The ConfigError that loading `env` throws (fails the test when it does not throw one). */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

function tempDir(t: { teardown: (fn: () => unknown) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "am-config-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("with no settings every key takes its documented default", async (t) => {
  const config = loadConfig({});
  t.equal(config.host, "127.0.0.1");
  t.equal(config.natsPort, 4222);
  t.equal(config.natsMonitorPort, 8222);
  t.equal(config.questdbHttpPort, 9000);
  t.equal(config.questdbPgPort, 8812);
  t.equal(config.questdbHeapMb, 512);
  t.equal(config.varDir, "var");
  t.equal(config.cacheDir, join(homedir(), ".cache/alphamind"), "~ is expanded to the home directory");
  t.equal(config.logLevel, "info");
  t.equal(config.startInfra, true);
  t.equal(config.replicas, 1);
  t.equal(config.natsUrl, undefined);
  t.equal(config.questdbUrl, undefined);
  t.match(config.nodeId, /^[A-Za-z0-9_-]+-\d+$/, "the node id defaults to host-pid");
});

t.test("environment variables override defaults and arrive typed", async (t) => {
  const config = loadConfig({
    AM_NATS_PORT: "14222",
    AM_QUESTDB_HEAP_MB: "768",
    AM_START_INFRA: "false",
    AM_NATS_URL: "nats://10.0.0.1:4222",
    AM_LOG_LEVEL: "debug",
    AM_NODE_ID: "node-a",
    PATH: "/usr/bin",
  });
  t.equal(config.natsPort, 14222);
  t.equal(config.questdbHeapMb, 768);
  t.equal(config.startInfra, false);
  t.equal(config.natsUrl, "nats://10.0.0.1:4222");
  t.equal(config.logLevel, "debug");
  t.equal(config.nodeId, "node-a");
});

t.test("a config file sets values and the environment wins over it", async (t) => {
  const file = join(tempDir(t), "am.json");
  writeFileSync(file, JSON.stringify({ natsPort: 5000, replicas: 3 }));
  const config = loadConfig({ AM_CONFIG_FILE: file, AM_NATS_PORT: "6000" });
  t.equal(config.replicas, 3);
  t.equal(config.natsPort, 6000);
});

t.test("an unknown AM_ variable is an error naming it", async (t) => {
  const err = configErrorOf({ AM_NATS_PROT: "4222" });
  t.equal(err.key, "AM_NATS_PROT");
  t.match(err.message, /AM_NATS_PROT/);
  t.match(err.message, /AM_NATS_PORT/, "the message lists the known settings");
});

t.test("a port out of range is an error naming the variable", async (t) => {
  for (const bad of ["0", "65536", "http", "42.5"]) {
    const err = configErrorOf({ AM_QUESTDB_PG_PORT: bad });
    t.equal(err.key, "AM_QUESTDB_PG_PORT", `AM_QUESTDB_PG_PORT=${bad}`);
    t.match(err.message, /^configuration AM_QUESTDB_PG_PORT: /);
  }
});

t.test("a bad value in the config file names the key and the file", async (t) => {
  const file = join(tempDir(t), "am.json");
  writeFileSync(file, JSON.stringify({ natsMonitorPort: 99999 }));
  const err = configErrorOf({ AM_CONFIG_FILE: file });
  t.equal(err.key, `natsMonitorPort (in ${file})`);
});

t.test("a missing, malformed or unknown-keyed config file is an error naming it", async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, "nope.json");
  t.match(configErrorOf({ AM_CONFIG_FILE: missing }), { key: "AM_CONFIG_FILE", message: /nope\.json does not exist/ });

  const malformed = join(dir, "bad.json");
  writeFileSync(malformed, "{ natsPort: 1 ");
  t.match(configErrorOf({ AM_CONFIG_FILE: malformed }), { key: "AM_CONFIG_FILE", message: /bad\.json is not valid JSON/ });

  const array = join(dir, "array.json");
  writeFileSync(array, "[1, 2]");
  t.match(configErrorOf({ AM_CONFIG_FILE: array }), { key: "AM_CONFIG_FILE", message: /must hold a JSON object/ });

  const unknown = join(dir, "unknown.json");
  writeFileSync(unknown, JSON.stringify({ natsPort: 4222, colour: "blue" }));
  t.match(configErrorOf({ AM_CONFIG_FILE: unknown }), { key: "colour", message: /unknown key in .*unknown\.json/ });
});

t.test("a varDir that is not a directory is an error naming the variable", async (t) => {
  const file = join(tempDir(t), "a-file");
  writeFileSync(file, "");
  t.match(configErrorOf({ AM_VAR_DIR: file }), { key: "AM_VAR_DIR", message: /is not a directory/ });
});

// root passes every permission check, so the case cannot be produced there.
const asRoot = process.getuid?.() === 0;
t.test(
  "a varDir that cannot be written is an error naming the variable",
  { skip: asRoot && "running as root: permissions are not enforced" },
  async (t) => {
    const dir = join(tempDir(t), "locked");
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    t.teardown(() => chmodSync(dir, 0o700));
    t.match(configErrorOf({ AM_VAR_DIR: dir }), { key: "AM_VAR_DIR", message: /not readable and writable/ });
  },
);

t.test("a varDir that does not exist yet is accepted (it is created at start)", async (t) => {
  const dir = join(tempDir(t), "later");
  t.equal(loadConfig({ AM_VAR_DIR: dir }).varDir, dir);
});

t.test("every setting has an env name, a default that validates, and a line of documentation", async (t) => {
  for (const [name, s] of Object.entries(settings)) {
    t.match(envName(name), /^AM_[A-Z0-9_]+$/, name);
    t.ok(s.schema.safeParse(s.default).success, `${name}: default ${JSON.stringify(s.default)} validates`);
    t.ok(s.doc.length > 10, `${name} is documented`);
  }
  t.equal(envName("questdbHttpPort"), "AM_QUESTDB_HTTP_PORT");
});

t.test("the node process refuses a bad setting with exit code 2 and names it on stderr", async (t) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AM_")));
  const run = spawnSync(process.execPath, ["--import", "tsx", "supervisors/node/main.ts"], {
    cwd: repoRoot,
    env: { ...env, AM_NATS_PORT: "70000" },
    encoding: "utf8",
    timeout: 60_000,
  });
  t.equal(run.status, 2, run.stderr);
  t.match(run.stderr, /AM_NATS_PORT/);
  t.notMatch(run.stdout, /node up/);
});

t.test("AM_VENUE_COSTS gives each simulated venue its fees and latency; none by default; an error names venue and field", async (t) => {
  t.same(loadConfig({}).venueCosts, {}, "no venue pays fees or waits by default");
  const c = loadConfig({ AM_VENUE_COSTS: '{"SIMX":{"takerFeeBps":1.5,"makerFeeBps":-0.25,"latencyUs":200}}' });
  t.same(c.venueCosts, { SIMX: { makerFeeBps: -0.25, takerFeeBps: 1.5, latencyUs: 200, jitterUs: 0 } });
  const fine = configErrorOf({ AM_VENUE_COSTS: '{"SIMX":{"takerFeeBps":1.555}}' });
  t.match(fine.message, /AM_VENUE_COSTS.*SIMX\.takerFeeBps: at most two decimals/);
  const typo = configErrorOf({ AM_VENUE_COSTS: '{"SIMX":{"takerFee":1}}' });
  t.match(typo.message, /AM_VENUE_COSTS.*takerFee/);
  t.match(configErrorOf({ AM_VENUE_COSTS: "{SIMX" }).message, /AM_VENUE_COSTS.*not JSON/);
});

t.test("AM_RISK_COUNTERPARTIES gives a venue its own credit and CSA; none by default; an error names venue and field", async (t) => {
  t.same(loadConfig({}).riskCounterparties, {}, "every venue has the default credit and no CSA");
  const c = loadConfig({ AM_RISK_COUNTERPARTIES: '{"SIMX":{"credit":{"spread":0.02},"collateral":{"threshold":1000000}}}' });
  t.same(c.riskCounterparties, {
    SIMX: {
      credit: { spread: 0.02 },
      collateral: { threshold: 1_000_000, minimumTransfer: 0, independentAmount: 0, marginPeriodDays: 10 },
    },
  });
  t.match(
    configErrorOf({ AM_RISK_COUNTERPARTIES: '{"SIMX":{"collateral":{"threshold":-1}}}' }).message,
    /AM_RISK_COUNTERPARTIES.*SIMX\.collateral\.threshold: not negative/,
  );
  t.match(
    configErrorOf({ AM_RISK_COUNTERPARTIES: '{"SIMX":{"credit":{"recoveryRate":1}}}' }).message,
    /SIMX\.credit\.recoveryRate: under 1/,
  );
});

t.test("AM_VENUE_CAPABILITIES says what each venue accepts natively; everything by default; an error names venue and field", async (t) => {
  t.same(loadConfig({}).venueCapabilities, {}, "every venue takes every order type and time in force by default");
  const c = loadConfig({ AM_VENUE_CAPABILITIES: '{"SIMY":{"orderTypes":["MARKET","LIMIT"],"timesInForce":["DAY","GTC"]}}' });
  t.same(c.venueCapabilities, {
    SIMY: { orderTypes: ["MARKET", "LIMIT"], timesInForce: ["DAY", "GTC"], postOnly: true, reduceOnly: true },
  });
  const unknown = configErrorOf({ AM_VENUE_CAPABILITIES: '{"SIMY":{"orderTypes":["ICEBERG"]}}' });
  t.match(unknown.message, /AM_VENUE_CAPABILITIES.*SIMY\.orderTypes\.0/);
  t.match(configErrorOf({ AM_VENUE_CAPABILITIES: '{"SIMY":{"orderTypes":[]}}' }).message, /SIMY\.orderTypes: at least one order type/);
  t.match(configErrorOf({ AM_VENUE_CAPABILITIES: '{"SIMY":{"stops":false}}' }).message, /AM_VENUE_CAPABILITIES.*stops/);
  t.match(configErrorOf({ AM_VENUE_CAPABILITIES: "[" }).message, /AM_VENUE_CAPABILITIES.*not JSON/);
});

t.test(
  "AM_VENUE_CAPABILITIES lists: the order lists a venue holds itself; none unless named; an unknown type names the field",
  async (t) => {
    t.equal(
      loadConfig({ AM_VENUE_CAPABILITIES: '{"SIMY":{}}' }).venueCapabilities.SIMY?.lists,
      undefined,
      "the platform holds them by default",
    );
    const c = loadConfig({ AM_VENUE_CAPABILITIES: '{"SIMY":{"lists":["OCO","OTO","BRACKET"]}}' });
    t.strictSame(c.venueCapabilities.SIMY?.lists, ["OCO", "OTO", "BRACKET"]);
    t.match(
      configErrorOf({ AM_VENUE_CAPABILITIES: '{"SIMY":{"lists":["OCO","ICEBERG"]}}' }).message,
      /AM_VENUE_CAPABILITIES.*SIMY\.lists\.1/,
    );
    // a FIX venue holds lists too: they travel as NewOrderList (actors/venue/fix)
    const overFix = loadConfig({
      AM_VENUE_CAPABILITIES: '{"SIMY":{"lists":["OCO"]}}',
      AM_FIX_VENUES: '{"SIMY":{"host":"127.0.0.1","port":9878,"senderCompId":"AM","targetCompId":"SIMY"}}',
    });
    t.strictSame(overFix.venueCapabilities.SIMY?.lists, ["OCO"]);
  },
);

t.test("telemetry settings: a bad metrics port, traces URL or sample ratio is an error naming the variable", async (t) => {
  const config = loadConfig({});
  t.equal(config.metricsPort, 9464, "the endpoint is on by default");
  t.equal(config.metricsHost, "127.0.0.1", "on loopback by default");
  t.equal(config.otlpTracesUrl, undefined, "no traces exported by default");
  t.equal(config.traceSampleRatio, 1);
  t.equal(loadConfig({ AM_METRICS_PORT: "0" }).metricsPort, 0, "0 turns the endpoint off");
  for (const [key, bad] of [
    ["AM_METRICS_PORT", "65536"],
    ["AM_METRICS_PORT", "-1"],
    ["AM_METRICS_HOST", ""],
    ["AM_OTLP_TRACES_URL", "127.0.0.1:4318"],
    ["AM_TRACE_SAMPLE_RATIO", "1.5"],
    ["AM_TRACE_SAMPLE_RATIO", "some"],
  ] as const) {
    const err = configErrorOf({ [key]: bad });
    t.equal(err.key, key, `${key}=${bad}`);
  }
});

t.test("AM_FIX_VENUES names the venues traded over FIX with their session; none by default; an error names venue and field", async (t) => {
  t.same(loadConfig({}).fixVenues, {});
  const c = loadConfig({ AM_FIX_VENUES: '{"SIMX":{"port":9878,"senderCompId":"ALPHAMIND","targetCompId":"SIMX","acceptor":true}}' });
  t.same(c.fixVenues.SIMX, {
    host: "127.0.0.1",
    port: 9878,
    senderCompId: "ALPHAMIND",
    targetCompId: "SIMX",
    heartbeatSecs: 30,
    resetSeqNumOnLogon: false,
    acceptor: true,
  });
  t.match(
    configErrorOf({ AM_FIX_VENUES: '{"SIMX":{"port":0,"senderCompId":"A","targetCompId":"B"}}' }).message,
    /AM_FIX_VENUES.*SIMX\.port/,
  );
  t.match(
    configErrorOf({ AM_FIX_VENUES: '{"SIMX":{"port":9878,"senderCompId":"A B","targetCompId":"B"}}' }).message,
    /SIMX\.senderCompId: a FIX CompID/,
  );
  t.match(
    configErrorOf({ AM_FIX_VENUES: '{"SIMX":{"port":9878,"senderCompId":"A","targetCompId":"B","tls":true}}' }).message,
    /AM_FIX_VENUES.*tls/,
  );
});
