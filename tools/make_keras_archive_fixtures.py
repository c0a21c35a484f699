"""Keras 3 `.keras` fixtures for the TypeScript reader (issue 14).

Keras 3 is not installed here (no PyPI, Debian has no Keras 3), so this writes the archives as
Keras 3's own source writes them, with zipfile + h5py + json, following (keras-team/keras, 3.16):
  - keras/src/saving/saving_lib.py `_save_model_to_fileobj`: a zip (ZIP_STORED, Python's default)
    of metadata.json ({keras_version, date_saved}), config.json and model.weights.h5;
  - serialization_lib.serialize_keras_object + models/functional.py get_config / serialize_node:
    {module, class_name, config, registered_name, build_config} per layer, inbound_nodes as
    {args, kwargs} with __keras_tensor__ references, input_layers / output_layers, a nested
    Functional referenced at node index 1, the DTypePolicy dicts of Keras >= 3.4;
  - applications/mobilenet_v3.py: layer for layer MobileNetV3Small, including hard_sigmoid as the
    ops `x + 3.0` (keras.src.ops.numpy Add), ReLU(6.0) and `* (1/6)` (Multiply op), and
    Activation('hard_swish'); correct_pad for the stride-2 ZeroPadding2D;
  - saving_lib `_save_state` / `_save_container_state` / H5IOStore: weights at
    layers/<snake class name>[_n]/vars/<i>, a nested model's under layers/functional/layers/...,
    groups only for layers with variables (Keras >= 3.6 defers creating them).
Two models (weights: seeded normal values; nothing is trained):
  1. keras-transfer-nested.keras: `base = MobileNetV3Small(input_shape=(96, 96, 3), alpha=0.35,
     include_top=False, weights=None)`; `x = base(inputs, training=False)`, GlobalAveragePooling2D,
     Dropout(0.2), Dense(5, activation='softmax') (the Keras transfer-learning guide);
  2. keras-transfer-flat.keras: `MobileNetV3Small(input_tensor=inputs (64x80), alpha=0.35,
     minimalistic=True, include_top=False, include_preprocessing=False, weights=None)` and
     GlobalAveragePooling2D + Dense(3) (logits) on base.output, one flat model.
keras-archives.json: for every weighted layer of each, by Keras layer name, the shape, sum and
first value of each variable, for the test to check which of our layers got which values.

    /usr/bin/python3 tools/make_keras_archive_fixtures.py
"""
import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np

OUT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
DTYPE = {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}


def init(name, **config):
    return {'module': 'keras.initializers', 'class_name': name, 'config': config, 'registered_name': None}


