import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';
import { numberFlag, threadsFlag, wholeNumberFlag } from '../number-flags.js';
import type { Progress } from '../progress.js';
import { OPTIMIZER_NAMES, SCHEDULE_NAMES } from '../../train/optim/index.js';
import { ARCHITECTURES } from '../../architecture/tables.js';

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
  freezeBn?: boolean;
  trainBn?: boolean;
  optimizer: string;
  momentum: string;
  nesterov?: boolean;
  schedule: string;
  warmup: string;
  weightDecay: string;
  labelSmoothing: string;
  clipNorm: string;
  threads?: string;
  seed: string;
  resume?: boolean;
  engine: 'onnx' | 'tfjs';
  json?: boolean;
}

/** --fine-tune: 'all', or 1..(bnecks of the arch). */
function fineTuneFlag(text: string | undefined, arch: keyof typeof ARCHITECTURES): number | 'all' {
  if (text === undefined) return 0;
  if (text === 'all') return 'all';
  const bnecks = ARCHITECTURES[arch].blocks.length;
  return numberFlag(
    'fine-tune',
    text,
    (n) => Number.isInteger(n) && n >= 1 && n <= bnecks,
    `all or a number of blocks from 1 to ${bnecks} (MobileNetV3-${arch === 'small' ? 'Small' : 'Large'} has ${bnecks})`,
  );
}

function bnFlag(flags: { freezeBn?: boolean; trainBn?: boolean }): boolean | undefined {
  if (flags.freezeBn && flags.trainBn) throw new CliError('--freeze-bn and --train-bn contradict each other: pass one', 2);
  return flags.freezeBn ? true : flags.trainBn ? false : undefined;
}

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

