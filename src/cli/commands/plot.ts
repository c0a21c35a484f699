import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { modelFromFlags } from '../build-model.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';
import { numberFlag } from '../number-flags.js';

interface PlotFlags extends ModelFlags {
  output: string;
  detail: 'blocks' | 'layers';
  rankdir: 'TB' | 'LR';
  shapes: boolean;
  density: string;
}

export function register(program: Command): void {
  addModelOptions(program.command('plot'))
    .description('draw the network: .svg/.png/.dot, or .html (pan/zoom, search, details on click)')
    .requiredOption('-o, --output <file>', 'picture to write: .svg, .png, .dot or .html')
    .addOption(
      new Option('--detail <level>', 'blocks: one node per stem/bneck/head block; layers: every layer (Keras plot_model)')
        .choices(['blocks', 'layers'])
        .default('blocks'),
    )
    .addOption(new Option('--rankdir <dir>', 'layout direction: top-bottom or left-right').choices(['TB', 'LR']).default('TB'))
    .option('--no-shapes', 'without tensor shapes')
    .option('--density <dpi>', 'PNG resolution (72 = 1 pixel per point)', '144')
    .action(async (flags: PlotFlags) => {
      const [plot, { useTfBackend }] = await Promise.all([import('../../visualize/plot.js'), import('../../runtime/tfjs.js')]);
      modelOptionsFrom(flags); // bad options fail before any work
      let format: ReturnType<typeof plot.plotFormatOf>;
      try {
        format = plot.plotFormatOf(flags.output);
      } catch (error) {
        throw new CliError((error as Error).message, 2);
      }
      const density = numberFlag('density', flags.density, (n) => n > 0 && n <= 1200, 'a number in (0, 1200]');
      await useTfBackend('cpu');
      const { model } = await modelFromFlags(flags, { initialize: false });
      const graph = await plot.plotModel(model, flags.output, {
        detail: flags.detail,
        rankdir: flags.rankdir,
        shapes: flags.shapes,
        format,
        density,
      });
      process.stderr.write(`wrote ${flags.output} (${graph.nodes.length} nodes, ${graph.edges.length} edges, ${format})\n`);
    });
}
