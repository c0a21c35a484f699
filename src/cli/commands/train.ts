import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';
import { numberFlag, wholeNumberFlag } from '../number-flags.js';
import type { Progress } from '../progress.js';

interface TrainFlags extends Omit<ModelFlags, 'classes' | 'top' | 'pooling' | 'preprocessing'> {
  output: string;
  epochs: string;
  batch: string;
  lr: string;
  valSplit: string;
  augment?: string | true;
  fineTune?: string;
  fineTuneEpochs: string;
  fineTuneLr?: string;
  seed: string;
  resume?: boolean;
  engine: 'onnx' | 'tfjs';
  json?: boolean;
}


const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

export function register(program: Command): void {
  addModelOptions(program.command('train'), { omit: ['classes', 'no-top', 'pooling', 'no-preprocessing'] })
    .description('transfer learning: train a classifier on <dir> (one sub-folder of images per class) and export it')
    .argument('<dir>', 'folder with one sub-folder of images per class')
    .requiredOption('-o, --output <dir>', 'output folder (model.json, model.h5, model.onnx, labels.json, metrics.json, curves.png, confusion.png)')
    .option('--epochs <n>', 'epochs of stage 1 (the new classifier on cached features)', '20')
    .option('--batch <n>', 'batch size', '32')
    .option('--lr <x>', 'Adam learning rate of stage 1', '0.001')
    .option('--val-split <x>', 'fraction of each class kept for validation', '0.2')
    .option('--augment [views]', 'add random-resized-crop + flip views per training image (default 2)')
    .option('--fine-tune <blocks>', 'stage 2: also train the last N bneck blocks (on cached activations)')
    .option('--fine-tune-epochs <n>', 'epochs of stage 2', '5')
    .option('--fine-tune-lr <x>', 'Adam learning rate of stage 2 (default: --lr / 10)')
    .option('--seed <n>', 'seed of the split, augmentation and batch order', '42')
    .option('--resume', 'continue from the checkpoint in the output folder')
    .addOption(new Option('--engine <name>', 'engine for the frozen backbone: onnx (ONNX Runtime, fast) or tfjs').choices(['onnx', 'tfjs']).default('onnx'))
    .option('--json', 'print the result as one JSON object')
    .action(async (dir: string, flags: TrainFlags) => {
      const model = modelOptionsFrom({ ...flags, classes: '1000', top: false, preprocessing: true });
      const [height, width] = model.inputShape!;
      const options = {
        data: dir,
        output: flags.output,
        arch: model.arch,
        flavor: model.flavor,
        alpha: model.alpha,
        minimalistic: model.minimalistic,
        padding: model.padding,
        dropout: model.dropoutRate,
        weights: flags.weights ?? 'imagenet',
        inputSize: [height, width] as [number, number],
        epochs: wholeNumberFlag('epochs', flags.epochs),
        batchSize: wholeNumberFlag('batch', flags.batch),
        learningRate: numberFlag('lr', flags.lr, (n) => n > 0, 'a positive number'),
        valSplit: numberFlag('val-split', flags.valSplit, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)'),
        augment: flags.augment === undefined ? 0 : flags.augment === true ? 2 : numberFlag('augment', flags.augment, (n) => Number.isInteger(n) && n >= 1, 'a whole number of views of at least 1'),
        fineTune: flags.fineTune === undefined ? 0 : numberFlag('fine-tune', flags.fineTune, (n) => Number.isInteger(n) && n >= 1, 'a whole number of blocks of at least 1'),
        fineTuneEpochs: wholeNumberFlag('fine-tune-epochs', flags.fineTuneEpochs),
        fineTuneLearningRate: flags.fineTuneLr === undefined ? undefined : numberFlag('fine-tune-lr', flags.fineTuneLr, (n) => n > 0, 'a positive number'),
        seed: numberFlag('seed', flags.seed, Number.isInteger, 'a whole number'),
        resume: Boolean(flags.resume),
        engine: flags.engine,
      };
      const [{ train }, { progressBar }] = await Promise.all([import('../../train/train.js'), import('../progress.js')]);

      // Ctrl-C: finish the step in progress and stop, leaving the last epoch's checkpoint;
      // a second Ctrl-C quits at once.
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
        process.stderr.write('\nmobilenetv3: stopping after this step (Ctrl-C again to quit now)\n');
      };
      process.on('SIGINT', onSigint);

      // One bar per phase; a new phase (or a count starting again) replaces the bar.
      let bar: Progress | undefined;
      let barKey = '';
      let barDone = 0;
      const advance = (key: string, done: number, make: () => Progress, payload?: Record<string, string | number>) => {
        if (barKey !== key || done < barDone) {
          bar?.stop();
          bar = make();
          barKey = key;
          barDone = 0;
        }
        bar!.tick(done - barDone, payload);
        barDone = done;
      };
      const log = (line: string) => process.stderr.write(line + '\n');
      try {
        const result = await train({
          ...options,
          signal: controller.signal,
          onProgress(event) {
            if (event.phase === 'scan') log(`${event.images} images in ${event.classes} classes`);
            if (event.phase === 'resume') log(`resuming after epoch ${event.epoch} (stage ${event.stage}) with the checkpoint's settings`);
            if (event.phase === 'features') advance(`features-${event.total}`, event.done, () => progressBar('features', event.total));
            if (event.phase === 'step') {
              advance(`train${event.stage}`, event.done,
                () => progressBar(event.stage === 1 ? 'train' : 'fine-tune', event.total, 'epoch {epoch}/{epochs} | loss {loss} | acc {acc} | val acc {val}',
                  { epoch: event.epoch, epochs: event.epochs, loss: '-', acc: '-', val: '-' }),
                { epoch: event.epoch, epochs: event.epochs, loss: event.loss.toFixed(4), acc: pct(event.accuracy) });
            }
            if (event.phase === 'epoch') {
              const r = event.record;
              const line = `epoch ${r.epoch}${r.stage === 2 ? ' (fine-tune)' : ''}: loss ${r.loss.toFixed(4)} acc ${pct(r.accuracy)} | val loss ${r.valLoss?.toFixed(4) ?? '-'} val acc ${pct(r.valAccuracy)} | ${r.seconds.toFixed(1)} s`;
              // On a terminal the bar shows it; in logs, one line per epoch.
              if (bar?.visible) bar.tick(0, { val: pct(r.valAccuracy) });
              else log(line);
            }
            if (event.phase === 'export') {
              bar?.stop();
              bar = undefined;
            }
          },
        });
        bar?.stop();
        for (const s of result.skipped) log(`mobilenetv3: skipped unreadable image ${s.path}: ${s.reason}`);
        if (!result.completed) {
          const last = result.history.at(-1);
          throw new CliError(last
            ? `interrupted: the checkpoint in ${options.output} holds epoch ${last.epoch}; continue with --resume`
            : 'interrupted before the first epoch finished: nothing saved', 130);
        }
        if (flags.json) {
          process.stdout.write(JSON.stringify(result) + '\n');
          return;
        }
        const lines = [
          `trained ${result.classes.length} classes on ${result.counts.train} images, validated on ${result.counts.val}`,
          `validation accuracy ${pct(result.valAccuracy)}${result.stage1ValAccuracy !== null && result.history.some((r) => r.stage === 2) ? ` (stage 1: ${pct(result.stage1ValAccuracy)})` : ''}`,
          `time ${result.seconds.total.toFixed(1)} s (features ${result.seconds.features.toFixed(1)} s, stage 1 ${result.seconds.stage1.toFixed(1)} s${result.seconds.stage2 ? `, fine-tuning ${result.seconds.stage2.toFixed(1)} s at ${result.fineTuneImagesPerSecond?.toFixed(1)} images/s` : ''})`,
          `written to ${options.output}: model.json, model.h5, model.onnx, labels.json, metrics.json, curves.png${result.confusion.length ? ', confusion.png' : ''}`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        bar?.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
