/**
 * `npm run bench:train`: training images/s of our step (src/train/step: one ONNX graph per step on
 * ONNX Runtime, plus the Adam update of src/train/optim) against PyTorch eager doing the same work
 * (tools/torch_train_peer.py, Debian /usr/bin/python3 + python3-torch), in one run:
 *   all   every layer trains, batch norm with batch statistics (training mode), 224x224 images;
 *   top3  the last 3 bnecks + head conv + classifier train on cached activations, batch norm
 *         frozen (our stage 2), earlier layers not run.
 * torchvision-equivalent MobileNetV3 Small and Large, 10 classes, batch 32, random weights and data
 * (speed does not depend on the values), same thread count. Each measurement is its own child
 * process (so peak RSS is per run), and ours and PyTorch alternate within every round (who goes
 * first alternates too), so load drift on a shared machine hits both alike; the ratio is the median
 * of the per-round ratios. Also per CPU-second of each process (all its threads), which other
 * processes on a shared machine hardly move (spin-waiting thread pools count in both).
 *
 * Usage: npx tsx scripts/bench-train.ts [--quick] [--rounds 3] [--steps 5] [--warmup 2]
 *        [--batch 32] [--threads N] [--arch small,large] [--mode all,top3]
 * --quick: Small only, batch 16 (still blocked for NCHWc), one round of 2 steps (a smoke run that the pipeline works).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type Mode = 'all' | 'top3';
type Arch = 'small' | 'large';

interface Run {
  imagesPerSecond: number;
  /** Per CPU-second of the process (all its threads): what load from other processes hardly moves. */
  imagesPerCpuSecond: number;
  peakRssMiB: number;
  ms: number[];
  /** Ours: the graph's NCHWc batch block (1: plain layout). */
  block?: number;
}

const PYTHON = '/usr/bin/python3';
const SELF = fileURLToPath(import.meta.url);
const PEER = fileURLToPath(new URL('../tools/torch_train_peer.py', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    arch: { type: 'string' },
    mode: { type: 'string' },
    child: { type: 'boolean' },
  },
});
const quick = values.quick ?? false;
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
const settings = {
  rounds: num(values.rounds, quick ? 1 : 3),
  steps: num(values.steps, quick ? 2 : 5),
  warmup: num(values.warmup, quick ? 1 : 2),
  batch: num(values.batch, quick ? 16 : 32),
  threads: num(values.threads, availableParallelism()),
  archs: (values.arch ?? (quick ? 'small' : 'small,large')).split(',') as Arch[],
  modes: (values.mode ?? 'all,top3').split(',') as Mode[],
};

/** One measurement of ours, in this (child) process: prints one JSON line. */
async function childOurs(arch: Arch, mode: Mode): Promise<void> {
  const { buildModel } = await import('../src/architecture/builder.js');
  const { readMetadata } = await import('../src/architecture/blocks.js');
  const { lastBnecks } = await import('../src/train/split-model.js');
  const { StepRunner } = await import('../src/train/step/runner.js');
  const { createOptimizer } = await import('../src/train/optim/index.js');
  const { useTfBackend } = await import('../src/runtime/tfjs.js');
  await useTfBackend('wasm'); // TF.js only builds the model and holds its weights here
  const model = buildModel({ arch, classes: 10, inputShape: [224, 224, 3] });
  let fromLayer: string | undefined;
  if (mode === 'top3') {
    const first = lastBnecks(model, 3)[0];
    fromLayer = readMetadata(model)!.blocks.find((b) => b.id === first)!.layers[0];
  }
  const runner = await StepRunner.create(model, {
    batch: settings.batch,
    fromLayer,
    batchNorm: mode === 'all' ? 'train' : 'frozen',
    threads: settings.threads,
  });
  let seed = 1;
  const uniform = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const dims = runner.graph.input.dims;
  // Images in [0, 255] (the model rescales), or cut activations around zero.
  const input = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () =>
    mode === 'all' ? 255 * uniform() : 2 * uniform() - 1,
  );
  const targets = new Float32Array(settings.batch * 10);
  for (let i = 0; i < settings.batch; i++) targets[i * 10 + Math.floor(uniform() * 10)] = 1;
  const dropout = (count: number) => Float32Array.from({ length: count }, uniform);
  const adam = createOptimizer({ name: 'adam', learningRate: 1e-3 });
  const step = async () => {
    const r = await runner.step(input, targets, dropout);
    adam.step(runner.params, r.gradients);
  };
  for (let i = 0; i < settings.warmup; i++) await step();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < settings.steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage(); // every thread of the process, ONNX Runtime's pool included
    await step();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    ms.push(performance.now() - t0);
  }
  const block = runner.graph.block;
  await runner.dispose();
  const run: Run = {
    imagesPerSecond: (settings.batch * 1000) / median(ms),
    imagesPerCpuSecond: (settings.batch * 1000) / median(cpu),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    ms,
    block,
  };
  console.log(JSON.stringify(run));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The last line of a child's stdout that is a JSON object (libraries may print banners first). */
