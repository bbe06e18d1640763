import t from "tap";
import { meanSample, growth, processGauge, processTree, resourceGrowth, type ResourceSample } from "./resource-gauges.ts";

t.test("growth is a fraction of the first value, and from nothing it is the last value", async (t) => {
  t.equal(growth(100, 110), 0.1);
  t.equal(growth(100, 90), -0.1);
  t.equal(growth(0, 0), 0);
  t.equal(growth(0, 3), 3);
});

t.test("resource growth takes the largest growth of any process, matched by name", async (t) => {
  const sample = (consumerTotal: number, node: [number, number], nats: [number, number]): ResourceSample => ({
    consumers: {},
    consumerTotal,
    subjects: {},
    processes: [
      { pid: 1, name: "node", rssMb: node[0], openFiles: node[1] },
      { pid: 2, name: "nats-server", rssMb: nats[0], openFiles: nats[1] },
    ],
  });
  t.same(resourceGrowth(sample(20, [500, 80], [100, 40]), sample(22, [550, 80], [100, 60])), {
    consumerGrowth: 0.1,
    rssGrowth: 0.1,
    fdGrowth: 0.5,
  });
});

t.test("this process has a resident size and open files, and a gone one has no gauge", async (t) => {
  const me = processGauge(process.pid);
  t.ok(me && me.rssMb > 0 && me.openFiles > 0, "gauged");
  t.ok(
    processTree(process.pid).some((p) => p.pid === process.pid),
    "the tree holds the process itself",
  );
  t.equal(processGauge(2 ** 22 + 7), undefined);
});

t.test("a mean sample averages each process by name over the samples", async (t) => {
  const at = (nats: number, node: number | undefined): ResourceSample => ({
    consumers: {},
    consumerTotal: 14,
    subjects: {},
    processes: [
      { pid: 2, name: "nats-server", rssMb: nats, openFiles: 20 },
      ...(node === undefined ? [] : [{ pid: 1, name: "node", rssMb: node, openFiles: 70 }]),
    ],
  });
  const m = meanSample([at(90, 500), at(145, undefined), at(106, 503)]);
  t.equal(m.processes.find((p) => p.name === "nats-server")?.rssMb, 113.7, "90, 145 and 106 MB average to 113.7");
  t.equal(m.processes.find((p) => p.name === "node")?.rssMb, 501.5, "a minute a process was not seen does not count");
  t.equal(m.consumerTotal, 14);
  t.throws(() => meanSample([]), /no samples/);
});
