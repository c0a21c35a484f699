/**
 * `npm run bench`: inference speed of MobileNetV3-Large/Small at 224x224, batch 1 and 16, fp32:
 *   ours ONNX   - our exporter's graph on ONNX Runtime (onnxruntime-node), our default engine
 *   ours TF.js  - the tf.LayersModel on TF.js's wasm backend (single thread in Node)
 *   peer ONNX   - torchvision's own torch.onnx.export of the same architecture, same ORT settings
 *   PyTorch     - torchvision eager, torch.inference_mode() (Debian python3-torch, a subprocess)
 * and the wall time of `mobilenetv3 classify` on one image from a cold process. Ours and the
 * peer on ORT are timed interleaved (run, run, run, ...) so load drift hits both alike, and once
 * more on one thread by CPU time, which other processes on the machine hardly disturb.
 *
 * Peer files: `/usr/bin/python3 tools/torch_peer.py export .cache/bench` (done here when torch is
 * installed; "peer missing" otherwise). Options: --seconds S (per measurement, default 3),
 * --threads N (default: all cores), --no-tfjs, --no-torch, --no-cold.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import { exportOnnx } from '../src/export/onnx/export.js';
import { summarize } from '../src/inspect/summary.js';
import { useTfBackend } from '../src/runtime/tfjs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.cache/bench');
const PYTHON = '/usr/bin/python3';
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = value('seconds', 3);
const THREADS = value('threads', availableParallelism());
const SHARED = [join(ROOT, '../shared'), join(ROOT, '../../shared')].find((p) => existsSync(join(p, 'weights'))) ?? join(ROOT, '../shared');

// ---- the CPU's fp32 peak -------------------------------------------------------------------
interface Peak {
  gflops: number;
  text: string;
}
function estimatePeak(cores: number): Peak {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? 'unknown CPU';
  const mhz = Math.max(...[...info.matchAll(/cpu MHz\s*:\s*([\d.]+)/g)].map((m) => Number(m[1])));
  const flags = new Set((/flags\s*:\s*(.*)/.exec(info)?.[1] ?? '').split(' '));
  const amd = /AuthenticAMD/.test(info);
  // FLOPs per cycle per core = FMA pipes (2) x fp32 lanes x 2 (multiply + add). AMD Zen 4 runs
  // AVX-512 on 256-bit pipes, so it counts as 8 lanes there.
  let lanes = 4;
  let isa = 'SSE';
  if (flags.has('avx512f') && !amd) {
    lanes = 16;
    isa = 'AVX-512';
  } else if (flags.has('avx512f')) {
    lanes = 8;
    isa = 'AVX-512 on 256-bit pipes (AMD)';
  } else if (flags.has('avx2') && flags.has('fma')) {
    lanes = 8;
    isa = 'AVX2+FMA';
  }
  const perCycle = 2 * lanes * 2;
  const gflops = cores * (mhz / 1000) * perCycle;
  return {
    gflops,
    text: `${model}: ${cores} cores x ${(mhz / 1000).toFixed(2)} GHz x ${perCycle} FLOP/cycle (${isa}, 2 FMA pipes) = ${gflops.toFixed(0)} GFLOP/s fp32`,
  };
}

// ---- timing helpers ------------------------------------------------------------------------
interface Stats {
  median: number;
  min: number;
  runs: number;
}
const stats = (ms: number[]): Stats => {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], runs: s.length };
};

/** Time several runners interleaved for about SECONDS each (after warm-up). */
async function interleaved(runners: (() => Promise<unknown>)[], warmup = 3, minRuns = 5): Promise<Stats[]> {
  for (let i = 0; i < warmup; i++) for (const r of runners) await r();
  const times = runners.map(() => [] as number[]);
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000 * runners.length || times[0].length < minRuns) {
    for (let i = 0; i < runners.length; i++) {
      const t = performance.now();
      await runners[i]();
      times[i].push(performance.now() - t);
    }
  }
  return times.map(stats);
}

function ortSession(model: Uint8Array | string, threads = THREADS): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

function ortRunner(session: ort.InferenceSession, shape: number[]) {
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7919) % 255),
    shape,
  );
  return () => session.run({ [session.inputNames[0]]: x });
}

function havePython(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
}

/**
 * CPU time per batch on one intra-op thread, ours and peer interleaved: the work each graph costs,
 * much less disturbed than wall time when other processes share the cores.
 */
