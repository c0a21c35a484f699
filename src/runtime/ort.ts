/**
 * onnxruntime-node, loaded the one way this package does it: with ONNX Runtime's own telemetry off.
 * Since 1.2x its official Linux builds start a usage-telemetry client that writes `$TMPDIR/.ses`,
 * `$TMPDIR/mat-debug-<pid>.log` and a device id plus database under
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`; the library reads ORT_DISABLE_TELEMETRY
 * (checked against libonnxruntime.so 1.30: with it set, none of these files appear). A value the
 * user set wins.
 */
export type Ort = typeof import('onnxruntime-node');

export async function importOrt(): Promise<Ort> {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  return import('onnxruntime-node');
}
