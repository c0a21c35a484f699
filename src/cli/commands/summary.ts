import type { Command } from 'commander';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';

export const order = 10;

export function register(program: Command): void {
  addModelOptions(program.command('summary'))
    .description('print the model summary (Keras 3 layout) with parameters and multiply-accumulates')
    .option('--json', 'one JSON object instead of the table')
    .action(async (flags: ModelFlags & { json?: boolean }) => {
      const [{ buildModel }, { summarize }, { formatSummary }, { useTfBackend }] = await Promise.all([
        import('../../architecture/builder.js'),
        import('../../inspect/summary.js'),
        import('../../inspect/format.js'),
        import('../../runtime/tfjs.js'),
      ]);
      const options = modelOptionsFrom(flags);
      await useTfBackend('cpu');
      const model = buildModel(options);
      const summary = summarize(model);
      if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(formatSummary(summary) + '\n');
    });
}
