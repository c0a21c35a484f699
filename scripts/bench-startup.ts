/**
 * Start-up of the built CLI, as a user runs it: `node bin/mobilenetv3.js ...` from a cold process
 * (dist/, so `npm run build` first), best of N (default 5), next to `node -e 0` measured in the
 * same rounds. Each round runs every case once, in turn, so drift in the machine's load hits all
 * alike. Targets are issue 16's: --help/--version at most 0.15 s above bare Node; the rest in
 * total wall time.
 *
 *   npx tsx scripts/bench-startup.ts [--runs N] [--json]
 *
 * The ONNX cache is warmed once first (its own folder under .cache/, not ~/.cache), and the
 * exported x.onnx is made once; neither is timed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, '.cache/bench-startup');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const SHARED = [join(ROOT, '../shared'), join(ROOT, '../../shared')].find((p) => existsSync(join(p, 'weights'))) ?? join(ROOT, '../shared');
const IMAGE = join(SHARED, 'data/elephant.jpg');
const WEIGHTS = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
const ONNX = join(WORK, 'small.onnx');
const ENV = { ...process.env, MOBILENETV3_CACHE: join(WORK, 'cache') };

interface Case {
  name: string;
  args: string[] | null; // null: bare `node -e 0`
  /** Seconds above bare Node, or total seconds. */
  target: { above?: number; total?: number };
}

const CASES: Case[] = [
  { name: 'node -e 0', args: null, target: {} },
  { name: '--help', args: ['--help'], target: { above: 0.15 } },
  { name: '--version', args: ['--version'], target: { above: 0.15 } },
  { name: 'summary --arch large', args: ['summary', '--arch', 'large'], target: { total: 0.6 } },
  {
    name: 'classify 1 image (ONNX cache warm)',
    args: ['classify', IMAGE, '--arch', 'small', '--weights', WEIGHTS],
    target: { total: 0.35 },
  },
  { name: 'classify --model x.onnx', args: ['classify', '--model', ONNX, IMAGE], target: { total: 0.35 } },
  { name: 'table', args: ['table'], target: { total: 0.8 } },
  { name: 'plot -o x.svg', args: ['plot', '-o', join(WORK, 'x.svg')], target: { total: 0.8 } },
];

function run(argv: string[] | null): number {
  const command = argv === null ? ['-e', '0'] : [join(ROOT, 'bin/mobilenetv3.js'), ...argv];
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, command, { cwd: ROOT, env: ENV, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return seconds;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  if (!existsSync(WEIGHTS)) throw new Error(`missing ${WEIGHTS} (the shared Small weights)`);
  await mkdir(WORK, { recursive: true });
  run(['export', '--arch', 'small', '--weights', WEIGHTS, '-o', ONNX]);
  run(CASES[4].args); // warms the ONNX cache of the classify case

  const times = CASES.map(() => [] as number[]);
  for (let round = 0; round < RUNS; round++) CASES.forEach((c, i) => times[i].push(run(c.args)));
  const best = times.map((t) => Math.min(...t));
  const bare = best[0];
  const rows = CASES.map((c, i) => {
    const above = best[i] - bare;
    const limit = c.target.above ?? c.target.total;
    const measured = c.target.above !== undefined ? above : best[i];
    return {
      case: c.name,
      best: best[i],
      median: times[i].slice().sort((a, b) => a - b)[Math.floor(times[i].length / 2)],
      above,
      target: limit === undefined ? '' : `${c.target.above !== undefined ? '+' : ''}<= ${limit.toFixed(2)} s`,
      meets: limit === undefined ? null : measured <= limit,
    };
  });
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ runs: RUNS, node: process.version, rows }) + '\n');
    return;
  }
  const s = (v: number) => `${v.toFixed(3)} s`;
  const header = ['case', `best of ${RUNS}`, 'median', 'above node -e 0', 'target', 'meets'];
  const lines = rows.map((r) => [
    r.case,
    s(r.best),
    s(r.median),
    r.case === 'node -e 0' ? '' : `${r.above < 0 ? '-' : '+'}${s(Math.abs(r.above))}`,
    r.target,
    r.meets === null ? '' : r.meets ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write([format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n') + '\n');
  process.stdout.write(`node ${process.version}, ${RUNS} rounds, each case once per round in turn\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench-startup: ${error.message}\n`);
  process.exit(1);
});
