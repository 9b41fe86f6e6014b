/**
 * ONNX exporter for the MLP (written by hand with `onnx-proto`; no Python toolchain needed).
 *
 * Graph (opset 13, IR version 8):
 *   features [N, F] float32 → Sub(mean) → Div(std) → { Gemm(W, b) → Relu }* → Gemm(W, b) → Softmax(axis 1)
 *   → probs [N, C] float32
 * Weights are stored as raw little-endian float32 initializers; labels and feature names are also kept in the
 * model's metadata (`labels`, `feature_names`, JSON arrays). The output is byte-for-byte deterministic for given
 * weights, which the integrity test relies on.
 */

import { ONNX_INPUT, ONNX_OUTPUT } from '@passage/mode-classifier';
import onnxProto from 'onnx-proto';
import type { MlpWeights } from './weights.ts';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 8;

function floatTensor(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Builds the ONNX ModelProto of the MLP and returns its serialised bytes. */
export function exportOnnx(w: MlpWeights, producerVersion = '0.1.0'): Uint8Array {
  const f = w.featureNames.length;
  const c = w.labels.length;
  const initializer: onnxProto.onnx.ITensorProto[] = [
    floatTensor('norm_mean', [f], w.mean),
    floatTensor('norm_std', [f], w.std),
  ];
  const node: onnxProto.onnx.INodeProto[] = [
    { name: 'norm_sub', opType: 'Sub', input: [ONNX_INPUT, 'norm_mean'], output: ['centered'] },
    { name: 'norm_div', opType: 'Div', input: ['centered', 'norm_std'], output: ['x0'] },
  ];
  let x = 'x0';
  for (const [i, layer] of w.layers.entries()) {
    const wName = `dense${i}_kernel`;
    const bName = `dense${i}_bias`;
    initializer.push(floatTensor(wName, [layer.inSize, layer.outSize], layer.kernel));
    initializer.push(floatTensor(bName, [layer.outSize], layer.bias));
    const z = `dense${i}_out`;
    node.push({ name: `dense${i}`, opType: 'Gemm', input: [x, wName, bName], output: [z] });
    if (layer.activation === 'relu') {
      node.push({ name: `relu${i}`, opType: 'Relu', input: [z], output: [`act${i}`] });
      x = `act${i}`;
    } else {
      node.push({
        name: 'softmax',
        opType: 'Softmax',
        input: [z],
        output: [ONNX_OUTPUT],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      });
      x = ONNX_OUTPUT;
    }
  }
  if (x !== ONNX_OUTPUT) throw new Error('the last layer of the MLP must have a softmax activation');
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: '@passage/mode-classifier',
    producerVersion,
    docString: 'Passage road-user mode classifier: track features → mode probabilities.',
    graph: {
      name: 'mode_classifier',
      node,
      initializer,
      input: [valueInfo(ONNX_INPUT, ['N', f])],
      output: [valueInfo(ONNX_OUTPUT, ['N', c])],
    },
    metadataProps: [
      { key: 'labels', value: JSON.stringify(w.labels) },
      { key: 'feature_names', value: JSON.stringify(w.featureNames) },
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}
