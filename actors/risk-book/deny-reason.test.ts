import t from "tap";
import { DenyReason, denyReasonDescriptions, denyReasons, denyReasonTable } from "./deny-reason.ts";

t.test("every deny reason has a description and a row in the generated table", async (t) => {
  const table = denyReasonTable();
  for (const r of Object.values(DenyReason)) {
    t.ok(denyReasonDescriptions[r]?.trim().length, `${r} has a description`);
    t.match(table, `| \`${r}\` |`, `${r} is in the table`);
  }
  t.equal(Object.keys(denyReasonDescriptions).length, denyReasons.length, "no description without a reason");
});

t.test("deny reason codes are unique", async (t) => {
  t.equal(new Set(denyReasons).size, denyReasons.length);
});
