"""Run the blog's own Keras 2 code (../shared/seed/mobilenetv3-large-blog.txt) against a tiny
stand-in for `keras` that only tracks layer names, classes, output shapes and parameter counts,
as Keras 2 would report them in model.summary(). Writes test/fixtures/blog-layers.json.

The Small model is built with the blog's own functions (conv_block, bottleneck, squeeze) and the
Small table of the project's issue, since the blog only lists Large.

Run: /usr/bin/python3 tools/blog_reference.py   (plain Python 3, no Keras needed)
"""
import json
import math
import re
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / 'shared' / 'seed' / 'mobilenetv3-large-blog.txt'
OUT = ROOT / 'test' / 'fixtures' / 'blog-layers.json'

counters = {}
layers = []


def auto_name(base):
    n = counters.get(base, 0)
    counters[base] = n + 1
    return base if n == 0 else f'{base}_{n}'


class T:
    """A symbolic tensor: shape without batch."""
    def __init__(self, shape):
        self.shape = (None,) + tuple(shape)


class Layer:
    base = 'layer'

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.name = auto_name(self.base)

    def __call__(self, x):
        xs = x if isinstance(x, list) else [x]
        shape, params = self.build([t.shape[1:] for t in xs])
        layers.append({'name': self.name, 'type': type(self).__name__, 'outputShape': [None, *shape], 'params': params})
        return T(shape)


def same(n, s):
    return math.ceil(n / s)


def pair(k):
    return tuple(k) if isinstance(k, (tuple, list)) else (k, k)


class Conv2D(Layer):
    base = 'conv2d'

    def build(self, shapes):
        (h, w, c), = shapes
        filters, kernel = self.args[0], pair(self.args[1])
        s = pair(self.kwargs.get('strides', 1))[0]
        return (same(h, s), same(w, s), filters), kernel[0] * kernel[1] * c * filters + filters


class DepthwiseConv2D(Layer):
    base = 'depthwise_conv2d'

    def build(self, shapes):
        (h, w, c), = shapes
        kernel = pair(self.args[0])
        s = pair(self.kwargs.get('strides', 1))[0]
        return (same(h, s), same(w, s), c), kernel[0] * kernel[1] * c + c


class Dense(Layer):
    base = 'dense'

    def build(self, shapes):
        (c,), = shapes
        return (self.args[0],), c * self.args[0] + self.args[0]


class BatchNormalization(Layer):
    base = 'batch_normalization'

    def build(self, shapes):
        return shapes[0], 4 * shapes[0][-1]


class GlobalAveragePooling2D(Layer):
    base = 'global_average_pooling2d'

    def build(self, shapes):
        return (shapes[0][-1],), 0


class Activation(Layer):
    base = 'activation'

    def build(self, shapes):
        return shapes[0], 0


class Reshape(Layer):
    base = 'reshape'

    def build(self, shapes):
        return tuple(self.args[0]), 0


class Add(Layer):
    base = 'add'

    def build(self, shapes):
        return shapes[0], 0


class Multiply(Layer):
    base = 'multiply'

    def build(self, shapes):
        return shapes[0], 0


def Input(shape):
    layers.append({'name': auto_name('input'), 'type': 'InputLayer', 'outputShape': [None, *shape], 'params': 0})
    return T(shape)


def Model(inputs, outputs):
    return None


backend = types.SimpleNamespace(
    relu=lambda x, max_value=None: x,
    image_data_format=lambda: 'channels_last',
    int_shape=lambda t: t.shape,
)

keras = types.ModuleType('keras')
keras.layers = types.ModuleType('keras.layers')
for cls in [Conv2D, DepthwiseConv2D, Dense, GlobalAveragePooling2D, Input, Activation, BatchNormalization, Add, Multiply, Reshape]:
    setattr(keras.layers, cls.__name__, cls)
keras.models = types.ModuleType('keras.models')
keras.models.Model = Model
keras.backend = backend
sys.modules.update({'keras': keras, 'keras.layers': keras.layers, 'keras.models': keras.models, 'keras.backend': backend})

# Keras 2 names the first Input "input_1".
counters['input'] = 1


def blog_code():
    text = SEED.read_text(encoding='utf-8')
    start = text.index('from keras.layers import')
    end = text.index('if __name__ == "__main__":')
    return text[start:end]


SMALL = [  # (kernel, exp, out, SE, NL, stride), the table for the blog's Small sibling
    (3, 16, 16, True, 'RE', 2), (3, 72, 24, False, 'RE', 2), (3, 88, 24, False, 'RE', 1),
    (5, 96, 40, True, 'HS', 2), (5, 240, 40, True, 'HS', 1), (5, 240, 40, True, 'HS', 1),
    (5, 120, 48, True, 'HS', 1), (5, 144, 48, True, 'HS', 1), (5, 288, 96, True, 'HS', 2),
    (5, 576, 96, True, 'HS', 1), (5, 576, 96, True, 'HS', 1),
]


def run(build):
    global layers
    layers = []
    counters.clear()
    counters['input'] = 1
    build()
    return layers


def main():
    scope = {}
    exec(compile(blog_code(), str(SEED), 'exec'), scope)

    def small(shape=(224, 224, 3), n_class=1000):
        g = scope
        inputs = g['Input'](shape)
        x = g['conv_block'](inputs, 16, (3, 3), strides=(2, 2), nl='HS')
        for k, exp, out, se, nl, s in SMALL:
            x = g['bottleneck'](x, out, (k, k), up_dim=exp, stride=s, sq=se, nl=nl)
        x = g['conv_block'](x, 576, (1, 1), strides=(1, 1), nl='HS')
        x = g['GlobalAveragePooling2D']()(x)
        x = g['Reshape']((1, 1, 576))(x)
        x = g['Conv2D'](1024, (1, 1), padding='same')(x)
        x = g['return_activation'](x, 'HS')
        x = g['Conv2D'](n_class, (1, 1), padding='same', activation='softmax')(x)
        x = g['Reshape']((n_class,))(x)

    fixture = {
        'source': 'tools/blog_reference.py: the blog code run against a shape/parameter-tracking stand-in for Keras 2',
        'large': run(lambda: scope['MobileNetv3_large']()),
        'small': run(small),
    }
    for arch in ('large', 'small'):
        print(arch, len(fixture[arch]), 'layers,', sum(l['params'] for l in fixture[arch]), 'params')
    lines = ['{', f'  "source": {json.dumps(fixture["source"])},']
    for arch in ('large', 'small'):
        rows = ',\n'.join('    ' + json.dumps(l) for l in fixture[arch])
        lines.append(f'  "{arch}": [\n{rows}\n  ]' + (',' if arch == 'large' else ''))
    lines.append('}')
    OUT.write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
