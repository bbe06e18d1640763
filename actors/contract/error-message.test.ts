import t from "tap";
import { errorChain, errorMessage } from "./error-message.ts";

t.test("an error's chain reads its causes outermost first, whatever was thrown", async (t) => {
  const root = new Error("cell 0 exited with code 1 while starting", { cause: "out of memory" });
  t.equal(
    errorChain(new Error("could not start child cell-0", { cause: root })),
    "could not start child cell-0: cell 0 exited with code 1 while starting: out of memory",
  );
  t.equal(errorChain("plain"), "plain");
  t.equal(errorChain(new Error("alone")), errorMessage(new Error("alone")));
  const loop = new Error("again");
  loop.cause = loop;
  t.equal(errorChain(loop).split(": ").length, 5, "a cause that loops stops at five");
});
