import t from "tap";
import { foldingOf, Mailbox } from "./mailbox.ts";

interface Item {
  subject: string;
  md?: boolean;
  cmd?: boolean;
  event: { type: string; n: number };
  reply?: string;
}

const md = (n: number): Item => ({ subject: "am.md.q.X", md: true, event: { type: "Quote", n } });
const predict = (n: number, reply?: string): Item => ({
  subject: "am.cmd.model.m",
  cmd: true,
  event: { type: "Predict", n },
  ...(reply ? { reply } : {}),
});
const other = (n: number): Item => ({ subject: "am.cmd.model.m", cmd: true, event: { type: "PromoteVersion", n } });

/** what a drain takes, item by item: a single event's n, or a batch's type and its items' n */
function drain(box: Mailbox<Item>, folding: ((i: Item) => string | undefined) | undefined, max = 256) {
  const out: unknown[] = [];
  for (;;) {
    const next = folding ? box.takeFolded(folding, max) : box.take();
    if (!next) return out;
    const e = next.event as { type: string; n?: number; items?: { n: number }[] };
    out.push(e.items ? [e.type, ...e.items.map((i) => i.n)] : e.n);
  }
}

const fill = (items: Item[]) => {
  const box = new Mailbox<Item>(100);
  for (const i of items) box.offer(i, "accept");
  return box;
};

t.test("consecutive reply-less commands of the kind's type fold into one event, in order, up to the batch size", (t) => {
  const folding = foldingOf<Item>({ foldCommands: { of: "Predict", as: "PredictBatch" } }, (i) => i.reply !== undefined);
  const items = [predict(1), predict(2), predict(3), other(4), predict(5), predict(6, "_INBOX.x"), predict(7), predict(8), md(9), md(10)];
  t.same(
    drain(fill(items), folding),
    [["PredictBatch", 1, 2, 3], 4, 5, 6, ["PredictBatch", 7, 8], 9, 10],
    "a command awaiting a Reply, another type and market data (no batchAs) go alone",
  );
  t.same(drain(fill([predict(1), predict(2), predict(3)]), folding, 2), [["PredictBatch", 1, 2], 3], "a batch holds at most max");
  t.end();
});

t.test("market data folds with batchAs, commands alone; a kind that folds nothing takes item by item", (t) => {
  const items = [md(1), md(2), predict(3), md(4)];
  t.same(
    drain(
      fill(items),
      foldingOf<Item>({ batchAs: "QuoteBatch" }, () => false),
    ),
    [["QuoteBatch", 1, 2], 3, 4],
  );
  t.equal(
    foldingOf<Item>({}, () => false),
    undefined,
  );
  t.same(drain(fill(items), undefined), [1, 2, 3, 4]);
  t.end();
});

t.test("items put back are taken first, in their order, and a full mailbox still conflates the market data queued after them", (t) => {
  const box = new Mailbox<Item>(3);
  box.offer(other(1), "accept");
  box.offer(other(2), "accept");
  box.offer(md(3), "conflate");
  const taken = [box.take()!, box.take()!];
  t.equal(box.peek()?.event.n, 3, "peek shows the next item and leaves it");
  box.putBack(taken);
  t.equal(box.depth, 3);
  t.ok(box.offer(md(4), "conflate"), "full: the newest quote replaces the queued one, found where it moved to");
  t.equal(box.depth, 3, "replaced, not added");
  t.same(drain(box, undefined), [1, 2, 4]);
  t.end();
});
