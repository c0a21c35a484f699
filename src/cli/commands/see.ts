/**
 * `activations` and `explain`: what the network sees in one image (feature maps of a layer,
 * Grad-CAM heatmap of a class). Both run the model with TF.js wasm; Grad-CAM differentiates only
 * the classifier part, on the cpu backend (src/visualize/explain.ts).
 */
import { Option, type Command } from 'commander';
import { modelFromFlags } from '../build-model.js';
import { CliError } from '../errors.js';
import { readLabelsFile } from '../../classify/labels.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';
import { cropFlag, wholeNumberFlag } from '../number-flags.js';

interface SeeFlags extends ModelFlags {
  output: string;
  crop?: string | false;
  json?: boolean;
}

async function pictureOutput(path: string): Promise<string> {
  const { rasterFormatOf } = await import('../../visualize/raster.js');
  try {
    rasterFormatOf(path);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  return path;
}

export function register(program: Command): void {
  addModelOptions(program.command('activations'))
    .description("a layer's feature maps for one image, as a grid (each channel scaled to its own range)")
    .argument('<image>', 'image file (JPEG, PNG, WebP, ...)')
    .requiredOption('--layer <name>', 'layer whose output to show (names: `mobilenetv3 summary` or `plot --detail layers`)')
    .requiredOption('-o, --output <file>', 'picture to write: .png, .jpg or .webp')
    .option('--max-channels <n>', 'show only the first n channels')
    .option('--crop <fraction>', "centre crop before resizing (default: the model card's, as classify)")
    .option('--no-crop', 'resize the whole image (no centre crop)')
    .option('--json', 'print what was drawn as JSON')
    .action(async (image: string, flags: SeeFlags & { layer: string; maxChannels?: string }) => {
      const output = await pictureOutput(flags.output);
      const crop = flags.crop === false ? null : flags.crop === undefined ? undefined : cropFlag(flags.crop);
      const maxChannels = flags.maxChannels === undefined ? undefined : wholeNumberFlag('max-channels', flags.maxChannels);
      const [{ useTfBackend }, { activationGrid }] = await Promise.all([
        import('../../runtime/tfjs.js'),
        import('../../visualize/activations.js'),
      ]);
      await useTfBackend('wasm');
      if (!flags.weights) process.stderr.write('mobilenetv3: note: no --weights: these are the feature maps of an untrained network\n');
      const { model } = await modelFromFlags(flags);
      const result = await activationGrid(model, image, flags.layer, output, { crop, maxChannels });
      if (flags.json) process.stdout.write(JSON.stringify({ output, ...result }) + '\n');
      else
        process.stderr.write(
          `wrote ${output}: ${result.layer} ${result.height}×${result.width}×${result.channels}, ${result.shown} channels in ${result.columns}×${result.rows}\n`,
        );
    });

  addModelOptions(program.command('explain'))
    .description('Grad-CAM heatmap over the image: where the evidence for the top class (or --class) is')
    .argument('<image>', 'image file (JPEG, PNG, WebP, ...)')
    .requiredOption('-o, --output <file>', 'picture to write (.png, .jpg or .webp): the image with the heatmap over it')
    .option('--class <n>', 'class to explain (default: the top-1 prediction)')
    .addOption(
      new Option('--method <name>', 'gradcam++ covers whole objects better; gradcam is the original')
        .choices(['gradcam++', 'gradcam'])
        .default('gradcam++'),
    )
    .option('--layer <name>', 'feature map to explain (default: the last one before global pooling)')
    .option('--crop <fraction>', "centre crop before resizing (default: the model card's, as classify)")
    .option('--no-crop', 'resize the whole image (no centre crop)')
    .option('--labels <file>', "class names: JSON array or one per line (default: the model card's, ImageNet for 1000 classes)")
    .option('--json', 'print the prediction and the explained class as JSON')
    .action(
      async (image: string, flags: SeeFlags & { class?: string; method: 'gradcam++' | 'gradcam'; layer?: string; labels?: string }) => {
        const output = await pictureOutput(flags.output);
        const crop = flags.crop === false ? null : flags.crop === undefined ? undefined : cropFlag(flags.crop);
        const classIndex = flags.class === undefined ? undefined : wholeNumberFlag('class', flags.class, 0);
        if (!flags.weights)
          throw new CliError('explain needs trained weights: pass --weights imagenet, a Keras .h5 file or a model.json', 2);
        const [{ useTfBackend }, { explainImage }] = await Promise.all([
          import('../../runtime/tfjs.js'),
          import('../../visualize/explain.js'),
        ]);
        let labels: readonly string[] | undefined = flags.labels ? await readLabelsFile(flags.labels) : undefined;
        await useTfBackend('wasm');
        const { model } = await modelFromFlags(flags);
        const classes = (model.outputs[0].shape as number[])[1];
        // The model card's class names (a trained model's own, ImageNet's for the published weights).
        if (!labels) {
          const [{ readModelCard }, { classNames }] = await Promise.all([
            import('../../architecture/card.js'),
            import('../../classify/class-names.js'),
          ]);
          labels = classNames(readModelCard(model), classes);
        }
        if (classIndex !== undefined && classIndex >= classes)
          throw new CliError(`--class must be below ${classes} (the model's classes), got ${classIndex}`, 2);
        const result = await explainImage(model, image, output, { classIndex, method: flags.method, layer: flags.layer, crop, labels });
        const { cam: _cam, ...summary } = result;
        if (flags.json) process.stdout.write(JSON.stringify({ output, ...summary }) + '\n');
        else {
          const t = result.target;
          process.stderr.write(
            `wrote ${output}: ${result.method} of ${t.label ?? 'class'} (${t.index}), p = ${(t.probability * 100).toFixed(1)}%, on ${result.layer} ${result.camHeight}×${result.camWidth}\n`,
          );
        }
      },
    );
}