function lastJson(stdout: string): Record<string, unknown> | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      /* not ours */
    }
  }
  return undefined;
}

type Outcome = Run | { missing: string } | { failed: string };

function measure(engine: 'ours' | 'torch', arch: Arch, mode: Mode): Outcome {
  const common = [
    '--arch',
    arch,
    '--mode',
    mode,
    '--batch',
    String(settings.batch),
    '--threads',
    String(settings.threads),
    '--steps',
    String(settings.steps),
    '--warmup',
    String(settings.warmup),
  ];
  const r =
    engine === 'ours'
      ? spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', ...common], { encoding: 'utf8', maxBuffer: 1 << 24 })
      : spawnSync(PYTHON, [PEER, ...common], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.error) return engine === 'torch' ? { missing: `peer missing (${PYTHON}: ${r.error.message})` } : { failed: r.error.message };
  if (engine === 'torch' && r.status === 3) return { missing: r.stdout.trim() || 'peer missing' };
  const json = lastJson(r.stdout);
  if (r.status !== 0 || !json) return { failed: `${engine} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
  return json as unknown as Run;
}

const isRun = (o: Outcome | undefined): o is Run => !!o && 'imagesPerSecond' in o;

async function parent(): Promise<void> {
  const cases = settings.modes.flatMap((mode) => settings.archs.map((arch) => ({ mode, arch })));
  const results = new Map<string, { ours: Outcome[]; torch: Outcome[] }>();
  console.error(
    `bench-train: ${cases.length} cases x ${settings.rounds} rounds, batch ${settings.batch}, ${settings.threads} threads, ${settings.steps} timed steps after ${settings.warmup} warm-up`,
  );
  for (let round = 0; round < settings.rounds; round++) {
    for (const { mode, arch } of cases) {
      const key = `${mode}/${arch}`;
      const entry = results.get(key) ?? results.set(key, { ours: [], torch: [] }).get(key)!;
      const order: ('ours' | 'torch')[] = round % 2 === 0 ? ['ours', 'torch'] : ['torch', 'ours'];
      for (const engine of order) {
        const o = measure(engine, arch, mode);
        entry[engine].push(o);
        const text = isRun(o)
          ? `${o.imagesPerSecond.toFixed(1)} img/s, ${o.imagesPerCpuSecond.toFixed(1)} img/CPU-s, ${o.peakRssMiB.toFixed(0)} MiB${o.block ? `, block ${o.block}` : ''}`
          : 'missing' in o
            ? o.missing
            : o.failed;
        console.error(`  round ${round + 1} ${key} ${engine}: ${text}`);
      }
    }
  }
  const fmt = (xs: Outcome[], f: (r: Run) => number, digits: number) => {
    const runs = xs.filter(isRun);
    if (runs.length) return median(runs.map(f)).toFixed(digits);
    const o = xs[0];
    return o && 'missing' in o ? 'peer missing' : 'failed';
  };
  console.log(
    `\nTraining, batch ${settings.batch}, 224x224, 10 classes, Adam, ${settings.threads} threads; median of ${settings.rounds} round(s) of ${settings.steps} steps, ours and PyTorch alternating\n`,
  );
  console.log(
    '| mode | arch | ours img/s | PyTorch img/s | ours / PyTorch | ours img/CPU-s | PyTorch img/CPU-s | ours / PyTorch (CPU) | ours peak RSS (MiB) | PyTorch peak RSS (MiB) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const { mode, arch } of cases) {
    const { ours, torch } = results.get(`${mode}/${arch}`)!;
    // Ratio per round (both ran back to back), then the median: robust to load that drifts.
    const ratio = (f: (r: Run) => number) => {
      const rs = ours.flatMap((o, i) => (isRun(o) && isRun(torch[i]) ? [f(o) / f(torch[i] as Run)] : []));
      return rs.length ? `${median(rs).toFixed(2)}x` : '-';
    };
    const wall = (r: Run) => r.imagesPerSecond;
    const cpu = (r: Run) => r.imagesPerCpuSecond;
    const label = mode === 'all' ? 'all layers, BN train' : 'last 3 bnecks, BN frozen, cached input';
    console.log(
      `| ${label} | ${arch} | ${fmt(ours, wall, 1)} | ${fmt(torch, wall, 1)} | ${ratio(wall)} | ${fmt(ours, cpu, 1)} | ${fmt(torch, cpu, 1)} | ${ratio(cpu)} | ${fmt(ours, (r) => r.peakRssMiB, 0)} | ${fmt(torch, (r) => r.peakRssMiB, 0)} |`,
    );
  }
}

if (values.child) await childOurs(settings.archs[0], settings.modes[0]);
else await parent();
