/**
 * Names of the files a training run writes in its output folder (no imports: the data scan reads
 * them too, to tell a class folder from an earlier run's output inside the data folder).
 */
export const LABELS_FILE = 'labels.json';
export const METRICS_FILE = 'metrics.json';

/** A folder holding labels.json and one of these is a training run's output, not a class. */
export const RUN_MARKERS = [METRICS_FILE, 'checkpoint.bin', 'model.onnx', 'model.json'] as const;
