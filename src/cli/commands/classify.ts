import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { readLabelsFile } from '../../classify/labels.js';
import { weightsFromFlags } from '../build-model.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';
import { cropFlag, threadsFlag, wholeNumberFlag } from '../number-flags.js';

interface ClassifyFlags extends Omit<ModelFlags, 'top'> {
  model?: string;
  top: string;
  engine: 'onnx' | 'tfjs';
  batch: string;
  threads?: string;
  crop?: string | false;
  labels?: string;
  json?: boolean;
  cache: boolean;
}

/** One image's table: rank, class, probability. */
function formatTable(source: string, predictions: { rank: number; label: string; probability: number }[]): string {
  const width = Math.max(5, ...predictions.map((p) => p.label.length));
  const lines = [source, `  rank  ${'class'.padEnd(width)}  probability`];
  for (const p of predictions)
    lines.push(`  ${String(p.rank).padStart(4)}  ${p.label.padEnd(width)}  ${p.probability.toFixed(4).padStart(11)}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  addModelOptions(program.command('classify'), { omit: ['no-top', 'pooling'] })
    .description('classify images (files, folders walked recursively, glob patterns) and print the top classes')
    .argument('<images...>', 'image files, folders or glob patterns')
    .option(
      '--model <file|dir>',
      'instead of --weights: an .onnx from "export" (fastest start), a TF.js model.json, or a folder holding them (e.g. written by "train")',
    )
    .option('--top <k>', 'how many classes to show per image', '5')
    .addOption(new Option('--engine <name>', 'onnx: ONNX Runtime (fast); tfjs: TF.js wasm').choices(['onnx', 'tfjs']).default('onnx'))
    .option('--batch <n>', 'images per inference batch', '16')
    .option('--threads <n>', 'ONNX Runtime threads (default: one per core)')
    .option('--crop <fraction>', "centre crop before resizing (default: the model card's, 0.875 as Keras/TF and torchvision evaluate)")
    .option('--no-crop', 'resize the whole image (no centre crop)')
    .option('--labels <file>', 'class names: JSON array or one per line (default: ImageNet for 1000 classes)')
    .option('--no-cache', 'export the ONNX model again instead of reusing the cached export of these weights')
    .option('--json', 'one JSON object per image (JSON lines) instead of tables')
    .action(async (images: string[], flags: ClassifyFlags) => {
      const top = wholeNumberFlag('top', flags.top);
      const batch = wholeNumberFlag('batch', flags.batch);
      const threads = flags.threads === undefined ? undefined : threadsFlag(flags.threads);
      const crop = flags.crop === false ? null : flags.crop === undefined ? undefined : cropFlag(flags.crop);
      if (flags.weights && flags.model) throw new CliError('pass either --weights or --model, not both', 2);
      // --model: an .onnx (ONNX Runtime directly), a TF.js model.json (goes the --weights way: it
      // brings its own architecture and card), or a folder holding them: a "train" output folder
      // has both (model.onnx for the onnx engine, model.json for tfjs), each with its labels in its card.
      if (flags.model && !/\.onnx$/i.test(flags.model)) {
        const { join } = await import('node:path');
        const { stat } = await import('node:fs/promises');
        const isFile = async (p: string) => (await stat(p).catch(() => undefined))?.isFile() ?? false;
        const isDir = (await stat(flags.model).catch(() => undefined))?.isDirectory() ?? false;
        if (isDir && flags.engine === 'onnx' && (await isFile(join(flags.model, 'model.onnx')))) {
          // The classifier opens the folder's model.onnx itself.
        } else {
          const json = isDir ? join(flags.model, 'model.json') : flags.model;
          if (!/\.json$/i.test(json))
            throw new CliError(`--model must be an .onnx file, a TF.js model.json or a folder holding one, got ${flags.model}`, 2);
          if (isDir && !(await isFile(json))) throw new CliError(`${flags.model} holds no model.json or model.onnx`, 2);
          flags.weights = json;
          flags.model = undefined;
        }
      }
      // imagenet and model.json become .h5 bytes and the options they fit (the classifier takes .h5).
      // Model options are checked before any image is read: a bad one is the command line's fault (exit 2).
      if (!flags.model) (await import('../../architecture/options.js')).resolveOptions(modelOptionsFrom({ ...flags, top: true }));
      const { options: modelOptions, weights, onnx, card } = await weightsFromFlags({ ...flags, top: true });
      if (onnx && flags.engine !== 'onnx')
        throw new CliError(
          `${flags.model ?? flags.weights} is a trained model (its own classifier on a backbone): classify it with --engine onnx`,
          2,
        );
      const labels = flags.labels ? await readLabelsFile(flags.labels) : undefined;

      const [{ collectImageFiles }, { createClassifier }, { progressBar }] = await Promise.all([
        import('../../classify/inputs.js'),
        import('../../classify/classifier.js'),
        import('../progress.js'),
      ]);
      const inputs = await collectImageFiles(images);
      let failed = 0;
      const report = (source: string, error: string) => {
        failed++;
        process.stderr.write(`mobilenetv3: ${error}\n`);
        if (flags.json) process.stdout.write(JSON.stringify({ source, error }) + '\n');
      };
      for (const p of inputs.problems) report(p.source, p.error);
      if (inputs.files.length === 0) {
        // Every argument has had its one line already; a summary would be a second line for one mistake.
        process.exitCode = 1;
        return;
      }

      const classifier = await createClassifier({
        ...modelOptions,
        ...(onnx ? { model: onnx } : { weights, model: flags.model }),
        card,
        engine: flags.engine,
        threads,
        top,
        crop,
        labels,
        cache: flags.cache,
      });
      const progress = inputs.expanded ? progressBar('classify', inputs.files.length) : undefined;
      let first = true;
      try {
        for await (const result of classifier.classifyAll(inputs.files, { batch, onBatch: (n) => progress?.tick(n) })) {
          if ('error' in result) {
            report(result.source, result.error);
            continue;
          }
          if (flags.json) {
            process.stdout.write(JSON.stringify(result) + '\n');
          } else {
            process.stdout.write((first ? '' : '\n') + formatTable(result.source, result.predictions) + '\n');
            first = false;
          }
        }
      } finally {
        progress?.stop();
        await classifier.dispose();
      }
      // Each bad input has had its one line; the exit code says that some failed.
      if (failed > 0) process.exitCode = 1;
    });
}