export function register(program: Command): void {
  addModelOptions(program.command('train'), { omit: ['classes', 'no-top', 'pooling', 'no-preprocessing'] })
    .description(
      'train a classifier on <dir> (one sub-folder of images per class): the head, the last N blocks, or every layer, and export it',
    )
    .argument('<dir>', 'folder with one sub-folder of images per class')
    .requiredOption(
      '-o, --output <dir>',
      'output folder (model.json, model.h5, model.keras, model.onnx, labels.json, metrics.json, curves.png, confusion.png)',
    )
    .option('--epochs <n>', 'epochs of stage 1 (the new classifier on cached features)', '20')
    .option('--batch <n>', 'batch size', '32')
    .option('--lr <x>', 'Adam learning rate of stage 1', '0.001')
    .option('--val-split <x>', 'fraction of each class kept for validation', '0.2')
    .option(
      '--augment [views]',
      'stage 1 / --fine-tune N: add random-resized-crop + flip views per training image (default 2); --fine-tune all draws a new crop + flip every epoch unless --augment 0',
    )
    .option(
      '--fine-tune <blocks|all>',
      'stage 2: also train the last N bneck blocks (on cached activations, batch norm frozen), or all: every layer on the photos',
    )
    .option('--fine-tune-epochs <n>', 'epochs of stage 2', '5')
    .option('--fine-tune-lr <x>', 'learning rate of stage 2 (default: --lr / 10)')
    .option('--freeze-bn', '--fine-tune all: keep batch norm in inference mode')
    .option(
      '--train-bn',
      '--fine-tune all: train batch norm (batch statistics, moving averages updated) even for weights whose batch norm is folded (identity statistics), which are frozen by default',
    )
    .addOption(
      new Option('--optimizer <name>', '--fine-tune all / --weights none: the optimiser').choices([...OPTIMIZER_NAMES]).default('adam'),
    )
    .option('--momentum <x>', 'sgd / rmsprop momentum', '0.9')
    .option('--nesterov', 'sgd with Nesterov momentum')
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule of whole-network training').choices([...SCHEDULE_NAMES]).default('cosine'),
    )
    .option('--warmup <epochs>', 'linear learning-rate warm-up, in epochs (fractions allowed)', '0')
    .option('--weight-decay <x>', 'weight decay on kernels (L2; decoupled with adamw)', '0')
    .option('--label-smoothing <x>', 'label smoothing of the targets, in [0, 1)', '0')
    .option('--clip-norm <x>', 'clip the global gradient norm (0: off)', '0')
    .option('--threads <n>', 'CPU threads for ONNX Runtime (default: every core)')
    .option('--seed <n>', 'seed of the split, augmentation and batch order', '42')
    .option('--resume', 'continue from the checkpoint in the output folder')
    .addOption(
      new Option('--engine <name>', 'engine for the frozen backbone: onnx (ONNX Runtime, fast) or tfjs')
        .choices(['onnx', 'tfjs'])
        .default('onnx'),
    )
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
        freezeBn: bnFlag(flags),
        optimizer: flags.optimizer as (typeof OPTIMIZER_NAMES)[number],
        momentum: numberFlag('momentum', flags.momentum, (n) => n >= 0 && n < 1, 'in [0, 1)'),
        nesterov: Boolean(flags.nesterov),
        schedule: flags.schedule as (typeof SCHEDULE_NAMES)[number],
        warmupEpochs: numberFlag('warmup', flags.warmup, (n) => n >= 0, 'a number of epochs of at least 0'),
        weightDecay: numberFlag('weight-decay', flags.weightDecay, (n) => n >= 0, 'a number of at least 0'),
        labelSmoothing: numberFlag('label-smoothing', flags.labelSmoothing, (n) => n >= 0 && n < 1, 'in [0, 1)'),
        clipNorm: numberFlag('clip-norm', flags.clipNorm, (n) => n >= 0, 'a number of at least 0 (0: off)'),
        threads: flags.threads === undefined ? undefined : threadsFlag(flags.threads),
        inputSize: [height, width] as [number, number],
        epochs: wholeNumberFlag('epochs', flags.epochs),
        batchSize: wholeNumberFlag('batch', flags.batch),
        learningRate: numberFlag('lr', flags.lr, (n) => n > 0, 'a positive number'),
        valSplit: numberFlag('val-split', flags.valSplit, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)'),
        augment:
          flags.augment === undefined
            ? undefined
            : flags.augment === true
              ? 2
              : numberFlag('augment', flags.augment, (n) => Number.isInteger(n) && n >= 0, 'a whole number of views of at least 0'),
        fineTune: fineTuneFlag(flags.fineTune, model.arch ?? 'large'),
        fineTuneEpochs: wholeNumberFlag('fine-tune-epochs', flags.fineTuneEpochs),
        fineTuneLearningRate:
          flags.fineTuneLr === undefined ? undefined : numberFlag('fine-tune-lr', flags.fineTuneLr, (n) => n > 0, 'a positive number'),
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
            if (event.phase === 'notice') log(`mobilenetv3: ${event.message}`);
            if (event.phase === 'resume') log(`resuming after epoch ${event.epoch} (stage ${event.stage}) with the checkpoint's settings`);
            if (event.phase === 'features') advance(`features-${event.total}`, event.done, () => progressBar('features', event.total));
            if (event.phase === 'step') {
              advance(
                `train${event.stage}`,
                event.done,
                () =>
                  progressBar(
                    event.stage === 1 ? 'train' : 'fine-tune',
                    event.total,
                    'epoch {epoch}/{epochs} | loss {loss} | acc {acc} | val acc {val} | {speed} img/s',
                    { epoch: event.epoch, epochs: event.epochs, loss: '-', acc: '-', val: '-', speed: '-' },
                  ),
                {
                  epoch: event.epoch,
                  epochs: event.epochs,
                  loss: event.loss.toFixed(4),
                  acc: pct(event.accuracy),
                  speed: event.imagesPerSecond?.toFixed(1) ?? '-',
                },
              );
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
        for (const s of result.skipped) log(`mobilenetv3: skipped ${s.path}: ${s.reason}`);
        if (!result.completed) {
          const last = result.history.at(-1);
          throw new CliError(
            last
              ? `interrupted: the checkpoint in ${options.output} holds epoch ${last.epoch}; continue with --resume`
              : 'interrupted before the first epoch finished: nothing saved',
            130,
          );
        }
        if (flags.json) {
          process.stdout.write(JSON.stringify(result) + '\n');
          return;
        }
        const lines = [
          `trained ${result.classes.length} classes on ${result.counts.train} images, validated on ${result.counts.val}`,
          `validation accuracy ${pct(result.valAccuracy)}${result.stage1ValAccuracy !== null && result.history.some((r) => r.stage === 2) ? ` (stage 1: ${pct(result.stage1ValAccuracy)})` : ''}`,
          `time ${result.seconds.total.toFixed(1)} s (features ${result.seconds.features.toFixed(1)} s, stage 1 ${result.seconds.stage1.toFixed(1)} s${result.seconds.stage2 ? `, ${options.fineTune === 'all' ? 'every layer' : 'fine-tuning'} ${result.seconds.stage2.toFixed(1)} s at ${result.imagesPerSecond.stage2?.toFixed(1)} images/s` : ''})`,
          `written to ${options.output}: model.json, model.h5, model.keras, model.onnx, labels.json, metrics.json, curves.png${result.confusion.length ? ', confusion.png' : ''}`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        bar?.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
