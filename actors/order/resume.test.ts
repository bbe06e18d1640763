import t from "tap";
import { ExecType, quantityOf } from "../domain/index.ts";
import type { OrderInput } from "./machine.ts";
import { fill, report, startOrder, submit, T0 } from "./testing.ts";

const statusRequests = (out: ReturnType<ReturnType<typeof startOrder>["send"]>) =>
  out.flatMap((e) => (e.type === "publish" && e.message.type === "VenueOrderStatusRequest" ? [e] : []));

/** An order rebuilt from a journal, as a restarted node restores it. */
function restored(build: (o: ReturnType<typeof startOrder>) => void) {
  const live = startOrder();
  build(live);
  const o = startOrder();
  for (const e of live.journal()) o.send({ ...e, nowUs: e.tsInit } as OrderInput);
  return o;
}

t.test("an order restored open at the venue asks its venue connection what became of it", async (t) => {
  const acked = restored((o) => {
    o.send(submit({}, T0));
    o.send(report(ExecType.New));
    o.send(fill(quantityOf(3)));
  });
  const [ask] = statusRequests(acked.send({ type: "ResumeOrder", nowUs: T0 + 10 }));
  t.match(ask, {
    subject: /^am\.cmd\.venue\./,
    message: { clientOrderId: acked.order()!.clientOrderId, acknowledged: true, cumQty: quantityOf(3) },
  });

  const sent = restored((o) => o.send(submit({}, T0)));
  t.match(
    statusRequests(sent.send({ type: "ResumeOrder", nowUs: T0 + 10 }))[0]?.message,
    { acknowledged: false },
    "never acknowledged: the venue may never have had it",
  );
});

t.test("a restored order that is closed, or never left us, asks nothing", async (t) => {
  const done = restored((o) => {
    o.send(submit({}, T0));
    o.send(report(ExecType.New));
    o.send(report(ExecType.Canceled));
  });
  t.same(statusRequests(done.send({ type: "ResumeOrder", nowUs: T0 + 10 })), []);
  const fresh = startOrder();
  t.same(statusRequests(fresh.send({ type: "ResumeOrder", nowUs: T0 })), [], "no order yet");
});