async function cpuTimes(runners: (() => Promise<unknown>)[], runs = 12): Promise<Stats[]> {
  for (const r of runners) await r();
  const times = runners.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < runners.length; k++) {
      const start = process.cpuUsage();
      await runners[k]();
      const used = process.cpuUsage(start);
      times[k].push((used.user + used.system) / 1000);
    }
  }
  return times.map(stats);
}

// ---- the table -----------------------------------------------------------------------------
interface Row {
  arch: string;
  batch: number;
  engine: string;
  stats?: Stats;
  note?: string;
  macs: number;
}
const rows: Row[] = [];
const cpuRows: { arch: string; batch: number; ours: Stats; peer: Stats }[] = [];

async function main() {
  await useTfBackend('wasm');
  const peak = estimatePeak(THREADS);
  const python = !flag('no-torch') && havePython();
  if (python && !['large', 'small'].every((a) => existsSync(join(CACHE, `torchvision_mobilenet_v3_${a}.onnx`)))) {
    process.stderr.write('exporting torchvision peers to .cache/bench ...\n');
    spawnSync(PYTHON, ['tools/torch_peer.py', 'export', CACHE], { cwd: ROOT, stdio: 'inherit' });
  }
  for (const arch of ['large', 'small'] as const) {
    const model = buildModel({ arch });
    const macs = summarize(model).macs;
    const oursBytes = exportOnnx(model);
    const ours = await ortSession(oursBytes);
    const peerFile = join(CACHE, `torchvision_mobilenet_v3_${arch}.onnx`);
    const peer = existsSync(peerFile) ? await ortSession(peerFile) : undefined;
    for (const batch of [1, 16]) {
      process.stderr.write(`timing ${arch} batch ${batch} ...\n`);
      const runners = [ortRunner(ours, [batch, 224, 224, 3])];
      if (peer) runners.push(ortRunner(peer, [batch, 3, 224, 224]));
      const [o, p] = await interleaved(runners);
      if (peer) {
        const [ours1, peer1] = [await ortSession(oursBytes, 1), await ortSession(peerFile, 1)];
        const [co, cp] = await cpuTimes([ortRunner(ours1, [batch, 224, 224, 3]), ortRunner(peer1, [batch, 3, 224, 224])]);
        cpuRows.push({ arch, batch, ours: co, peer: cp });
        await ours1.release();
        await peer1.release();
      }
      rows.push({ arch, batch, engine: 'ours ONNX (ORT)', stats: o, macs });
      rows.push(
        p
          ? { arch, batch, engine: 'torchvision ONNX (ORT)', stats: p, macs }
          : { arch, batch, engine: 'torchvision ONNX (ORT)', note: 'peer missing', macs },
      );
      if (!flag('no-tfjs')) {
        const x = tf.randomUniform([batch, 224, 224, 3], 0, 255);
        const [t] = await interleaved(
          [
            async () => {
              const y = model.predict(x) as tf.Tensor;
              await y.data();
              y.dispose();
            },
          ],
          1,
          3,
        );
        x.dispose();
        rows.push({ arch, batch, engine: 'ours TF.js (wasm, 1 thread)', stats: t, macs });
      }
      if (python) {
        const r = spawnSync(
          PYTHON,
          [
            'tools/torch_peer.py',
            'bench',
            '--arch',
            arch,
            '--batch',
            String(batch),
            '--threads',
            String(THREADS),
            '--seconds',
            String(SECONDS),
          ],
          { cwd: ROOT, encoding: 'utf8' },
        );
        if (r.status === 0)
          rows.push({
            arch,
            batch,
            engine: 'PyTorch eager',
            stats: stats(JSON.parse(r.stdout.trim().split('\n').pop() as string).ms),
            macs,
          });
        else rows.push({ arch, batch, engine: 'PyTorch eager', note: `failed: ${r.stderr.trim().split('\n').pop()}`, macs });
      } else {
        rows.push({ arch, batch, engine: 'PyTorch eager', note: 'peer missing (no /usr/bin/python3 torch)', macs });
      }
    }
    await ours.release();
    await peer?.release();
    model.dispose();
  }

  const lines = [
    `| model | batch | engine | ms/batch median | ms/batch min | images/s | % of fp32 peak | ours ONNX / this |`,
    `|---|---:|---|---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    if (!r.stats) {
      lines.push(`| ${r.arch} | ${r.batch} | ${r.engine} | ${r.note} | | | | |`);
      continue;
    }
    const ips = (r.batch * 1000) / r.stats.median;
    const pct = (100 * ips * 2 * r.macs) / (peak.gflops * 1e9);
    const ourRow = rows.find((x) => x.arch === r.arch && x.batch === r.batch && x.engine.startsWith('ours ONNX'));
    const ratio = ourRow?.stats ? (r.batch * 1000) / ourRow.stats.median / ips : NaN;
    lines.push(
      `| ${r.arch} | ${r.batch} | ${r.engine} | ${r.stats.median.toFixed(1)} | ${r.stats.min.toFixed(1)} | ${ips.toFixed(1)} | ${pct.toFixed(1)}% | ${r === ourRow ? '1.00' : ratio.toFixed(2)} |`,
    );
  }
  const out = [
    `CPU peak estimate: ${peak.text}.`,
    `ORT ${ort.env.versions.common}, ${THREADS} intra-op threads, graph optimisation "all"; ${SECONDS} s per measurement.`,
    '',
    ...lines,
  ];
  if (cpuRows.length) {
    out.push(
      '',
      'ONNX Runtime, 1 intra-op thread, CPU time per batch (process.cpuUsage; robust to other load on the machine):',
      '',
      '| model | batch | ours CPU ms median (min) | torchvision CPU ms median (min) | ours / torchvision throughput |',
      '|---|---:|---:|---:|---:|',
    );
    for (const r of cpuRows) {
      out.push(
        `| ${r.arch} | ${r.batch} | ${r.ours.median.toFixed(1)} (${r.ours.min.toFixed(1)}) | ${r.peer.median.toFixed(1)} (${r.peer.min.toFixed(1)}) | ${(r.peer.median / r.ours.median).toFixed(2)} |`,
      );
    }
  }
  if (!flag('no-cold')) out.push('', ...(await coldClassify()));
  console.log(out.join('\n'));
  await mkdir(CACHE, { recursive: true });
  await writeFile(join(CACHE, 'results.md'), out.join('\n') + '\n');
}

/** Wall time of `mobilenetv3 classify` on one image, each run a fresh process (the built CLI in dist/). */
async function coldClassify(): Promise<string[]> {
  const weights = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
  const image = join(SHARED, 'data/elephant.jpg');
  if (!existsSync(weights) || !existsSync(image)) return ['cold classify: ../shared weights or elephant.jpg missing'];
  const cache = join(CACHE, 'cold-cache');
  await rm(cache, { recursive: true, force: true });
  const env = { ...process.env, MOBILENETV3_CACHE: cache };
  const bin = join(ROOT, 'bin/mobilenetv3.js');
  const onnxFile = join(CACHE, 'small.onnx');
  spawnSync(process.execPath, [bin, 'export', '--arch', 'small', '--weights', weights, '-o', onnxFile], { env });
  const run = (extra: string[]) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [bin, 'classify', image, '--top', '1', ...extra], { env, encoding: 'utf8' });
    const ms = performance.now() - t;
    if (r.status !== 0 || !/African elephant/.test(r.stdout)) throw new Error(`classify failed: ${r.stderr}`);
    return ms;
  };
  const cases: [string, string[], number][] = [
    ['--weights small.h5, first run (builds, loads .h5, exports ONNX to the cache)', ['--arch', 'small', '--weights', weights], 1],
    ['--weights small.h5, cached export', ['--arch', 'small', '--weights', weights], 5],
    ['--model small.onnx', ['--model', onnxFile], 5],
    ['--engine tfjs --weights small.h5', ['--arch', 'small', '--weights', weights, '--engine', 'tfjs'], 3],
  ];
  const lines = ['| cold `classify elephant.jpg` (Small, one process each) | wall ms median | min |', '|---|---:|---:|'];
  for (const [label, extra, n] of cases) {
    const s = stats(Array.from({ length: n }, () => run(extra)));
    lines.push(`| ${label} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} |`);
  }
  return [
    `CLI: ${existsSync(join(ROOT, 'dist/cli/main.js')) ? 'built (dist/)' : 'from sources through tsx (run npm run build for the installed timing)'}`,
    '',
    ...lines,
  ];
}

await main();
