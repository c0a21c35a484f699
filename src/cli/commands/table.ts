import type { Command } from 'commander';
import { modelFromFlags } from '../build-model.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';

export function register(program: Command): void {
  addModelOptions(program.command('table'))
    .description("the paper's Table 1/2 (Input | Operator | exp size | #out | SE | NL | s) read back from the built model")
    .option('--json', 'one JSON object ({ name, rows }) instead of the table')
    .option('--markdown', 'a Markdown table')
    .action(async (flags: ModelFlags & { json?: boolean; markdown?: boolean }) => {
      const [table, { useTfBackend }] = await Promise.all([import('../../visualize/table.js'), import('../../runtime/tfjs.js')]);
      await useTfBackend('cpu');
      const view = table.architectureTable((await modelFromFlags(flags, { initialize: false })).model);
      if (flags.json) process.stdout.write(JSON.stringify(view) + '\n');
      else if (flags.markdown) process.stdout.write(table.formatTableMarkdown(view) + '\n');
      else process.stdout.write(table.formatTableText(view) + '\n');
    });
}
