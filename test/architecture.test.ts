import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildModel, makeDivisible, readMetadata, resolveOptions, summarize, type ModelOptions } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';

await useTfBackend('wasm');

const counts = (o: ModelOptions) => {
  const s = summarize(buildModel(o));
  return [s.totalParams, s.trainableParams, s.nonTrainableParams];
};

describe('parameter counts equal keras.applications', () => {
  const cases: [string, ModelOptions, number[] | number][] = [
    ['Large', { arch: 'large' }, [5_507_432, 5_483_032, 24_400]],
    ['Small', { arch: 'small' }, [2_554_968, 2_542_856, 12_112]],
    ['Large without top', { arch: 'large', includeTop: false }, 2_996_352],
    ['Small without top', { arch: 'small', includeTop: false }, 939_120],
    ['Large alpha 0.75', { arch: 'large', alpha: 0.75 }, 4_012_616],
    ['Large minimalistic', { arch: 'large', minimalistic: true }, 3_948_688],
    ['Small minimalistic', { arch: 'small', minimalistic: true }, 2_056_848],
  ];
  for (const [label, options, expected] of cases) {
    it(label, () => {
      const got = counts(options);
      if (Array.isArray(expected)) assert.deepEqual(got, expected);
      else assert.equal(got[0], expected);
    });
  }
});

describe('MACs at 224 match the published numbers (±1%)', () => {
  for (const [arch, expected] of [
    ['large', 216.6e6],
    ['small', 56.5e6],
  ] as const) {
    it(arch, () => {
      const macs = summarize(buildModel({ arch })).macs;
      assert.ok(Math.abs(macs - expected) / expected < 0.01, `${arch}: ${macs}`);
    });
  }
});

describe('_depth rounding', () => {
  it('rounds to multiples of 8, never below 90%', () => {
    assert.equal(makeDivisible(16 * 0.75), 16);
    assert.equal(makeDivisible(24 * 0.75), 24); // 18 -> 16 would lose 11%
    assert.equal(makeDivisible(40 * 0.75), 32);
    assert.equal(makeDivisible(2.3 * 80), 184);
    assert.equal(makeDivisible(3), 8);
  });
});

/** Output shape (H, W, C) of each block's last layer, from the model's own block map. */
function stageShapes(options: ModelOptions): string[] {
  const model = buildModel(options);
  const meta = readMetadata(model)!;
  return meta.blocks
    .filter((b) => b.kind === 'stem' || b.kind === 'bneck' || b.kind === 'head')
    .map((b) => (model.getLayer(b.layers[b.layers.length - 1]).outputShape as number[]).slice(1).join('x'));
}

describe('output shape of every stage', () => {
  it('Large at 224 follows Table 1', () => {
    assert.deepEqual(stageShapes({ arch: 'large' }), [
      '112x112x16',
      '112x112x16',
      '56x56x24',
      '56x56x24',
      '28x28x40',
      '28x28x40',
      '28x28x40',
      '14x14x80',
      '14x14x80',
      '14x14x80',
      '14x14x80',
      '14x14x112',
      '14x14x112',
      '7x7x160',
      '7x7x160',
      '7x7x160',
      '7x7x960',
    ]);
  });
  it('Small at 224 follows Table 2', () => {
    assert.deepEqual(stageShapes({ arch: 'small' }), [
      '112x112x16',
      '56x56x16',
      '28x28x24',
      '28x28x24',
      '14x14x40',
      '14x14x40',
      '14x14x40',
      '14x14x48',
      '14x14x48',
      '7x7x96',
      '7x7x96',
      '7x7x96',
      '7x7x576',
    ]);
  });
  it('Small at 192', () => {
    assert.deepEqual(stageShapes({ arch: 'small', inputShape: [192, 192, 3] }), [
      '96x96x16',
      '48x48x16',
      '24x24x24',
      '24x24x24',
      '12x12x40',
      '12x12x40',
      '12x12x40',
      '12x12x48',
      '12x12x48',
      '6x6x96',
      '6x6x96',
      '6x6x96',
      '6x6x576',
    ]);
  });
  it('Large at 257x311 (odd, non-square: TF "same" rounds up)', () => {
    const shapes = stageShapes({ arch: 'large', inputShape: [257, 311, 3] });
    assert.deepEqual(
      [shapes[0], shapes[2], shapes[4], shapes[7], shapes[13], shapes[16]],
      ['129x156x16', '65x78x24', '33x39x40', '17x20x80', '9x10x160', '9x10x960'],
    );
  });
  it('both flavours give the same stage shapes', () => {
    for (const arch of ['large', 'small'] as const) {
      assert.deepEqual(stageShapes({ arch, flavor: 'blog', inputShape: [160, 200, 3] }), stageShapes({ arch, inputShape: [160, 200, 3] }));
    }
  });
});

