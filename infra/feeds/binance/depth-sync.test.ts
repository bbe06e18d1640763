import t from "tap";
import { asPrice, asQuantity } from "../../../actors/domain/index.ts";
import { DepthSync, type DepthEvent } from "./depth-sync.ts";

const ev = (U: number, u: number, pu?: number): DepthEvent => ({
  U,
  u,
  E: 1,
  bids: [[asPrice(100), asQuantity(u)]],
  asks: [],
  ...(pu === undefined ? {} : { pu }),
});

t.test("the first event asks for a snapshot and later ones wait in the buffer", async (t) => {
  const s = new DepthSync("BTCUSDT.BINANCE", "binance");
  t.same(s.onEvent(ev(10, 12)), { kind: "snapshot" });
  t.same(s.onEvent(ev(13, 15)), { kind: "none" });
});

t.test("events ending at or before the snapshot are dropped and the straddling one is applied first", async (t) => {
  const s = new DepthSync("BTCUSDT.BINANCE", "binance");
  s.onEvent(ev(10, 12));
  s.onEvent(ev(13, 15));
  s.onEvent(ev(16, 16));
  const step = s.onSnapshot({ lastUpdateId: 14, bids: [], asks: [] }, 5);
  t.equal(step.kind, "deliver");
  if (step.kind === "deliver")
    t.same(
      step.records.map((r) => [r.update, r.firstSeq, r.seq]),
      [
        ["snapshot", undefined, 14],
        ["delta", 13, 15],
        ["delta", 16, 16],
      ],
    );
  t.same(s.onEvent(ev(17, 18)).kind, "deliver");
  t.same(s.onEvent(ev(17, 18)).kind, "none", "a repeated event is dropped");
});

t.test("a snapshot older than the first buffered event is fetched again", async (t) => {
  const s = new DepthSync("BTCUSDT.BINANCE", "binance");
  s.onEvent(ev(10, 12));
  t.same(s.onSnapshot({ lastUpdateId: 5, bids: [], asks: [] }, 5), { kind: "snapshot" });
  t.equal(s.onSnapshot({ lastUpdateId: 11, bids: [], asks: [] }, 5).kind, "deliver");
});

t.test("a live event that skips update ids triggers a resync and is kept for the next snapshot", async (t) => {
  const s = new DepthSync("BTCUSDT.BINANCE", "binance");
  s.onEvent(ev(1, 2));
  s.onSnapshot({ lastUpdateId: 2, bids: [], asks: [] }, 5);
  const step = s.onEvent(ev(5, 6));
  t.equal(step.kind, "resync");
  t.ok(s.wantsSnapshot);
  const again = s.onSnapshot({ lastUpdateId: 5, bids: [], asks: [] }, 6);
  if (again.kind === "deliver")
    t.same(
      again.records.map((r) => r.seq),
      [5, 6],
    );
  else t.fail(`expected deliver, got ${again.kind}`);
});

t.test("on futures streams pu must equal the previous u", async (t) => {
  const s = new DepthSync("BTCUSDT.BINANCE", "binance");
  s.onEvent(ev(1, 3, 0));
  s.onSnapshot({ lastUpdateId: 2, bids: [], asks: [] }, 5);
  t.equal(s.onEvent(ev(7, 9, 3)).kind, "deliver", "ids may jump when pu links the events");
  t.equal(s.onEvent(ev(12, 14, 10)).kind, "resync");
});
