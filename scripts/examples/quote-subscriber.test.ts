import { spawn, spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { encodeMessage } from "../../infra/nats/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";

/** The example's own venv in the per-user cache (see the script's header), else python3 from PATH. */
const candidates = [join(homedir(), ".cache/alphamind/python-examples/bin/python"), "python3"];
const python = candidates.find((p) => spawnSync(p, ["-c", "import nats, msgpack"], { stdio: "ignore" }).status === 0);

t.test(
  "the Python example subscriber reads quotes with integers as Python ints and exact decimals",
  {
    skip: python
      ? false
      : "no python3 with nats-py and msgpack: see scripts/examples/quote_subscriber.py to install them into ~/.cache/alphamind",
  },
  async (t) => {
    const { infra, nc } = await startTestServers(t, { declare: false });
    const child = spawn(
      python!,
      [
        "scripts/examples/quote_subscriber.py",
        ...["--url", infra.natsUrl, "--credentials", join(infra.credentialsDir, "reader.json")],
        ...["--subject", "am.md.quote.>", "--count", "2"],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    t.teardown(() => child.kill());
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const lines: { type: string; body: Record<string, unknown>; types: Record<string, string>; decimals: Record<string, string> }[] = [];
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(JSON.parse(l)));
    await eventually("the subscriber is subscribed", () => stderr.includes("subscribed to"), { timeoutMs: 20_000 });

    const quote = {
      type: "Quote",
      instrument: "BRK.B.XNYS",
      bid: 41_012_345_678_901,
      bidSize: 100_00000000,
      ask: 41_015_000_000_000,
      askSize: 1,
      seq: 7,
      tsEvent: 1_733_300_000_123_456,
      tsInit: 1_733_300_000_123_457,
    };
    for (const q of [quote, { ...quote, seq: 8, bid: 12 }]) {
      const { data, headers } = encodeMessage(q);
      nc.publish(subjects.md("quote", { symbol: "BRK.B", venue: "XNYS" }), data, { headers });
    }
    await eventually("both quotes printed", () => lines.length === 2, { timeoutMs: 20_000 });
    const [first] = lines;
    t.equal(first?.type, "Quote");
    const { type: _type, ...body } = quote;
    t.same(first?.body, body, "every field exact, µs timestamps included");
    for (const f of ["bid", "bidSize", "ask", "askSize", "seq", "tsEvent", "tsInit"])
      t.equal(first?.types[f], "int", `${f} is a Python int`);
    t.equal(first?.decimals.bid, "410123.45678901");
    t.equal(lines[1]?.decimals.bid, "0.00000012");
  },
);
