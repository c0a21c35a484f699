import { Option, type Command } from 'commander';
import { modelFromFlags } from '../build-model.js';
import { CliError } from '../errors.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';
import { cropFlag, threadsFlag, wholeNumberFlag } from '../number-flags.js';

interface EvaluateFlags extends ModelFlags {
  classIndex?: string;
  crop?: string | false;
  limit?: string;
  batchSize: string;
  json?: boolean;
  engine: 'onnx' | 'tfjs';
  threads?: string;
}

export function register(program: Command): void {
  addModelOptions(program.command('evaluate <dir>'))
    .description('top-1/top-5 accuracy on a folder of <synset>_*.JPEG photos (ImageNet naming) with a Keras class index')
    .option(
      '--class-index <json>',
      'Keras-format class index {"0": ["n01440764", "tench"], ...} (default: Keras\'s ImageNet index, downloaded and cached)',
    )
    .option(
      '--crop <fraction>',
      "centre-crop this fraction of the shorter side before resizing (default: the model card's, 0.875 as Keras/TF and torchvision evaluate)",
    )
    .option('--no-crop', 'resize the whole image (no centre crop)')
    .option('--limit <n>', 'evaluate n photos spread evenly over the sorted folder')
    .option('--batch-size <n>', 'images per inference batch', '16')
    .addOption(
      new Option('--engine <name>', 'onnx: ONNX Runtime (our exported graph); tfjs: TF.js wasm').choices(['onnx', 'tfjs']).default('onnx'),
    )
    .option('--threads <n>', 'ONNX Runtime threads (default: one per core)')
    .option('--json', 'one JSON object: top1, top5 (fractions), images, imagesPerSecond, engine')
    .action(async (dir: string, flags: EvaluateFlags) => {
      if (!flags.weights) throw new CliError('evaluate needs --weights (imagenet, a Keras .h5 file or a TF.js model.json)', 2);
      const crop = flags.crop === false ? null : flags.crop === undefined ? undefined : cropFlag(flags.crop);
      const limit = flags.limit === undefined ? undefined : wholeNumberFlag('limit', flags.limit);
      const batchSize = wholeNumberFlag('batch-size', flags.batchSize);
      const threads = flags.threads === undefined ? undefined : threadsFlag(flags.threads);

      const [{ useTfBackend }, { createEngine }, folder, { evaluateImages }, { progressBar }, { fetchCached }, { IMAGENET_CLASS_INDEX }] =
        await Promise.all([
          import('../../runtime/tfjs.js'),
          import('../../runtime/create-engine.js'),
          import('../../evaluate/labelled-folder.js'),
          import('../../evaluate/evaluate.js'),
          import('../progress.js'),
          import('../../weights/download.js'),
          import('../../weights/imagenet.js'),
        ]);
      const images = await folder.listLabelledImages(
        dir,
        async () => folder.readClassIndex(flags.classIndex ?? (await fetchCached(IMAGENET_CLASS_INDEX))),
        limit,
      );
      await useTfBackend('wasm');
      const { model } = await modelFromFlags(flags);
      const { readModelCard } = await import('../../architecture/card.js');
      const card = readModelCard(model);
      // The TF.js model itself, or its ONNX export on ONNX Runtime (same numbers within 1e-4).
      const engine = await createEngine(model, { engine: flags.engine, threads });
      const bar = flags.json ? undefined : progressBar('evaluating', images.length, 'top-1 {top1}');
      let last = 0;
      const result = await evaluateImages(engine, images, {
        batchSize,
        // Normalisation and crop as the model card says (a .pth: torchvision's mean/std).
        input: card?.input,
        ...(crop !== undefined ? { crop } : {}),
        onBatch(done, correct) {
          bar?.tick(done - last, { top1: `${((100 * correct) / done).toFixed(1)}%` });
          last = done;
        },
      });
      bar?.stop();
      await engine.dispose();
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...result, engine: flags.engine }) + '\n');
        return;
      }
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      process.stdout.write(
        [
          `top-1     ${pct(result.top1)} (${result.correctTop1}/${result.images})`,
          `top-5     ${pct(result.top5)} (${result.correctTop5}/${result.images})`,
          `images    ${result.images}`,
          `images/s  ${result.imagesPerSecond.toFixed(1)} (${flags.engine === 'onnx' ? 'ONNX Runtime' : 'TF.js wasm'}, batch ${batchSize}, decoding included)`,
        ].join('\n') + '\n',
      );
    });
}
