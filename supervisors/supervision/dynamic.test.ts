import t from "tap";
import type { RestartType } from "./child.ts";
import { FakeChildren, flush } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { restartIntensityExceeded, Supervisor } from "./supervisor.ts";

interface InstrumentArgs {
  venue: string;
}

async function instruments(restart: RestartType = "permanent", ignoresShutdown = false) {
  const kids = new FakeChildren();
  const scheduler = new ManualScheduler();
  const seen: [string, InstrumentArgs][] = [];
  const sup = new Supervisor<InstrumentArgs>({
    name: "instruments",
    strategy: "dynamic",
    scheduler,
    maxRestarts: 3,
    template: {
      type: "worker",
      restart,
      shutdownMs: 500,
      start: (id, args) => {
        seen.push([id, args]);
        return kids.start(id, ignoresShutdown);
      },
    },
  });
  await sup.start();
  return { kids, sup, scheduler, seen };
}

// OTP supervisor_SUITE: simple_one_for_one, child_adm_simple
t.test("startChild makes one child per id from the template, with its arguments", async (t) => {
  const { kids, sup, seen } = await instruments();
  await sup.startChild("BTCUSD.BINANCE", { venue: "BINANCE" });
  await sup.startChild("AAPL.XNAS", { venue: "XNAS" });
  t.same(kids.take(), ["start BTCUSD.BINANCE", "start AAPL.XNAS"]);
  t.same(seen, [
    ["BTCUSD.BINANCE", { venue: "BINANCE" }],
    ["AAPL.XNAS", { venue: "XNAS" }],
  ]);
  await t.rejects(sup.startChild("AAPL.XNAS", { venue: "XNAS" }), { code: "already_started", message: /AAPL.XNAS/ });
  t.same(sup.countChildren(), { specs: 2, active: 2, supervisors: 0, workers: 2 });
});

t.test("a crashed dynamic child is restarted alone, with the arguments it was started with", async (t) => {
  const { kids, sup, seen } = await instruments();
  await sup.startChild("A.X", { venue: "X" });
  await sup.startChild("B.X", { venue: "X" });
  kids.take();
  seen.length = 0;
  kids.current("A.X").crash();
  await sup.settled();
  t.same(kids.take(), ["exit A.X", "start A.X"]);
  t.same(seen, [["A.X", { venue: "X" }]]);
});

t.test("a dynamic transient child that ends normally is forgotten", async (t) => {
  const { kids, sup } = await instruments("transient");
  await sup.startChild("A.X", { venue: "X" });
  kids.current("A.X").exit("normal");
  await sup.settled();
  t.same(sup.whichChildren(), []);
  await sup.startChild("A.X", { venue: "X" });
  t.equal(kids.starts("A.X"), 2, "the id can be started again");
});

t.test("terminating a dynamic child forgets it", async (t) => {
  const { sup } = await instruments();
  await sup.startChild("A.X", { venue: "X" });
  await sup.terminateChild("A.X");
  t.same(sup.whichChildren(), []);
});

t.test("a dynamic supervisor refuses the calls of a static one, and a static one refuses startChild", async (t) => {
  const { kids, sup } = await instruments();
  await t.rejects(sup.addChild(kids.spec("a")), { code: "wrong_strategy" });
  await t.rejects(sup.restartChild("a"), { code: "wrong_strategy" });
  await t.rejects(sup.deleteChild("a"), { code: "wrong_strategy" });
  const fixed = new Supervisor<string>({ name: "root", strategy: "one_for_one", scheduler: new ManualScheduler() });
  await fixed.start();
  await t.rejects(fixed.startChild("a", "x"), { code: "wrong_strategy" });
});

t.test("a dynamic supervisor stops all its children at once", async (t) => {
  // OTP supervisor_SUITE: simple_one_for_one_shutdown
  const { kids, sup, scheduler } = await instruments("permanent", true);
  for (const id of ["A.X", "B.X", "C.X"]) await sup.startChild(id, { venue: "X" });
  kids.take();
  const stopping = sup.stop();
  await flush();
  t.same(kids.take().sort(), ["stop A.X", "stop B.X", "stop C.X"], "all asked before any is killed");
  scheduler.advance(500);
  await stopping;
  t.same(kids.take().sort(), ["kill A.X", "kill B.X", "kill C.X"], "killed together after one timeout");
});

t.test("a dynamic supervisor past its intensity stops every child and exits", async (t) => {
  // OTP supervisor_SUITE: simple_one_for_one_escalation
  const { kids, sup } = await instruments();
  let exit: unknown;
  sup.onExit((reason) => {
    exit = reason;
  });
  await sup.startChild("A.X", { venue: "X" });
  await sup.startChild("B.X", { venue: "X" });
  for (let i = 0; i < 4; i++) {
    kids.current("A.X").crash();
    await sup.settled();
  }
  t.same(exit, restartIntensityExceeded);
  t.equal(kids.current("B.X").alive, false);
  t.same(
    sup.whichChildren().map((c) => c.status),
    ["stopped", "stopped"],
  );
  await t.rejects(sup.startChild("C.X", { venue: "X" }), { code: "not_running" });
});
