import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { architectureTable, formatTableMarkdown, formatTableText, rowCells, NoBlockMapError } from '../src/visualize/table.js';
import { networkGraph } from '../src/visualize/graph.js';
import { runCli as cli } from './visualize-helpers.js';

/**
 * Howard et al. 2019 as printed (Input | Operator | exp size | #out | SE | NL | s), "k" = 1000.
 * Two editorial differences, both about how the paper prints rather than what it specifies:
 * Table 1 writes the stem as "conv2d" where Table 2 writes "conv2d, 3x3" (we print the kernel in both),
 * and Table 2 marks SE on the conv2d 1x1 of the head, which Keras (and the reference weights) do not have.
 */
const PAPER_TABLE_1 = `
224²×3   | conv2d, 3x3     | -   | 16   | - | HS | 2
112²×16  | bneck, 3x3      | 16  | 16   | - | RE | 1
112²×16  | bneck, 3x3      | 64  | 24   | - | RE | 2
56²×24   | bneck, 3x3      | 72  | 24   | - | RE | 1
56²×24   | bneck, 5x5      | 72  | 40   | ✓ | RE | 2
28²×40   | bneck, 5x5      | 120 | 40   | ✓ | RE | 1
28²×40   | bneck, 5x5      | 120 | 40   | ✓ | RE | 1
28²×40   | bneck, 3x3      | 240 | 80   | - | HS | 2
14²×80   | bneck, 3x3      | 200 | 80   | - | HS | 1
14²×80   | bneck, 3x3      | 184 | 80   | - | HS | 1
14²×80   | bneck, 3x3      | 184 | 80   | - | HS | 1
14²×80   | bneck, 3x3      | 480 | 112  | ✓ | HS | 1
14²×112  | bneck, 3x3      | 672 | 112  | ✓ | HS | 1
14²×112  | bneck, 5x5      | 672 | 160  | ✓ | HS | 2
7²×160   | bneck, 5x5      | 960 | 160  | ✓ | HS | 1
7²×160   | bneck, 5x5      | 960 | 160  | ✓ | HS | 1
7²×160   | conv2d, 1x1     | -   | 960  | - | HS | 1
7²×960   | pool, 7x7       | -   | -    | - | -  | 1
1²×960   | conv2d 1x1, NBN | -   | 1280 | - | HS | 1
1²×1280  | conv2d 1x1, NBN | -   | k    | - | -  | 1`;

const PAPER_TABLE_2 = `
224²×3   | conv2d, 3x3     | -   | 16   | - | HS | 2
112²×16  | bneck, 3x3      | 16  | 16   | ✓ | RE | 2
56²×16   | bneck, 3x3      | 72  | 24   | - | RE | 2
28²×24   | bneck, 3x3      | 88  | 24   | - | RE | 1
28²×24   | bneck, 5x5      | 96  | 40   | ✓ | HS | 2
14²×40   | bneck, 5x5      | 240 | 40   | ✓ | HS | 1
14²×40   | bneck, 5x5      | 240 | 40   | ✓ | HS | 1
14²×40   | bneck, 5x5      | 120 | 48   | ✓ | HS | 1
14²×48   | bneck, 5x5      | 144 | 48   | ✓ | HS | 1
14²×48   | bneck, 5x5      | 288 | 96   | ✓ | HS | 2
7²×96    | bneck, 5x5      | 576 | 96   | ✓ | HS | 1
7²×96    | bneck, 5x5      | 576 | 96   | ✓ | HS | 1
7²×96    | conv2d, 1x1     | -   | 576  | - | HS | 1
7²×576   | pool, 7x7       | -   | -    | - | -  | 1
1²×576   | conv2d 1x1, NBN | -   | 1024 | - | HS | 1
1²×1024  | conv2d 1x1, NBN | -   | k    | - | -  | 1`;

const parse = (text: string, k: number): string[][] =>
  text
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .map((c) => c.trim())
        .map((c) => (c === 'k' ? String(k) : c)),
    );

describe('architecture table', () => {
  before(() => useTfBackend('cpu'));

  it("reads back the paper's Table 1 from the built Keras Large", () => {
    const view = architectureTable(buildModel({ arch: 'large' }));
    assert.deepEqual(view.rows.map(rowCells), parse(PAPER_TABLE_1, 1000));
  });

  it("reads back the paper's Table 2 (1024-wide head) from the built Keras Small", () => {
    const view = architectureTable(buildModel({ arch: 'small' }));
    assert.deepEqual(view.rows.map(rowCells), parse(PAPER_TABLE_2, 1000));
  });

  it('follows alpha, minimalistic, input size and classes', () => {
    const view = architectureTable(buildModel({ arch: 'large', alpha: 0.75, minimalistic: true, inputShape: [257, 311, 3], classes: 10 }));
    const rows = view.rows;
    assert.deepEqual(rows[0].input, [257, 311, 3]);
    assert.deepEqual(rows[1].input, [129, 156, 16]);
    // Keras alpha 0.75: 40 -> 32 channels, 160 -> 120, expansion scaled with the actual input.
    assert.equal(rows[5].out, 32);
    assert.equal(rows[15].out, 120);
    assert.ok(
      rows.every((r) => !r.se && r.nl !== 'HS' && !r.operator.includes('5x5')),
      'minimalistic: no SE, no HS, no 5x5',
    );
    const pool = rows.find((r) => r.operator.startsWith('pool'));
    assert.equal(pool?.operator, 'pool, 9x10');
    assert.equal(rows[rows.length - 1].out, 10);
  });

  it('shows the blog flavour as built (ReLU6 read as RE, explicit block-0 expansion) and feature extractors', () => {
    const blog = architectureTable(buildModel({ arch: 'small', flavor: 'blog' })).rows;
    assert.deepEqual(blog.map(rowCells).slice(0, 3), parse(PAPER_TABLE_2, 1000).slice(0, 3));
    const features = architectureTable(buildModel({ arch: 'small', includeTop: false, pooling: 'avg' })).rows;
    assert.equal(features.length, 14);
    assert.equal(features[13].operator, 'pool, 7x7');
    const bare = architectureTable(buildModel({ arch: 'small', includeTop: false })).rows;
    assert.equal(bare[bare.length - 1].operator, 'conv2d, 1x1');
  });

  it('refuses a model without a block map (the table and the graph drawn from it alike)', () => {
    const input = tf.input({ shape: [8] });
    const plain = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor });
    assert.throws(() => architectureTable(plain), NoBlockMapError);
    assert.throws(() => networkGraph(plain), NoBlockMapError);
  });

  it('formats as text and Markdown', () => {
    const view = architectureTable(buildModel({ arch: 'small' }));
    assert.match(formatTableText(view), /^7²×576\s+pool, 7x7\s+-\s+-\s+-\s+-\s+1$/m);
    const md = formatTableMarkdown(view).split('\n');
    assert.equal(md[0], '| Input | Operator | exp size | #out | SE | NL | s |');
    assert.equal(md.length, 2 + 16);
  });

  it('CLI: table --json and errors', () => {
    const r = cli('table', '--arch', 'small', '--json');
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.name, 'MobileNetV3Small');
    assert.deepEqual(view.rows[1], {
      block: 'expanded_conv',
      input: [112, 112, 16],
      operator: 'bneck, 3x3',
      exp: 16,
      out: 16,
      se: true,
      nl: 'RE',
      stride: 2,
    });
    const bad = cli('table', '--alpha', 'wide');
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /--alpha must be a number/);
  });
});
