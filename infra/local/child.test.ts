import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { startChild } from "./child.ts";

t.test("a child that ignores SIGTERM is killed at stop, and the caller is told why with its last lines", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-child-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const told: string[] = [];
  const child = await startChild({
    name: "stubborn",
    command: "bash",
    args: ["-c", "trap 'echo ignoring TERM' TERM; echo started; while true; do sleep 0.1; done"],
    logFile: join(dir, "stubborn.log"),
    isReady: async () => true,
    readyTimeoutMs: 5_000,
    stopTimeoutMs: 500,
    onKilled: (why) => told.push(why),
  });
  await child.stop();
  t.equal(told.length, 1, "told once");
  t.match(told[0], /stubborn \(pid \d+\) did not exit within 500 ms of SIGTERM and was killed/);
  t.match(told[0], /started/, "with the child's last log lines");
  t.throws(() => process.kill(child.pid, 0), "the child is gone");
});

t.test("a child that exits on SIGTERM is not reported as killed", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-child-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const told: string[] = [];
  const child = await startChild({
    name: "polite",
    command: "sleep",
    args: ["60"],
    logFile: join(dir, "polite.log"),
    isReady: async () => true,
    readyTimeoutMs: 5_000,
    stopTimeoutMs: 5_000,
    onKilled: (why) => told.push(why),
  });
  await child.stop();
  t.same(told, []);
});
