import type { Command } from 'commander';
import { modelFromFlags } from '../build-model.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';

export function register(program: Command): void {
  addModelOptions(program.command('summary'))
    .description('print the model summary (Keras 3 layout) with parameters and multiply-accumulates')
    .option('--json', 'one JSON object instead of the table')
    .action(async (flags: ModelFlags & { json?: boolean }) => {
      const [{ summarize }, { formatSummary }, { useTfBackend }] = await Promise.all([
        import('../../inspect/summary.js'),
        import('../../inspect/format.js'),
        import('../../runtime/tfjs.js'),
      ]);
      await useTfBackend('cpu');
      const { model } = await modelFromFlags(flags, { initialize: false });
      const summary = summarize(model);
      if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(formatSummary(summary) + '\n');
    });
}
