import t from "tap";
import { MdChannel, parseInstrumentId, subjects } from "../contract/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { regimeKind } from "./kind.ts";
import type { RegimeEstimated } from "./messages.ts";
import { regimeBars } from "./testing.ts";
import { startTestTree } from "../../supervisors/runtime/testing/tree.ts";

t.test("a regime actor hears its instrument's bars on NATS and publishes its estimates on its event subject", async (t) => {
  const f = await startTestServers(t);
  const tree = await startTestTree(t, f, [regimeKind({ warmupBars: 20 })]);
  const id = "BRK.B.SIMX";
  await tree.spawn("regime", id);
  const subject = subjects.evt("regime", id, "RegimeEstimated");
  t.equal(subject, "am.evt.regime.SIMX.BRK~2EB.RegimeEstimated", "the instrument travels as <venue>.<symbol>");
  const seen: RegimeEstimated[] = [];
  f.nc.subscribe(subject, {
    callback: (_e, m) => void seen.push(decodeMessage(m.data, m.headers, true).message as unknown as RegimeEstimated),
  });
  await f.nc.flush();
  const { bars, changes } = regimeBars(id, 6, [
    [150, 0, 0.0005],
    [40, 0.004, 0.0005],
  ]);
  for (const b of bars) {
    const { data, headers } = encodeMessage({ type: "Bar", ...b });
    f.nc.publish(subjects.md(MdChannel.Bar, parseInstrumentId(id)), data, { headers });
  }
  await eventually("every estimate", () => seen.length === bars.length - 21, { timeoutMs: 20_000 });
  t.ok(
    seen.every((e, i) => e.tsEvent === bars[21 + i]!.tsEvent),
    "one estimate per bar, in order",
  );
  const change = changes[0]!;
  const after = seen.slice(change - 21, change - 21 + 6);
  t.ok(
    after.some((e) => e.changeProbability > 0.5),
    `the change at bar ${change} is signalled within 5 bars: ${after.map((e) => e.changeProbability.toFixed(3)).join(" ")}`,
  );
  t.ok(seen[change - 22]!.changeProbability < 0.2, "and not before it");
});
