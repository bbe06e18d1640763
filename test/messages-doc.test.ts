import { readFileSync } from "node:fs";
import t from "tap";
import { allMessageDefs } from "../actors/contract/index.ts";
import { messagesPage, messagesSchema, pagePath, schemaPath } from "../scripts/docs-messages.ts";

t.test("the message reference in docs/ is the one scripts/docs-messages.ts generates from the code", async (t) => {
  t.equal(readFileSync(schemaPath, "utf8"), messagesSchema(), "regenerate with: npm run docs:messages");
  t.equal(readFileSync(pagePath, "utf8"), messagesPage(), "regenerate with: npm run docs:messages");
});

t.test("the reference has a JSON Schema and a section for every registered message type", async (t) => {
  const { $defs } = JSON.parse(messagesSchema()) as { $defs: Record<string, unknown> };
  const page = messagesPage();
  for (const d of allMessageDefs()) {
    t.ok($defs[d.type], `${d.type} in messages.schema.json`);
    t.ok(page.includes(`\n### ${d.type}\n`), `${d.type} in messages.md`);
  }
});
