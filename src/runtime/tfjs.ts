/**
 * TF.js set-up for this package: production mode (no debug checks, no "install tfjs-node"
 * banner, which cannot be installed here anyway) and a backend choice.
 */
import * as tf from '@tensorflow/tfjs';

export type TfBackend = 'wasm' | 'cpu';

let prepared: Promise<void> | undefined;
let chosen: TfBackend | undefined;

/** Select a TF.js backend once per process; wasm is ~25x faster than cpu for inference here. */
export function useTfBackend(backend: TfBackend = 'wasm'): Promise<void> {
  if (prepared && chosen === backend) return prepared;
  chosen = backend;
  tf.env().set('PROD', true);
  prepared = (async () => {
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend "${backend}" could not be initialised`);
    await tf.ready();
  })();
  return prepared;
}