def depth(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def snake(name):
    import re
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub('([a-z])([A-Z])', r'\1_\2', name).lower()


class Graph:
    """A functional model being serialized: layer entries, auto names, shapes and weights."""

    def __init__(self, names):
        self.layers, self.weights, self.names = [], [], names

    def auto(self, base):
        n = self.names.get(base, 0)
        self.names[base] = n + 1
        return base if n == 0 else f'{base}_{n}'

    def tensor(self, t):
        name, node, shape = t
        return {'class_name': '__keras_tensor__', 'config': {'shape': list(shape), 'dtype': 'float32', 'keras_history': [name, node, 0]}}

    def add(self, cls, config, inputs, shape, name=None, weights=None, op=False, merge=False, kwargs=None, auto=None):
        name = name or self.auto(auto or snake(cls))
        args = [[self.tensor(t) for t in inputs]] if merge else [self.tensor(t) if isinstance(t, tuple) else t for t in inputs]
        entry = {'module': 'keras.src.ops.numpy' if op else 'keras.layers', 'class_name': cls,
                 'config': {'name': name} if op else {'name': name, 'trainable': True, 'dtype': DTYPE, **config},
                 'registered_name': cls if op else None}
        if not op:
            shapes = [list(t[2]) for t in inputs if isinstance(t, tuple)]
            entry['build_config'] = {'input_shape': shapes if merge else shapes[0]}
        entry['name'] = name
        entry['inbound_nodes'] = [{'args': args, 'kwargs': kwargs or {}}]
        self.layers.append(entry)
        if weights is not None:
            self.weights.append((cls, name, weights))
        return (name, 0, shape)


class Builder:
    def __init__(self, graph, rng):
        self.g, self.rng = graph, rng

    def conv(self, x, filters, k, stride=1, padding='same', bias=False, name=None):
        _, _, (b, h, w, c) = x
        oh, ow = ((h + stride - 1) // stride, (w + stride - 1) // stride) if padding == 'same' else ((h - k) // stride + 1, (w - k) // stride + 1)
        ws = [self.rng.normal(0, 0.1, (k, k, c, filters)).astype('float32')] + ([self.rng.normal(0, 0.1, filters).astype('float32')] if bias else [])
        return self.g.add('Conv2D', {'filters': filters, 'kernel_size': [k, k], 'strides': [stride, stride], 'padding': padding,
                                     'data_format': 'channels_last', 'dilation_rate': [1, 1], 'groups': 1, 'activation': 'linear', 'use_bias': bias,
                                     'kernel_initializer': init('GlorotUniform', seed=None), 'bias_initializer': init('Zeros'),
                                     'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
                                     'kernel_constraint': None, 'bias_constraint': None}, [x], (b, oh, ow, filters), name=name, weights=ws)

    def depthwise(self, x, k, stride, name):
        _, _, (b, h, w, c) = x
        padding = 'same' if stride == 1 else 'valid'
        oh, ow = (h, w) if stride == 1 else ((h - k) // stride + 1, (w - k) // stride + 1)
        ws = [self.rng.normal(0, 0.1, (k, k, c, 1)).astype('float32')]
        return self.g.add('DepthwiseConv2D', {'kernel_size': [k, k], 'strides': [stride, stride], 'padding': padding, 'data_format': 'channels_last',
                                              'dilation_rate': [1, 1], 'activation': 'linear', 'use_bias': False, 'bias_initializer': init('Zeros'),
                                              'bias_regularizer': None, 'activity_regularizer': None, 'bias_constraint': None, 'depth_multiplier': 1,
                                              'depthwise_initializer': init('GlorotUniform', seed=None), 'depthwise_regularizer': None,
                                              'depthwise_constraint': None}, [x], (b, oh, ow, c), name=name, weights=ws)

    def bn(self, x, name):
        c = x[2][3]
        ws = [self.rng.uniform(0.5, 1.5, c), self.rng.normal(0, 0.1, c), self.rng.normal(0, 0.1, c), self.rng.uniform(0.5, 1.5, c)]
        return self.g.add('BatchNormalization', {'axis': -1, 'momentum': 0.999, 'epsilon': 0.001, 'center': True, 'scale': True,
                                                 'beta_initializer': init('Zeros'), 'gamma_initializer': init('Ones'),
                                                 'moving_mean_initializer': init('Zeros'), 'moving_variance_initializer': init('Ones'),
                                                 'beta_regularizer': None, 'gamma_regularizer': None, 'beta_constraint': None,
                                                 'gamma_constraint': None, 'synchronized': False}, [x], x[2], name=name,
                          weights=[w.astype('float32') for w in ws])

    def relu(self, x, max_value=None, name=None):
        return self.g.add('ReLU', {'max_value': max_value, 'negative_slope': 0.0, 'threshold': 0.0}, [x], x[2], name=name)

    def hard_swish(self, x):
        return self.g.add('Activation', {'activation': 'hard_swish'}, [x], x[2])

    def hard_sigmoid(self, x):
        # mobilenet_v3.py: layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0): two ops around a layer.
        x = self.g.add('Add', {}, [x, 3.0], x[2], op=True)
        x = self.relu(x, 6.0)
        return self.g.add('Multiply', {}, [x, 1.0 / 6.0], x[2], op=True)

    def gap(self, x, keepdims, name=None):
        b, _, _, c = x[2]
        return self.g.add('GlobalAveragePooling2D', {'data_format': 'channels_last', 'keepdims': keepdims}, [x], (b, 1, 1, c) if keepdims else (b, c), name=name)

    def se(self, x, filters, prefix):
        inputs = x
        x = self.gap(x, True, f'{prefix}squeeze_excite_avg_pool')
        x = self.conv(x, depth(filters * 0.25), 1, bias=True, name=f'{prefix}squeeze_excite_conv')
        x = self.relu(x, name=f'{prefix}squeeze_excite_relu')
        x = self.conv(x, filters, 1, bias=True, name=f'{prefix}squeeze_excite_conv_1')
        x = self.hard_sigmoid(x)
        return self.g.add('Multiply', {}, [inputs, x], inputs[2], name=f'{prefix}squeeze_excite_mul', merge=True)

    def block(self, x, expansion, filters, k, stride, se, act, block_id):
        shortcut, infilters, prefix = x, x[2][3], 'expanded_conv_'
        if block_id:
            prefix = f'expanded_conv_{block_id}_'
            x = act(self.bn(self.conv(x, depth(infilters * expansion), 1, name=f'{prefix}expand'), f'{prefix}expand_bn'))
        if stride == 2:
            _, _, (b, h, w, c) = x
            adjust = (1 - h % 2, 1 - w % 2)
            pad = [[k // 2 - adjust[0], k // 2], [k // 2 - adjust[1], k // 2]]
            x = self.g.add('ZeroPadding2D', {'padding': pad, 'data_format': 'channels_last'}, [x], (b, h + sum(pad[0]), w + sum(pad[1]), c), name=f'{prefix}depthwise_pad')
        x = act(self.bn(self.depthwise(x, k, stride, f'{prefix}depthwise'), f'{prefix}depthwise_bn'))
        if se:
            x = self.se(x, depth(infilters * expansion), prefix)
        x = self.bn(self.conv(x, filters, 1, name=f'{prefix}project'), f'{prefix}project_bn')
        if stride == 1 and infilters == filters:
            x = self.g.add('Add', {}, [shortcut, x], x[2], name=f'{prefix}add', merge=True)
        return x

    def small(self, x, alpha, minimalistic, preprocessing):
        kernel, act, se = (3, self.relu, None) if minimalistic else (5, self.hard_swish, 0.25)
        relu = self.relu
        if preprocessing:
            x = self.g.add('Rescaling', {'scale': 1.0 / 127.5, 'offset': -1.0}, [x], x[2])
        x = act(self.bn(self.conv(x, 16, 3, 2, name='conv'), 'conv_bn'))
        d = lambda v: depth(v * alpha)
        for args in [(1, d(16), 3, 2, se, relu, 0), (72.0 / 16, d(24), 3, 2, None, relu, 1), (88.0 / 24, d(24), 3, 1, None, relu, 2),
                     (4, d(40), kernel, 2, se, act, 3), (6, d(40), kernel, 1, se, act, 4), (6, d(40), kernel, 1, se, act, 5),
                     (3, d(48), kernel, 1, se, act, 6), (3, d(48), kernel, 1, se, act, 7), (6, d(96), kernel, 2, se, act, 8),
                     (6, d(96), kernel, 1, se, act, 9), (6, d(96), kernel, 1, se, act, 10)]:
            x = self.block(x, *args)
        x = self.bn(self.conv(x, depth(x[2][3] * 6), 1, name='conv_1'), 'conv_1_bn')
        return act(x)

    def dense(self, x, units, activation, name=None):
        b, c = x[2]
        ws = [self.rng.normal(0, 0.1, (c, units)).astype('float32'), self.rng.normal(0, 0.1, units).astype('float32')]
        return self.g.add('Dense', {'units': units, 'activation': activation, 'use_bias': True, 'kernel_initializer': init('GlorotUniform', seed=None),
                                    'bias_initializer': init('Zeros'), 'kernel_regularizer': None, 'bias_regularizer': None,
                                    'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None}, [x], (b, units), name=name, weights=ws)


def input_layer(graph, shape, name):
    graph.layers.append({'module': 'keras.layers', 'class_name': 'InputLayer',
                         'config': {'batch_shape': [None, *shape], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': name, 'optional': False},
                         'registered_name': None, 'name': name, 'inbound_nodes': []})
    return (name, 0, (None, *shape))


def functional(graph, name, inputs, outputs):
    return {'module': 'keras.src.models.functional', 'class_name': 'Functional',
            'config': {'name': name, 'trainable': True, 'layers': graph.layers, 'input_layers': [inputs[0], 0, 0], 'output_layers': [outputs[0], outputs[1], 0]},
            'registered_name': 'Functional', 'build_config': {'input_shape': None}}


def weights_h5(paths_and_values):
    buffer = io.BytesIO()
    with h5py.File(buffer, 'w') as f:
        for path, values in paths_and_values:
            g = f.create_group(path).create_group('vars')
            for i, v in enumerate(values):
                g[str(i)] = v
    return buffer.getvalue()


def container_paths(weights, prefix):
    """_save_container_state: per-class counters over model.layers (only weighted classes matter here)."""
    used, out = {}, []
    for cls, name, values in weights:
        key = snake(cls)
        used[key] = used.get(key, -1) + 1
        out.append((f'{prefix}/{key}' + (f'_{used[key]}' if used[key] else ''), name, values))
    return out


def archive(path, config, paths):
    metadata = {'keras_version': '3.16.0', 'date_saved': '2026-12-03@06:00:00'}
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('metadata.json', json.dumps(metadata))
        zf.writestr('config.json', json.dumps(config))
        zf.writestr('model.weights.h5', weights_h5([(p, v) for p, _, v in paths]))
    return {name: [[list(v.shape), float(v.sum()), float(v.flat[0])] for v in values] for _, name, values in paths}


def nested(rng):
    names = {}
    base = Graph(names)
    b = Builder(base, rng)
    x = input_layer(base, (96, 96, 3), 'input_layer')
    y = b.small(x, 0.35, False, True)
    base_config = functional(base, 'MobileNetV3Small', x, y)
    outer = Graph(names)
    o = Builder(outer, rng)
    inputs = input_layer(outer, (96, 96, 3), 'input_layer_1')
    base_config['name'] = 'MobileNetV3Small'
    base_config['inbound_nodes'] = [{'args': [outer.tensor(inputs)], 'kwargs': {'training': False}}]
    outer.layers.append(base_config)
    # A Functional model starts with its own node: the outer call is node 1.
    x = ('MobileNetV3Small', 1, y[2])
    x = o.gap(x, False)
    x = outer.add('Dropout', {'rate': 0.2, 'seed': None, 'noise_shape': None}, [x], x[2])
    x = o.dense(x, 5, 'softmax')
    model = functional(outer, 'functional', inputs, x)
    paths = container_paths(base.weights, 'layers/functional/layers') + container_paths(outer.weights, 'layers')
    return model, paths


def flat(rng):
    g = Graph({})
    b = Builder(g, rng)
    inputs = input_layer(g, (64, 80, 3), 'input_layer')
    x = b.small(inputs, 0.35, True, False)
    x = b.gap(x, False)
    x = b.dense(x, 3, 'linear')
    return functional(g, 'functional_1', inputs, x), container_paths(g.weights, 'layers')


def main():
    rng = np.random.RandomState(14)
    refs = {}
    for name, make in [('keras-transfer-nested.keras', nested), ('keras-transfer-flat.keras', flat)]:
        model, paths = make(rng)
        refs[name] = archive(OUT / name, model, paths)
        print(name, (OUT / name).stat().st_size, 'bytes,', len(paths), 'weighted layers')
    (OUT / 'keras-archives.json').write_text(json.dumps(refs) + '\n')


if __name__ == '__main__':
    main()
