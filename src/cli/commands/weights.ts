import type { Command } from 'commander';
import type { ModelOptions } from '../../architecture/options.js';
import { CliError } from '../errors.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';

/** Commander attribute of each shared model flag -> the ModelOptions field it sets. */
const FLAG_TO_OPTION: Record<string, keyof ModelOptions> = {
  arch: 'arch',
  flavor: 'flavor',
  alpha: 'alpha',
  minimalistic: 'minimalistic',
  inputSize: 'inputShape',
  classes: 'classes',
  top: 'includeTop',
  pooling: 'pooling',
  dropout: 'dropoutRate',
  preprocessing: 'includePreprocessing',
  padding: 'padding',
};

export function register(program: Command): void {
  const weights = program
    .command('weights')
    .description('inspect and convert weight files (Keras .h5, Keras 3 .keras / .weights.h5, TF.js model.json, PyTorch .pth)');

  weights
    .command('inspect <file>')
    .description(
      'list the layers, weight shapes and totals of a .h5, .keras, .weights.h5, .pth or model.json, and which model options it fits',
    )
    .option('--json', 'one JSON object instead of the table')
    .action(async (file: string, flags: { json?: boolean }) => {
      const [{ inspectWeightsFile, formatInspection }, { useTfBackend }] = await Promise.all([
        import('../../weights/inspect.js'),
        import('../../runtime/tfjs.js'),
      ]);
      await useTfBackend('cpu');
      const result = await inspectWeightsFile(file);
      process.stdout.write((flags.json ? JSON.stringify(result) : formatInspection(result)) + '\n');
    });

  const convert = weights
    .command('convert <input> <output>')
    .description(
      'convert between Keras .h5, Keras 3 .keras / .weights.h5 and TF.js model.json (+ .weights.bin), from a PyTorch .pth, to .onnx; the model a file fits is worked out from it unless model options are given',
    );
  addModelOptions(convert, { omit: ['weights'] })
    .option('--json', 'print the result as one JSON object')
    .action(async (input: string, output: string, flags: ModelFlags & { json?: boolean }) => {
      // Typed model options override what the .h5's own shapes say (e.g. --input-size 160).
      const all = modelOptionsFrom(flags);
      const overrides: Record<string, unknown> = {};
      for (const [flag, key] of Object.entries(FLAG_TO_OPTION)) {
        if (convert.getOptionValueSource(flag) === 'cli') overrides[key] = all[key];
      }
      const [{ checkConvertPaths, convertWeights, FORMAT_NAMES }, { useTfBackend }] = await Promise.all([
        import('../../weights/convert.js'),
        import('../../runtime/tfjs.js'),
      ]);
      // An extension that names no format is a bad command line (exit 2), checked before any reading.
      try {
        checkConvertPaths(input, output);
      } catch (error) {
        throw new CliError((error as Error).message, 2);
      }
      await useTfBackend('cpu');
      const result = await convertWeights(input, output, overrides);
      if (flags.json) process.stdout.write(JSON.stringify({ input, output, ...result }) + '\n');
      else
        process.stdout.write(
          `wrote ${output} (${FORMAT_NAMES[result.to]}, ${result.model}, ${result.params.toLocaleString('en-US')} params)\n`,
        );
    });
}
