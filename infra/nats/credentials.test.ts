import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { ensureNatsCredentials, natsRoles, readNatsCredentials, serverPasswordEnv } from "./credentials.ts";

t.test("credentials are made once per role, private to the user, and kept on the next run", async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), "am-creds-")), "nats-credentials");
  t.teardown(() => rmSync(join(dir, ".."), { recursive: true, force: true }));
  const first = ensureNatsCredentials(dir);
  t.same(readdirSync(dir).sort(), natsRoles.map((r) => `${r}.json`).sort(), "one file per role, no drafts left");
  t.equal(statSync(dir).mode & 0o777, 0o700);
  for (const role of natsRoles) t.equal(statSync(join(dir, `${role}.json`)).mode & 0o777, 0o600, `${role}.json is 0600`);
  t.equal(new Set(natsRoles.map((r) => first[r].password)).size, natsRoles.length, "every user has its own password");
  t.same(ensureNatsCredentials(dir), first, "a second run keeps them");
  t.same(readNatsCredentials(dir, "reader"), first.reader);
  t.equal(serverPasswordEnv(first).AM_NATS_PASSWORD_OPERATOR, first.operator.password);
});

t.test("missing credentials name the file and the set-up", async (t) => {
  t.throws(
    () => readNatsCredentials(join(tmpdir(), "am-no-such-dir"), "node"),
    /no NATS credentials for the node user at .*node\.json: run `npm run setup`/,
  );
});
