/**
 * ONNX export of the footfall model (hand-written with `onnx-proto`, opset 13) and its runner on
 * onnxruntime-node. Graph: features [N, F] → Sub(mean) → Div(std) → per network { Gemm → Relu }* → Gemm → quantiles [N, 3]: the median is the mean of the networks, the 10/90 %
 * quantiles those of the first network (the one calibrated on held-out weeks) shifted by the same amount
 * (ratio to the sensor level; model.ts `toCounts` turns them into counts and the calibrated 80 % interval).
 * The calibration, quantiles and feature names travel in the model's metadata, so the .onnx file alone serves.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { ForecastModel } from './model.ts';

const { onnx } = onnxProto;
export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = 'quantiles';

function tensor(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

function io(name: string, cols: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: cols }] },
      },
    },
  };
}

const axis1: onnxProto.onnx.IAttributeProto = { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 };

/** Serialised ONNX model (deterministic for given weights). */
export function exportForecastOnnx(m: ForecastModel): Uint8Array {
  const F = m.featureNames.length;
  const initializer = [tensor('mean', [F], m.mean), tensor('std', [F], m.std)];
  const node: onnxProto.onnx.INodeProto[] = [
    { name: 'sub', opType: 'Sub', input: [ONNX_INPUT, 'mean'], output: ['c'] },
    { name: 'div', opType: 'Div', input: ['c', 'std'], output: ['x0'] },
  ];
  const nets = [m.layers, ...(m.ensemble ?? [])];
  const outs: string[] = [];
  nets.forEach((layers, e) => {
    let x = 'x0';
    layers.forEach((l, i) => {
      const p = `n${e}_`;
      initializer.push(tensor(`${p}w${i}`, [l.inSize, l.outSize], l.kernel), tensor(`${p}b${i}`, [l.outSize], l.bias));
      const z = `${p}z${i}`;
      node.push({ name: `${p}gemm${i}`, opType: 'Gemm', input: [x, `${p}w${i}`, `${p}b${i}`], output: [z] });
      if (l.relu) {
        node.push({ name: `${p}relu${i}`, opType: 'Relu', input: [z], output: [`${p}a${i}`] });
        x = `${p}a${i}`;
      } else x = z;
    });
    outs.push(x);
  });
  if (nets.length === 1) node.push({ name: 'out', opType: 'Identity', input: [outs[0]], output: [ONNX_OUTPUT] });
  else {
    // median = mean of the networks; 10/90 % = the first (calibrated) network's, shifted by the same amount
    initializer.push(tensor('inv_nets', [1], Float32Array.of(1 / nets.length)));
    initializer.push({ name: 'col1', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] });
    node.push({ name: 'sum', opType: 'Sum', input: outs, output: ['sum'] });
    node.push({ name: 'mean', opType: 'Mul', input: ['sum', 'inv_nets'], output: ['ens_mean'] });
    node.push({
      name: 'mean_mid',
      opType: 'Gather',
      input: ['ens_mean', 'col1'],
      output: ['mean_mid'],
      attribute: [axis1],
    });
    node.push({
      name: 'first_mid',
      opType: 'Gather',
      input: [outs[0], 'col1'],
      output: ['first_mid'],
      attribute: [axis1],
    });
    node.push({ name: 'shift', opType: 'Sub', input: ['mean_mid', 'first_mid'], output: ['shift'] });
    node.push({ name: 'out', opType: 'Add', input: [outs[0], 'shift'], output: [ONNX_OUTPUT] });
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: '@passage/footfall',
    producerVersion: '0.1.0',
    docString: 'Passage day-ahead footfall: features → 10/50/90 % quantiles of count / sensor level.',
    graph: { name: 'footfall_forecast', node, initializer, input: [io(ONNX_INPUT, F)], output: [io(ONNX_OUTPUT, 3)] },
    metadataProps: [
      { key: 'feature_names', value: JSON.stringify(m.featureNames) },
      { key: 'quantiles', value: JSON.stringify(m.quantiles) },
      { key: 'calibration', value: JSON.stringify({ kLo: m.kLo, kHi: m.kHi }) },
      { key: 'trained_on', value: JSON.stringify(m.trainedOn) },
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads the calibration and feature names back from the model bytes. */
export function onnxMetadata(bytes: Uint8Array): { featureNames: string[]; kLo: number; kHi: number } {
  const m = onnx.ModelProto.decode(bytes);
  const get = (k: string) => m.metadataProps.find((p) => p.key === k)?.value ?? 'null';
  const cal = JSON.parse(get('calibration')) as { kLo: number; kHi: number };
  return { featureNames: JSON.parse(get('feature_names')) as string[], kLo: cal.kLo, kHi: cal.kHi };
}

/** The model on onnxruntime-node: one `run` per batch of rows. */
export class ForecastRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly featureNames: string[],
    readonly kLo: number,
    readonly kHi: number,
  ) {}

  static async fromBytes(bytes: Uint8Array, intraOpNumThreads = 1): Promise<ForecastRunner> {
    const meta = onnxMetadata(bytes);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads, interOpNumThreads: 1 });
    return new ForecastRunner(session, meta.featureNames, meta.kLo, meta.kHi);
  }

  static async load(path: string, intraOpNumThreads = 1): Promise<ForecastRunner> {
    return ForecastRunner.fromBytes(new Uint8Array(await readFile(path)), intraOpNumThreads);
  }

  /** Raw quantile outputs (n × 3) of n feature rows. */
  async run(x: Float32Array, n: number): Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    const F = this.featureNames.length;
    const out = await this.session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x.subarray(0, n * F), [n, F]) });
    return Float32Array.from(out[ONNX_OUTPUT].data as Float32Array);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
