import type { ModelCard } from "./model-card.ts";

/** A tensor as onnxruntime describes a session's inputs and outputs. */
export interface TensorSignature {
  name: string;
  type?: string;
  shape?: readonly (number | string)[];
}

/**
 * Why a loaded model does not match its card (empty when it does): the names, element types and widths of its
 * inputs and outputs, and one input column per declared feature. The batch dimension must be symbolic.
 */
export function signatureMismatches(card: ModelCard, inputs: readonly TensorSignature[], outputs: readonly TensorSignature[]): string[] {
  const out: string[] = [];
  const compare = (side: "input" | "output", declared: ModelCard["inputs"], actual: readonly TensorSignature[]) => {
    if (declared.length !== actual.length) out.push(`${side}s: the file has ${actual.length}, the card declares ${declared.length}`);
    declared.forEach((d, i) => {
      const a = actual[i];
      if (!a) return;
      if (a.name !== d.name) out.push(`${side} ${i}: the file names it ${a.name}, the card ${d.name}`);
      if (a.type !== undefined && a.type !== d.type) out.push(`${side} ${d.name}: the file's type is ${a.type}, the card's ${d.type}`);
      const shape = a.shape ?? [];
      if (shape.length !== 2) out.push(`${side} ${d.name}: the file's shape is [${shape.join(", ")}], the card's [batch, ${d.shape[1]}]`);
      else {
        if (typeof shape[0] === "number") out.push(`${side} ${d.name}: the batch dimension is fixed at ${shape[0]}; it must be symbolic`);
        if (shape[1] !== d.shape[1]) out.push(`${side} ${d.name}: the file's width is ${shape[1]}, the card's ${d.shape[1]}`);
      }
    });
  };
  compare("input", card.inputs, inputs);
  compare("output", card.outputs, outputs);
  const width = card.inputs[0]?.shape[1];
  if (width !== undefined && card.featureSet.features.length !== width) {
    out.push(
      `feature set ${card.featureSet.name} v${card.featureSet.version} has ${card.featureSet.features.length} features, the input ${card.inputs[0]!.name} has ${width} columns`,
    );
  }
  if (new Set(card.featureSet.features).size !== card.featureSet.features.length)
    out.push(`feature set ${card.featureSet.name} names a feature twice`);
  return out;
}
