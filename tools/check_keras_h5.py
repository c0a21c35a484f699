#!/usr/bin/python3
"""Read a legacy .h5 weights file with h5py exactly as Keras's legacy loader walks it
(load_attributes_from_hdf5_group for layer_names / weight_names, chunks included; datasets by
weight name inside each layer group) and print what Keras would load. Used to check that files
written by `mobilenetv3 weights convert` / saveKerasH5Weights are readable by Keras.

/usr/bin/python3 tools/check_keras_h5.py file.h5 [other.h5]   (two files: compare values bit for bit)
"""
import sys
import h5py
import numpy as np


def load_attributes(group, name):
    def decode(values):
        return [n.decode('utf8') if hasattr(n, 'decode') else n for n in values]
    if name in group.attrs:
        return decode(group.attrs[name])
    out, i = [], 0
    while '%s%d' % (name, i) in group.attrs:
        out.extend(decode(group.attrs['%s%d' % (name, i)]))
        i += 1
    return out


def read(path):
    f = h5py.File(path, 'r')
    if 'layer_names' not in f.attrs and 'model_weights' in f:
        f = f['model_weights']
    layers = []
    for name in load_attributes(f, 'layer_names'):
        g = f[name]
        weights = [np.asarray(g[w]) for w in load_attributes(g, 'weight_names')]
        if weights:
            layers.append((name, weights))
    return f, layers


f, layers = read(sys.argv[1])
print('%s: keras_version=%r backend=%r, %d layers with weights, %d values' % (
    sys.argv[1], f.attrs.get('keras_version'), f.attrs.get('backend'), len(layers), sum(w.size for _, ws in layers for w in ws)))
if len(sys.argv) > 2:
    _, other = read(sys.argv[2])
    assert len(other) == len(layers), 'layer counts differ'
    for (a, wa), (b, wb) in zip(layers, other):
        assert len(wa) == len(wb) and all(x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in zip(wa, wb)), (a, b)
    print('identical weights, layer by layer, as Keras would load them')
