#!/usr/bin/python3
"""Small HDF5 fixtures for test/weights-h5.test.ts, written with h5py the way Keras writes them.

Run with Debian's python (apt-get install python3-h5py): /usr/bin/python3 tools/make_h5_fixtures.py
- keras2-chunked.h5: legacy tf.keras 2 layout whose layer_names attribute is over HDF5's 64 KiB
  object-header limit, so it is split into layer_names0, layer_names1 as Keras's
  save_attributes_to_hdf5_group does; two layers carry weights (nested '/' names); libver latest keeps the many groups small.
- keras3-format.weights.h5: the Keras 3 .weights.h5 layout (layers/<name>/vars/0), not legacy.
- plain.h5: HDF5 without any Keras attributes.
"""
import os
import h5py
import numpy as np

HEADER_LIMIT = 64512
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def save_attributes(group, name, data):
    """Keras's save_attributes_to_hdf5_group: numpy bytes array, chunked over the header limit."""
    data = np.asarray([n.encode('utf8') for n in data])
    chunks = 1
    split = np.array_split(data, chunks)
    while any(x.nbytes > HEADER_LIMIT for x in split):
        chunks += 1
        split = np.array_split(data, chunks)
    if chunks > 1:
        for i, part in enumerate(split):
            group.attrs['%s%d' % (name, i)] = part
    else:
        group.attrs[name] = data


with h5py.File(os.path.join(here, 'keras2-chunked.h5'), 'w', libver='latest') as f:
    # Two weighted layers with '/' in their names (nested groups), then flat long names to pass 64 KiB.
    names = ['expanded_conv/depthwise', 'expanded_conv/depthwise/BatchNorm'] + ['layer_%04d_%s' % (i, 'x' * 100) for i in range(660)]
    save_attributes(f, 'layer_names', names)
    f.attrs['backend'] = b'tensorflow'
    f.attrs['keras_version'] = b'2.4.0'
    for i, name in enumerate(names):
        g = f.create_group(name)
        if i < 2:
            weights = ['%s/kernel:0' % name, '%s/bias:0' % name]
            save_attributes(g, 'weight_names', weights)
            g.create_dataset(weights[0], data=np.arange(6, dtype='f4').reshape(2, 3) * (i + 1))
            g.create_dataset(weights[1], data=np.full(3, -i, dtype='f4'))
        else:
            g.attrs['weight_names'] = np.asarray([])  # what Keras writes for a weightless layer

with h5py.File(os.path.join(here, 'keras3-format.weights.h5'), 'w') as f:
    f.create_group('layers').create_group('conv').create_group('vars').create_dataset('0', data=np.zeros((3, 3, 3, 16), 'f4'))
    f.create_group('vars')

with h5py.File(os.path.join(here, 'plain.h5'), 'w') as f:
    f.create_dataset('x', data=np.zeros(3))
