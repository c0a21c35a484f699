import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { readLabelsFile } from '../../classify/labels.js';
import { modelFromFlags } from '../build-model.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';

type ExportFormat = 'onnx' | 'h5' | 'weights.h5' | 'keras' | 'tfjs';

interface ExportFlags extends ModelFlags {
  format?: ExportFormat;
  output: string;
  labels?: string;
}

/** The format the output name asks for: .onnx, .h5, a model.json (or any .json) or a folder (no extension). */
function formatOfName(output: string): ExportFormat | undefined {
  const ext = extname(output).toLowerCase();
  if (/\.weights\.h5$/i.test(output)) return 'weights.h5'; // Keras 3's name for its own layout
  return ext === '.onnx' ? 'onnx' : ext === '.h5' ? 'h5' : ext === '.keras' ? 'keras' : ext === '.json' || ext === '' ? 'tfjs' : undefined;
}

/** --format when given, else the output's extension; a name that says another format is refused (no ONNX bytes in a .h5). */
function exportFormat(flags: ExportFlags): ExportFormat {
  const named = formatOfName(flags.output);
  if (!flags.format) {
    if (!named)
      throw new CliError(
        `cannot tell the export format from "${flags.output}": end it in .onnx, .h5 or .json (TF.js model.json), .keras or .weights.h5 (Keras 3), name a folder, or pass --format`,
        2,
      );
    return named;
  }
  if (named && named !== flags.format && extname(flags.output) !== '') {
    throw new CliError(
      `--format ${flags.format} does not match the output name "${flags.output}" (that is ${named}); change one of them`,
      2,
    );
  }
  return flags.format;
}

export function register(program: Command): void {
  addModelOptions(program.command('export'))
    .description(
      'write the model (with its weights) as ONNX (ONNX Runtime, Netron), Keras .h5 weights, a Keras 3 .keras model or a TF.js model (model.json + weights, for the browser)',
    )
    .addOption(
      new Option(
        '--format <name>',
        'onnx: opset 17, BN folded, NHWC input; h5: Keras legacy weights; weights.h5: Keras 3 weights (model.load_weights); keras: Keras 3 model archive (keras.saving.load_model); tfjs: model.json + weights',
      ).choices(['onnx', 'h5', 'weights.h5', 'keras', 'tfjs']),
    )
    .requiredOption(
      '-o, --output <path>',
      'output file: .onnx, .h5, .weights.h5, .keras, or for tfjs the model.json path or a folder to put model.json in (the format follows from the name unless --format is given)',
    )
    .option(
      '--labels <file>',
      'class names for the ONNX or .keras metadata: JSON array or one per line (default: ImageNet for 1000 classes in ONNX)',
    )
    .action(async (flags: ExportFlags) => {
      modelOptionsFrom(flags); // bad options fail before any work
      const format = exportFormat(flags);
      const labelsFromFile = flags.labels ? await readLabelsFile(flags.labels) : undefined;
      const [{ useTfBackend }, { writeFileAtomic }] = await Promise.all([import('../../runtime/tfjs.js'), import('../../io/atomic.js')]);
      await useTfBackend('wasm');
      const { model, options: built } = await modelFromFlags(flags);
      if (!flags.weights) {
        process.stderr.write('mobilenetv3: note: no --weights given, exporting randomly initialised weights\n');
      }
      if (format === 'onnx') {
        const [{ exportOnnx }, { IMAGENET_CLASSES }] = await Promise.all([
          import('../../export/onnx/export.js'),
          import('../../classify/imagenet-classes.js'),
        ]);
        const classes = model.outputs[0].shape.length === 2 ? (model.outputs[0].shape[1] as number) : undefined;
        const labels = labelsFromFile ?? (classes === IMAGENET_CLASSES.length && built.includeTop !== false ? IMAGENET_CLASSES : undefined);
        if (labels && classes !== undefined && labels.length !== classes) {
          throw new CliError(`${labels.length} labels for a model with ${classes} classes`, 2);
        }
        await writeFileAtomic(flags.output, exportOnnx(model, { labels }));
      } else if (format === 'keras') {
        const { saveKerasArchive } = await import('../../weights/keras3/file.js');
        await saveKerasArchive(model, flags.output, labelsFromFile ? { labels: labelsFromFile } : {});
      } else if (format === 'weights.h5') {
        const { writeKeras3WeightsH5 } = await import('../../weights/keras3/weights-h5.js');
        await writeFileAtomic(flags.output, await writeKeras3WeightsH5(model));
      } else if (format === 'h5') {
        const { saveKerasH5Weights } = await import('../../weights/h5-file.js');
        await saveKerasH5Weights(model, flags.output);
      } else {
        const [{ saveTfjsModel }, { join }] = await Promise.all([import('../../weights/tfjs-files.js'), import('node:path')]);
        if (!/\.json$/i.test(flags.output)) flags.output = join(flags.output, 'model.json');
        await saveTfjsModel(model, flags.output);
      }
      process.stderr.write(`mobilenetv3: wrote ${flags.output}\n`);
    });
}
