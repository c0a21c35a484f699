"""Check a `.keras` archive against Keras 3's own source, without Keras installed (issue 14).

Keras 3 cannot be installed here, so this reads Keras's source (a git checkout or mirror of
keras-team/keras, `--keras` path; default: the session mirror) and checks what `load_model` would
need of the archive:
  - the zip holds metadata.json, config.json, model.weights.h5 (saving_lib `_load_model_from_fileobj`);
  - config.json: the model is a Functional; every layer's class is exported in keras.layers
    (keras/api/layers/__init__.py), every key of its config is an argument its `__init__` (or a
    base class's, up to Layer) accepts (layers reject unknown keyword arguments), every activation
    name is in keras.activations, every initializer class in keras.initializers;
  - the graph: every `__keras_tensor__` names an earlier layer and a node it has
    (functional_from_config), input_layers / output_layers name layers;
  - the weights: saving_lib's paths (`layers/<snake class>[_n]/vars/<i>`, counted over the
    model's layers in order) hold, for every Conv2D / DepthwiseConv2D / BatchNormalization /
    Dense, the variables its config and input shape call for, with those shapes.
It says nothing about numerics; test/weights-keras-archive.test.ts covers our read of our write.

    /usr/bin/python3 tools/check_keras_archive.py out/model.keras [more.keras ...]
"""
import argparse
import ast
import io
import json
import re
import subprocess
import sys
import zipfile

import h5py

MIRROR = '/work/.mirror/keras-team+keras/repo'


class Source:
    """Files of the Keras checkout (a bare mirror is read with git show)."""

    def __init__(self, path):
        self.path = path

    def read(self, rel):
        try:
            return subprocess.run(['git', '--git-dir', self.path, 'show', f'HEAD:{rel}'], check=True, capture_output=True, text=True).stdout
        except subprocess.CalledProcessError:
            with open(f'{self.path}/{rel}') as f:
                return f.read()

    def files(self, under):
        out = subprocess.run(['git', '--git-dir', self.path, 'ls-tree', '-r', '--name-only', 'HEAD', under], check=True, capture_output=True, text=True).stdout
        return [f for f in out.split() if f.endswith('.py') and not f.endswith('_test.py')]


def exported(src, api):
    """Names `from keras.src... import X as Y` exports in keras/api/<api>/__init__.py -> source module."""
    names = {}
    for m in re.finditer(r'from (keras\.src[\w.]*) import \(?\s*(\w+)(?: as (\w+))?', src.read(f'keras/api/{api}/__init__.py')):
        names[m.group(3) or m.group(2)] = (m.group(1), m.group(2))
    return names


def init_args(src, module, cls, seen=None):
    """Arguments accepted by cls.__init__, following bases while __init__ passes **kwargs on."""
    tree = ast.parse(src.read(module.replace('.', '/') + '.py'))
    imports = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('keras.src'):
            for a in node.names:
                imports[a.asname or a.name] = (node.module, a.name)
    klass = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls), None)
    if klass is None:
        raise SystemExit(f'class {cls} not found in {module}')
    args, passes_on = set(), True
    init = next((n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name == '__init__'), None)
    if init:
        args |= {a.arg for a in init.args.args[1:] + init.args.kwonlyargs}
        passes_on = init.args.kwarg is not None
    if passes_on:
        for base in klass.bases:
            name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None
            if name in imports:
                args |= init_args(src, *imports[name])
            elif name and any(isinstance(n, ast.ClassDef) and n.name == name for n in tree.body):
                args |= init_args(src, module, name)
    return args


def snake(name):
    name = re.sub(r'\W+', '', name)
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub('([a-z])([A-Z])', r'\1_\2', name).lower()


def tensors(value):
    if isinstance(value, dict) and value.get('class_name') == '__keras_tensor__':
        yield value['config']
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors(v)


