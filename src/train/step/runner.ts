/**
 * Runs the training-step graph on ONNX Runtime. The runner owns the trained weights (Float32Arrays
 * in Keras layout, shared with the optimiser) and the batch-norm moving statistics (updated here
 * with Keras's rule: moving = momentum * moving + (1 - momentum) * batch, biased batch variance),
 * and writes both back into the tf.LayersModel when asked.
 */
import type * as tf from '../../runtime/tf.js';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildStepGraph, type BatchNormMode, type StepGraph, type StepGraphOptions } from './step-graph.js';
import { nchwcBlockSize } from './nchwc.js';
import { importOrt } from '../../runtime/ort.js';

export interface StepRunnerOptions {
  batch: number;
  fromLayer?: string;
  batchNorm: BatchNormMode;
  /** ONNX Runtime intra-op threads (default: every core). */
  threads?: number;
  /** Use ONNX Runtime's NCHWc kernels when the batch allows (default true; false: plain layout). */
  nchwc?: boolean;
}

export interface StepResult {
  loss: number;
  /** [N, K] class scores before the softmax. */
  logits: Float32Array;
  /** Gradient per parameter key, Keras layout. */
  gradients: Map<string, Float32Array>;
}

export interface BatchNormState {
  mean: Float32Array;
  variance: Float32Array;
}

type Ort = typeof import('onnxruntime-node');

async function loadOrt(): Promise<Ort> {
  const ort = (await importOrt()) as Ort & { default?: Ort };
  return ort.default ?? ort;
}

export class StepRunner {
  /** Trainable weights by key (`layer/weight`), Keras layout; updated in place by the optimiser. */
  readonly params = new Map<string, Float32Array>();
  /** Batch-norm moving statistics by layer name. */
  readonly batchNorms = new Map<string, BatchNormState>();
  private readonly sessions = new Map<number, { graph: StepGraph; session: InferenceSession }>();

  private constructor(
    private readonly ort: Ort,
    private readonly model: tf.LayersModel,
    private readonly options: StepRunnerOptions & { block: number },
    first: StepGraph,
    session: InferenceSession,
  ) {
    this.sessions.set(first.batch, { graph: first, session });
    for (const p of first.params) {
      const layer = model.getLayer(p.layer);
      this.params.set(p.key, Float32Array.from(layer.getWeights()[p.index].dataSync() as Float32Array));
    }
    for (const bn of first.batchNorms) {
      const w = model.getLayer(bn.layer).getWeights();
      this.batchNorms.set(bn.layer, {
        mean: Float32Array.from(w[bn.meanIndex].dataSync() as Float32Array),
        variance: Float32Array.from(w[bn.varianceIndex].dataSync() as Float32Array),
      });
    }
  }

  static async create(model: tf.LayersModel, options: StepRunnerOptions): Promise<StepRunner> {
    const ort = await loadOrt();
    const resolved = { ...options, block: options.nchwc === false ? 1 : await nchwcBlockSize(ort) };
    const graph = buildStepGraph(model, StepRunner.graphOptions(resolved, options.batch));
    const session = await StepRunner.session(ort, graph, options.threads);
    return new StepRunner(ort, model, resolved, graph, session);
  }

  private static graphOptions(o: StepRunnerOptions & { block: number }, batch: number): StepGraphOptions {
    return { batch, fromLayer: o.fromLayer, batchNorm: o.batchNorm, block: o.block };
  }

  private static async session(ort: Ort, graph: StepGraph, threads?: number): Promise<InferenceSession> {
    const { availableParallelism } = await import('node:os');
    return ort.InferenceSession.create(graph.bytes, {
      intraOpNumThreads: threads ?? availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      logSeverityLevel: 3,
    });
  }

  /** The graph for the first batch size (parameters, batch norms, dropouts). */
  get graph(): StepGraph {
    return this.sessions.values().next().value!.graph;
  }

  private async sessionFor(batch: number): Promise<{ graph: StepGraph; session: InferenceSession }> {
    let s = this.sessions.get(batch);
    if (!s) {
      const graph = buildStepGraph(this.model, StepRunner.graphOptions(this.options, batch));
      s = { graph, session: await StepRunner.session(this.ort, graph, this.options.threads) };
      this.sessions.set(batch, s);
    }
    return s;
  }