describe('Keras layer structure', () => {
  const large = buildModel({ arch: 'large' });
  const names = large.layers.map((l) => l.name);
  it('uses Keras 3 names', () => {
    for (const name of [
      'input_layer',
      'rescaling',
      'conv',
      'conv_bn',
      'expanded_conv_depthwise',
      'expanded_conv_project_bn',
      'expanded_conv_add',
      'expanded_conv_1_expand',
      'expanded_conv_1_depthwise_pad',
      'expanded_conv_3_squeeze_excite_conv_1',
      'expanded_conv_3_squeeze_excite_mul',
      'conv_1',
      'conv_1_bn',
      'conv_2',
      'logits',
      'predictions',
    ]) {
      assert.ok(names.includes(name), name);
    }
  });
  it('block 0 has no expansion conv', () => {
    assert.ok(!names.includes('expanded_conv_expand'));
  });
  it('pads stride-2 depthwise convs the TF "same" way', () => {
    const pad = large.getLayer('expanded_conv_1_depthwise_pad').getConfig().padding;
    assert.deepEqual(pad, [
      [0, 1],
      [0, 1],
    ]);
    const pad5 = large.getLayer('expanded_conv_3_depthwise_pad').getConfig().padding;
    assert.deepEqual(pad5, [
      [1, 2],
      [1, 2],
    ]);
  });
  it('BN uses epsilon 1e-3 and momentum 0.999', () => {
    const c = large.getLayer('conv_bn').getConfig();
    assert.equal(c.epsilon, 1e-3);
    assert.equal(c.momentum, 0.999);
  });
  it('pooling without top', () => {
    const avg = buildModel({ arch: 'small', includeTop: false, pooling: 'avg' });
    assert.deepEqual(avg.outputs[0].shape, [null, 576]);
    const none = buildModel({ arch: 'small', includeTop: false });
    assert.deepEqual(none.outputs[0].shape, [null, 7, 7, 576]);
  });
  it('classes and logits', () => {
    const m = buildModel({ arch: 'small', classes: 10, classifierActivation: null });
    assert.deepEqual(m.outputs[0].shape, [null, 10]);
    assert.equal(m.getLayer('predictions').getConfig().activation, 'linear');
  });
});

describe('blog flavour matches the blog code layer by layer', () => {
  const fixture = JSON.parse(readFileSync(new URL('fixtures/blog-layers.json', import.meta.url), 'utf8'));
  const typeOf = (t: string) => (t === 'HardSwish' ? 'Activation' : t);
  for (const arch of ['large', 'small'] as const) {
    it(arch, () => {
      const ours = summarize(buildModel({ arch, flavor: 'blog' })).layers.map((l) => ({
        name: l.name,
        type: typeOf(l.type),
        outputShape: l.outputShape,
        params: l.params,
      }));
      assert.equal(ours.length, fixture[arch].length);
      ours.forEach((layer, i) => assert.deepEqual(layer, fixture[arch][i], `layer ${i}`));
    });
  }
});

describe('options are validated with one-line messages', () => {
  for (const [options, pattern] of [
    [{ alpha: 0 }, /alpha/],
    [{ inputShape: [16, 16, 3] }, /at least 32/],
    [{ arch: 'huge' }, /^arch must be one of large, small, got "huge"$/],
    [{ flavor: 'pytorch' }, /^flavor must be keras or blog, got "pytorch"$/],
    [{ classes: 0 }, /classes/],
    [{ padding: 'reflect' }, /padding/],
  ] as [ModelOptions, RegExp][]) {
    it(JSON.stringify(options), () => {
      assert.throws(
        () => resolveOptions(options),
        (e: Error) => pattern.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});
