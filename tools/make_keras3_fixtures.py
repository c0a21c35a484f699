"""Keras 3 `.weights.h5` fixtures for the TypeScript reader (issue 14).

Keras 3 is not installed here (Debian has no python3-keras 3), so this writes the layout as Keras 3's
own source writes it, with h5py, following keras/src/saving/saving_lib.py:
  - `_save_state(model)`: the model's own variables in `/vars` (none for a Functional model);
  - `_save_container_state(model.layers)`: each layer at `layers/<to_snake_case(class name)>`,
    a per-class counter suffixing `_1`, `_2`, ... (NOT the layer's name);
  - `H5IOStore.make(path)`: a `vars` group under it, `Layer.save_own_variables`: datasets "0".."n"
    over trainable then non-trainable variables.
The weights and the layer order come from Keras's own published file for MobileNetV3Small
(mobilenet_v3_small_224_1.0_float.h5 in ../shared/weights, legacy layout: `layer_names` is
model.layers order, each layer's class told by its weight names). To stay small, the committed
file holds the first FIRST weighted layers only; `keras3-small-paths.json` holds, for every
weighted layer, the Keras 3 path saving_lib gives it (legacy layer name -> path), which the test
compares with our own naming.

    /usr/bin/python3 tools/make_keras3_fixtures.py
"""
import json
import re
from pathlib import Path

import h5py

ROOT = Path(__file__).resolve().parent.parent
SHARED = next(p for p in [ROOT.parent / 'shared', ROOT.parent.parent / 'shared'] if (p / 'weights').exists())
SOURCE = SHARED / 'weights' / 'mobilenet_v3_small_224_1.0_float.h5'
OUT = ROOT / 'test' / 'fixtures'
FIRST = 12


def to_snake_case(name):
    """keras/src/utils/naming.py"""
    name = re.sub(r'\W+', '', name)
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    name = re.sub('([a-z])([A-Z])', r'\1_\2', name).lower()
    return name


def class_of(weight_names):
    last = [w.decode().split('/')[-1] for w in weight_names]
    if any(n.startswith('depthwise_kernel') for n in last):
        return 'DepthwiseConv2D'
    if any(n.startswith('gamma') or n.startswith('moving_mean') for n in last):
        return 'BatchNormalization'
    return 'Conv2D'


def main():
    src = h5py.File(SOURCE, 'r')
    paths, used, layers = {}, {}, []
    for raw in src.attrs['layer_names']:
        name = raw.decode()
        weight_names = list(src[name].attrs['weight_names'])
        if not weight_names:
            continue  # weightless layers: other classes, they do not move the weighted classes' counters
        cls = to_snake_case(class_of(weight_names))
        if cls in used:
            used[cls] += 1
            cls = f'{cls}_{used[cls]}'
        else:
            used[cls] = 0
        paths[name] = f'layers/{cls}'
        layers.append((name, paths[name], [src[name][w.decode()][()] for w in weight_names]))
    with h5py.File(OUT / 'keras3-small-first.weights.h5', 'w') as f:
        f.create_group('vars')
        for name, path, values in layers[:FIRST]:
            g = f.create_group(path).create_group('vars')
            for i, v in enumerate(values):
                g.create_dataset(str(i), data=v)
    (OUT / 'keras3-small-paths.json').write_text(json.dumps({'source': SOURCE.name, 'first': FIRST, 'paths': paths}, indent=1) + '\n')
    print(len(paths), 'weighted layers;', (OUT / 'keras3-small-first.weights.h5').stat().st_size, 'bytes')


if __name__ == '__main__':
    main()