  /**
   * Forward and backward on one batch: `input` NHWC (images or cut activations), `targets` [N, K]
   * class distributions (one-hot, or label-smoothed), `dropout` a draw in [0, 1) per dropout unit
   * (from the run's seeded generator). Moving statistics are updated when batch norm trains.
   */
  async step(input: Float32Array, targets: Float32Array, dropout: (count: number) => Float32Array): Promise<StepResult> {
    const k = this.graph.classes;
    const batch = targets.length / k;
    const { graph, session } = await this.sessionFor(batch);
    const T = this.ort.Tensor;
    const feeds: Record<string, Tensor> = {
      [graph.input.name]: new T('float32', input, graph.input.dims),
      [graph.targets.name]: new T('float32', targets, graph.targets.dims),
    };
    for (const p of graph.params) feeds[p.input] = new T('float32', this.params.get(p.key)!, p.shape);
    for (const bn of graph.batchNorms) {
      if (!bn.meanInput) continue;
      const s = this.batchNorms.get(bn.layer)!;
      feeds[bn.meanInput] = new T('float32', s.mean, [bn.channels]);
      feeds[bn.varianceInput!] = new T('float32', s.variance, [bn.channels]);
    }
    for (const d of graph.dropouts) {
      const size = d.dims.reduce((a, b) => a * b, 1);
      const u = dropout(size);
      const keep = 1 / (1 - d.rate);
      const mask = new Float32Array(size);
      for (let i = 0; i < size; i++) mask[i] = u[i] >= d.rate ? keep : 0;
      feeds[d.input] = new T('float32', mask, d.dims);
    }
    const out = await session.run(feeds);
    for (const bn of graph.batchNorms) {
      if (!bn.meanOutput) continue;
      const s = this.batchNorms.get(bn.layer)!;
      const mean = out[bn.meanOutput].data as Float32Array;
      const invStd = out[bn.invStdOutput!].data as Float32Array;
      const m = bn.momentum;
      for (let c = 0; c < bn.channels; c++) {
        const variance = 1 / (invStd[c] * invStd[c]) - bn.epsilon;
        s.mean[c] = m * s.mean[c] + (1 - m) * mean[c];
        s.variance[c] = m * s.variance[c] + (1 - m) * variance;
      }
    }
    const gradients = new Map<string, Float32Array>();
    for (const p of graph.params) gradients.set(p.key, out[p.gradient].data as Float32Array);
    const loss = (out[graph.outputs.loss].data as Float32Array)[0];
    return { loss, logits: out[graph.outputs.logits].data as Float32Array, gradients };
  }

  /** Batch statistics of the last step are folded in; write weights and moving statistics into the model. */
  async writeBack(): Promise<void> {
    const tfjs = await import('../../runtime/tf.js');
    const byLayer = new Map<string, { index: number; values: Float32Array }[]>();
    const push = (layer: string, index: number, values: Float32Array) => {
      const list = byLayer.get(layer) ?? [];
      list.push({ index, values });
      byLayer.set(layer, list);
    };
    for (const p of this.graph.params) push(p.layer, p.index, this.params.get(p.key)!);
    for (const bn of this.graph.batchNorms) {
      const s = this.batchNorms.get(bn.layer)!;
      push(bn.layer, bn.meanIndex, s.mean);
      push(bn.layer, bn.varianceIndex, s.variance);
    }
    for (const [name, updates] of byLayer) {
      const layer = this.model.getLayer(name);
      const current = layer.getWeights();
      const next = current.map((w, i) => {
        const u = updates.find((x) => x.index === i);
        return u ? tfjs.tensor(u.values, w.shape) : w;
      });
      layer.setWeights(next);
      next.forEach((t, i) => {
        if (t !== current[i]) t.dispose();
      });
    }
  }

  async dispose(): Promise<void> {
    for (const { session } of this.sessions.values()) await session.release();
    this.sessions.clear();
  }
}
