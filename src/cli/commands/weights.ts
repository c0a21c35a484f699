import type { Command } from 'commander';

export const order = 40;

export function register(program: Command): void {
  const weights = program.command('weights').description('inspect and convert weight files (Keras .h5, TF.js model.json)');

  weights.command('inspect <file>')
    .description('list the layers, weight shapes and totals of a .h5 or model.json, and which model options it fits')
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

  weights.command('convert <input> <output>')
    .description('convert between Keras .h5 weights and TF.js model.json (+ .weights.bin); the model a .h5 fits is worked out from its shapes')
    .option('--json', 'print the result as one JSON object')
    .action(async (input: string, output: string, flags: { json?: boolean }) => {
      const [{ convertWeights }, { useTfBackend }] = await Promise.all([
        import('../../weights/convert.js'),
        import('../../runtime/tfjs.js'),
      ]);
      await useTfBackend('cpu');
      const result = await convertWeights(input, output);
      if (flags.json) process.stdout.write(JSON.stringify({ input, output, ...result }) + '\n');
      else process.stdout.write(`wrote ${output} (${result.to === 'tfjs' ? 'TF.js' : 'Keras .h5'}, ${result.model}, ${result.params.toLocaleString('en-US')} params)\n`);
    });
}