def expected_vars(layer, in_shape):
    c, cls = layer['config'], layer['class_name']
    cin = in_shape[-1]
    if cls == 'Conv2D':
        return [[*c['kernel_size'], cin // c.get('groups', 1), c['filters']]] + ([[c['filters']]] if c['use_bias'] else [])
    if cls == 'DepthwiseConv2D':
        return [[*c['kernel_size'], cin, c.get('depth_multiplier', 1)]] + ([[cin * c.get('depth_multiplier', 1)]] if c['use_bias'] else [])
    if cls == 'BatchNormalization':
        return [[cin]] * ((1 if c.get('scale', True) else 0) + (1 if c.get('center', True) else 0) + 2)
    if cls == 'Dense':
        return [[cin, c['units']]] + ([[c['units']]] if c['use_bias'] else [])
    return []


def check(path, src, layer_api, init_api, activations):
    errors = []
    zf = zipfile.ZipFile(path)
    names = zf.namelist()
    for required in ['metadata.json', 'config.json', 'model.weights.h5']:
        if required not in names:
            errors.append(f'no {required} in the archive')
    meta = json.loads(zf.read('metadata.json'))
    if not {'keras_version', 'date_saved'} <= set(meta):
        errors.append('metadata.json lacks keras_version / date_saved')
    config = json.loads(zf.read('config.json'))
    if (config.get('module'), config.get('class_name')) != ('keras.src.models.functional', 'Functional'):
        errors.append(f"model is {config.get('module')}.{config.get('class_name')}, not a Functional")
    layers = config['config']['layers']
    seen, nodes = {}, {}
    arg_cache = {}
    for layer in layers:
        cls, name = layer['class_name'], layer['name']
        if str(layer.get('module')).startswith('keras.src.ops.'):
            # An operation on tensors (x + 3.0 in keras.applications' hard_sigmoid): not a layer.
            if f'class {cls}(' not in src.read(layer['module'].replace('.', '/') + '.py'):
                errors.append(f'{name}: no operation {cls} in {layer["module"]}')
            seen[name], nodes[name] = layer, len(layer['inbound_nodes'])
            continue
        if cls == 'Functional':
            errors.append(f'{name}: a nested model (not checked by this script)')
            continue
        if layer.get('module') != 'keras.layers' or cls not in layer_api:
            errors.append(f'{name}: {layer.get("module")}.{cls} is not exported by keras.layers')
            continue
        if cls not in arg_cache:
            arg_cache[cls] = init_args(src, *layer_api[cls]) | {'name', 'trainable', 'dtype', 'autocast', 'activity_regularizer', 'input_shape', 'batch_input_shape', 'batch_size'}
        unknown = set(layer['config']) - arg_cache[cls]
        if unknown:
            errors.append(f'{name} ({cls}): arguments Keras rejects: {sorted(unknown)}')
        act = layer['config'].get('activation')
        if act is not None and act not in activations:
            errors.append(f'{name}: activation {act!r} is not in keras.activations')
        for key, value in layer['config'].items():
            if isinstance(value, dict) and value.get('module') == 'keras.initializers' and value.get('class_name') not in init_api:
                errors.append(f'{name}.{key}: initializer {value.get("class_name")} is not in keras.initializers')
        for node in layer['inbound_nodes']:
            for t in tensors(node['args']):
                src_name, node_index, _ = t['keras_history']
                if src_name not in seen:
                    errors.append(f'{name}: input {src_name} is not an earlier layer')
                elif node_index >= max(1, nodes[src_name]):
                    errors.append(f'{name}: input {src_name} has no node {node_index}')
        seen[name] = layer
        nodes[name] = len(layer['inbound_nodes'])
    for ref in [config['config']['input_layers'], config['config']['output_layers']]:
        if ref[0] not in seen:
            errors.append(f'input/output layer {ref[0]} is not a layer')
    h5 = h5py.File(io.BytesIO(zf.read('model.weights.h5')), 'r')
    used, checked = {}, 0
    for layer in layers:
        if str(layer.get('module')).startswith('keras.src.ops.'):
            continue  # not in model.layers, so not in the weights walk
        key = snake(layer['class_name'])
        used[key] = used.get(key, -1) + 1
        h5path = f'layers/{key}' + (f'_{used[key]}' if used[key] else '')
        inputs = [t for n in layer['inbound_nodes'] for t in tensors(n['args'])]
        want = expected_vars(layer, inputs[0]['shape']) if inputs else []
        group = h5.get(f'{h5path}/vars')
        got = [list(group[str(i)].shape) for i in range(len(group))] if group is not None else []
        if want != got:
            errors.append(f"{layer['name']} ({layer['class_name']}) at {h5path}: Keras would load {want}, the file has {got}")
        checked += bool(want)
    return errors, len(layers), checked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('archives', nargs='+')
    parser.add_argument('--keras', default=MIRROR, help='a keras-team/keras checkout or bare mirror')
    args = parser.parse_args()
    src = Source(args.keras)
    layer_api, init_api = exported(src, 'layers'), exported(src, 'initializers')
    activations = set(re.findall(r'^\s+(\w+),$', src.read('keras/src/activations/__init__.py'), re.M)) | set(re.findall(r'ALL_OBJECTS_DICT\["(\w+)"\]', src.read('keras/src/activations/__init__.py')))
    version = re.search(r'__version__ = "([^"]+)"', src.read('keras/src/version.py')).group(1)
    failed = False
    for path in args.archives:
        errors, n, weighted = check(path, src, layer_api, init_api, activations)
        print(f'{path}: {n} layers, {weighted} weighted, checked against Keras {version} source: {"OK" if not errors else f"{len(errors)} problems"}')
        for e in errors[:20]:
            print('  ', e)
        failed |= bool(errors)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
