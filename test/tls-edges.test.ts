import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { loadProtos, startGateway } from "../gateway/index.ts";
import { call } from "../gateway/testing.ts";
import { repoRoot } from "../infra/local/index.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { startConsole } from "../supervisors/console/index.ts";
import { startTestServers, type Teardown } from "./testing.ts";

/** Development certificates (scripts/dev-certs.sh) in a directory removed when the test ends. */
function devCerts(t: Teardown): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "am-certs-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync("bash", [join(repoRoot, "scripts/dev-certs.sh"), dir], { stdio: "ignore" });
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server-key.pem") };
}

/** The status of a GET over HTTPS, trusting only `ca`. */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { ca: readFileSync(ca) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });
}

t.test("the console serves HTTPS with the development certificate", async (t) => {
  const certs = devCerts(t);
  const f = await startTestServers(t);
  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: "x".repeat(32) },
    tls: { certFile: certs.cert, keyFile: certs.key },
    log: createLogger({ level: "error" }),
  });
  t.teardown(() => running.stop());
  t.match(running.url, /^https:\/\//);
  t.equal(await httpsStatus(running.url, certs.ca), 200, "the page comes over TLS, trusted through the CA");
});

t.test("the gateway serves gRPC over TLS with the development certificate", async (t) => {
  const certs = devCerts(t);
  const f = await startTestServers(t);
  const gateway = await startGateway({ nc: f.nc, port: 0, jwtSecret: "x".repeat(32), tls: { certFile: certs.cert, keyFile: certs.key } });
  t.teardown(() => gateway.stop());
  const Health = loadProtos().client("Health");
  const secure = new Health(`localhost:${gateway.port}`, grpc.credentials.createSsl(readFileSync(certs.ca)));
  const plain = new Health(`localhost:${gateway.port}`, grpc.credentials.createInsecure());
  t.teardown(() => {
    secure.close();
    plain.close();
  });
  const checked = await call<{ status: string }>(secure, "Check", { service: "" }, new grpc.Metadata(), 5_000);
  t.equal(checked.status, "SERVING");
  await t.rejects(call(plain, "Check", { service: "" }, new grpc.Metadata(), 2_000), "a plain-text client gets no answer");
});
