import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTcp } from "node:net";
import { connect } from "@nats-io/transport-node";
import t from "tap";
import { connectNats } from "../nats/index.ts";
import { repoRoot, startTestInfra } from "./index.ts";

t.test("with TLS required, a client trusting the development CA connects and a plain one is refused", async (t) => {
  const certs = mkdtempSync(join(tmpdir(), "am-certs-"));
  t.teardown(() => rmSync(certs, { recursive: true, force: true }));
  execFileSync("bash", [join(repoRoot, "scripts/dev-certs.sh"), certs], { stdio: "ignore" });
  const infra = await startTestInfra({ natsTls: { certFile: join(certs, "server.pem"), keyFile: join(certs, "server-key.pem") } });
  t.teardown(() => infra.stop());

  const nc = await connectNats(infra.natsUrl, "tls-test", { credentialsDir: infra.credentialsDir, tlsCaFile: join(certs, "ca.pem") });
  t.teardown(() => nc.close());
  t.equal((await nc.rtt()) >= 0, true, "the TLS connection answers");
  t.ok(nc.info?.tls_required, "the server said TLS is required");

  const { user, password } = infra.credentials.node;
  const plain = await plainConnect(infra.natsUrl, user, password);
  t.match(plain, /"tls_required":true/, "the server asks for TLS first");
  t.notMatch(plain, /PONG/, "a client speaking plain text is cut off without an answer");
  await t.rejects(
    connect({ servers: infra.natsUrl, user, pass: password, timeout: 3_000 }),
    "a client that does not trust the CA is refused",
  );
});

/**
 * Speaks the NATS protocol in plain text, as a client without TLS does: CONNECT and PING after the server's INFO.
 * Returns all the server said before it closed the connection.
 */
function plainConnect(url: string, user: string, pass: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let said = "";
    let sent = false;
    const socket = connectTcp(Number(port), hostname);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`the server kept a plain connection open; it said: ${said}`)));
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      said += chunk.toString();
      if (!sent && said.includes("\r\n")) {
        sent = true;
        socket.write(`CONNECT ${JSON.stringify({ user, pass, verbose: false, pedantic: false })}\r\nPING\r\n`);
      }
    });
    socket.on("close", () => resolve(said));
  });
}
