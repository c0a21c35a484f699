/**
 * TF.js set-up for this package in Node: production mode and a backend choice. Only the chosen
 * backend is loaded (runtime/tf.ts brings none), so webgl, which cannot run in Node, never loads.
 */
import { createRequire } from 'node:module';
import * as tf from './tf.js';

export type TfBackend = 'wasm' | 'cpu';

// PROD: no debug checks, and none of TF.js's console warnings, among them the cpu backend's
// "looks like you are running TensorFlow.js in Node.js ... install tfjs-node" banner on its first
// tensor (tfjs-node is not a dependency, and the line is not ours to print). Set on import, so any
// code path that reaches a backend through this module is quiet, not only those calling useTfBackend.
tf.env().set('PROD', true);

let prepared: Promise<void> | undefined;
let chosen: TfBackend | undefined;

/**
 * Select a TF.js backend once per process: wasm is ~25x faster than cpu for inference here; cpu
 * starts at once (no WebAssembly to compile), for commands that only build a model and read it.
 */
export function useTfBackend(backend: TfBackend = 'wasm'): Promise<void> {
  if (prepared && chosen === backend) return prepared;
  chosen = backend;
  prepared = (async () => {
    // require, not import(): an ESM import of these CommonJS bundles runs Node's export lexer over
    // them (~0.1 s), and only their side effect (registering the backend) is wanted.
    createRequire(import.meta.url)(backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend "${backend}" could not be initialised`);
    await tf.ready();
  })();
  return prepared;
}
