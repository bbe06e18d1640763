import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import t from "tap";
import { committedModelNames, inputWidth, readModelFile, sha256Of } from "./model-card.ts";
import { signatureMismatches } from "./signature.ts";

t.test("the committed models match their cards, load and forecast", async (t) => {
  const names = committedModelNames();
  t.same(names, ["gbt-return-5f", "seq-return-16"], "the repository ships the gradient-boosted and the sequence model");
  for (const name of names) {
    const { card, bytes } = readModelFile(name);
    t.equal(sha256Of(bytes), card.sha256, `${name}: the file's hash is the card's`);
    t.ok(bytes.length < 64 * 1024, `${name}: kilobytes, not megabytes (${bytes.length} bytes)`);
    const session = await ort.InferenceSession.create(bytes);
    const describe = (names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[]) =>
      names.map((n, i) => {
        const m = meta[i];
        return m?.isTensor ? { name: n, type: m.type, shape: m.shape } : { name: n };
      });
    t.same(
      signatureMismatches(card, describe(session.inputNames, session.inputMetadata), describe(session.outputNames, session.outputMetadata)),
      [],
      `${name}: the signature is the card's`,
    );
    const width = inputWidth(card);
    const rows = new Float32Array(3 * width).map((_, i) => ((i % 7) - 3) * 1e-3);
    const out = await session.run({ [card.inputs[0]!.name]: new ort.Tensor("float32", rows, [3, width]) });
    const forecast = out[card.outputs[0]!.name]!;
    t.same(forecast.dims, [3, 1], `${name}: one forecast per row`);
    t.ok(
      [...(forecast.data as Float32Array)].every((v) => Number.isFinite(v) && Math.abs(v) < 0.1),
      `${name}: forecasts are returns`,
    );
    t.ok(card.validation.ic! > 0.05, `${name}: holdout IC ${card.validation.ic} shows it learned the simulator's autocorrelation`);
    await session.release();
  }
});

t.test("a model file that differs from its card is refused with both hashes", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-models-"));
  copyFileSync(new URL("../../models/seq-return-16.json", import.meta.url), join(dir, "seq-return-16.json"));
  writeFileSync(join(dir, "seq-return-16.onnx"), new Uint8Array([1, 2, 3]));
  t.throws(() => readModelFile("seq-return-16", dir), /seq-return-16\.onnx has sha256 [0-9a-f]{64}, its card says [0-9a-f]{64}/);
  t.end();
});
