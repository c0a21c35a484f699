"""Reference outputs of torchvision's MobileNetV3 for the equivalence tests (issue 3).

Builds torchvision `mobilenet_v3_large` / `mobilenet_v3_small`, fills every parameter and BN
buffer from a recipe that test/torchvision-recipe.ts reproduces bit for bit (a 32-bit
integer PRNG per tensor, mapped to floats in float64, then rounded to float32), runs
deterministic inputs and writes test/fixtures/torchvision-reference.json:
  - state-dict names and shapes (the TypeScript side regenerates the values from the recipe),
  - logits with PyTorch's own padding ('symmetric': (k-1)/2 on every side),
  - logits of the same models emulating TF "same" padding (an explicit asymmetric zero pad in
    front of every stride-2 conv), which our default `padding: 'same'` must reproduce.

It also writes test/fixtures/torch-tensors.safetensors (+ .json with the values torch reads) for
the safetensors reader.

Run offline with Debian's torch (CI only reads the fixtures):
    /usr/bin/python3 tools/torchvision_reference.py
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision

FIXTURES = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
OUT = FIXTURES / 'torchvision-reference.json'
MASK = 0xFFFFFFFF


def mulberry32(seed):
    """The same generator as the TypeScript recipe: yields floats in [0, 1)."""
    state = seed & MASK
    while True:
        state = (state + 0x6D2B79F5) & MASK
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        yield ((t ^ (t >> 14)) & MASK) / 4294967296.0


def role(name):
    """What a state-dict entry is, which decides the range of its values."""
    last = name.rsplit('.', 1)[-1]
    return {'running_mean': 'mean', 'running_var': 'var'}.get(last, last)


# Conv/Linear weights are uniform with variance GAIN/fan_in. Random MobileNetV3s are chaotic in
# this gain (Small at 1.5 ends with activations ~14, at 1.2 ~0.1); these keep every stage's
# activations at 0.7-3 (std) so that all layers, and the BN statistics, move the logits.
GAIN = {'large': 1.1, 'small': 1.35}


def recipe_values(index, name, shape, is_bn, gain):
    """Values of tensor number `index` (its position in the state dict, from 0)."""
    gen = mulberry32(0x9E3779B9 ^ (index + 1))
    n = math.prod(shape)
    kind = role(name)
    if is_bn:
        scale = {'weight': (0.8, 0.8), 'bias': (-0.05, 0.1), 'mean': (-0.05, 0.1), 'var': (0.5, 1.0)}[kind]
        vals = [scale[0] + scale[1] * next(gen) for _ in range(n)]
    elif kind == 'bias':
        vals = [(next(gen) * 2.0 - 1.0) * 0.02 for _ in range(n)]
    else:
        fan_in = n // shape[0]
        bound = math.sqrt(3.0 * gain / fan_in)  # uniform on [-b, b]: variance b^2/3 = gain/fan_in
        vals = [(next(gen) * 2.0 - 1.0) * bound for _ in range(n)]
    return torch.tensor(vals, dtype=torch.float64).to(torch.float32).reshape(shape)


CELL = 28


def input_values(seed, shape):
    """Image-like inputs (N, C, H, W): a per-image colour offset, coarse 28x28 patches and fine
    noise. I.i.d. noise alone would average out in the global pooling and make every image look
    the same to the network. Only + - * / on generator outputs, so TypeScript gets the same bits."""
    n, c, h, w = shape
    gen = mulberry32(seed)
    offset = [[(next(gen) * 2.0 - 1.0) * 1.5 for _ in range(c)] for _ in range(n)]
    rows, cols = -(-h // CELL), -(-w // CELL)
    cells = [[[(next(gen) * 2.0 - 1.0) for _ in range(rows * cols)] for _ in range(c)] for _ in range(n)]
    vals = []
    for b in range(n):
        for ch in range(c):
            for i in range(h):
                for j in range(w):
                    vals.append(offset[b][ch] + cells[b][ch][(i // CELL) * cols + j // CELL] + (next(gen) * 2.0 - 1.0) * 0.3)
    return torch.tensor(vals, dtype=torch.float64).to(torch.float32).reshape(shape)


def fill(model, gain):
    entries = []
    bn_prefixes = {k.rsplit('.', 1)[0] for k in model.state_dict() if k.endswith('running_mean')}
    state = {}
    index = 0
    for name, tensor in model.state_dict().items():
        if name.endswith('num_batches_tracked'):
            continue
        is_bn = name.rsplit('.', 1)[0] in bn_prefixes
        state[name] = recipe_values(index, name, list(tensor.shape), is_bn, gain)
        entries.append({'name': name, 'shape': list(tensor.shape)})
        index += 1
    model.load_state_dict(state, strict=False)
    return entries


def tf_same_padding(model):
    """Replace PyTorch's symmetric padding of every stride-2 conv with TF "same" padding."""
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d) and module.stride == (2, 2):
            k = module.kernel_size[0]
            module.padding = (0, 0)

            def pad(mod, args, k=k):
                x = args[0]
                pads = []
                for size in (x.shape[3], x.shape[2]):  # F.pad wants (left, right, top, bottom)
                    total = max((math.ceil(size / 2) - 1) * 2 + k - size, 0)
                    pads += [total // 2, total - total // 2]
                return (F.pad(x, pads),)

            module.register_forward_pre_hook(pad)


CASES = [  # (arch, padding, input height, width): odd sizes take the other branch of TF's padding rule
    ('large', 'symmetric', 224, 224),
    ('small', 'symmetric', 224, 224),
    ('large', 'same', 224, 224),
    ('small', 'same', 224, 224),
    ('small', 'same', 193, 227),
    ('small', 'symmetric', 193, 227),
]
BATCH = 2
INPUT_SEED = 20190506


def write_safetensors_fixture():
    """A small .safetensors file as `safetensors.torch.save_file` lays it out (8-byte little-endian
    header length, JSON header padded with spaces to 8 bytes, raw little-endian data), with every
    float dtype, an int64 counter, metadata and unaligned data, plus the float32 values torch
    converts each tensor to. Written by hand from the format's spec: Debian has no safetensors."""
    tensors = {
        'h.f16': torch.tensor([0.0, -2.5, 65504.0, 6e-8, 1 / 3], dtype=torch.float16),  # 10 bytes: what follows is unaligned
        'features.0.1.num_batches_tracked': torch.tensor(7, dtype=torch.int64),
        'w.f32': torch.tensor([[1.5, -0.1, 3e-39], [1e30, -7.25, 0.2]], dtype=torch.float32),
        'b.bf16': torch.tensor([[1.0, -0.3], [123.456, 1e-20]], dtype=torch.bfloat16),
        'd.f64': torch.tensor([0.1, -1e-5, 2.0 ** 40], dtype=torch.float64),
    }
    names = {torch.float16: 'F16', torch.float32: 'F32', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64'}
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().reshape(-1).view(torch.int16 if t.dtype == torch.bfloat16 else t.dtype).numpy().tobytes()
        header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    (FIXTURES / 'torch-tensors.safetensors').write_bytes(len(text).to_bytes(8, 'little') + text + b''.join(blobs))
    expected = {name: {'shape': list(t.shape), 'float32': t.to(torch.float32).reshape(-1).tolist()}
                for name, t in tensors.items() if t.dtype.is_floating_point}
    (FIXTURES / 'torch-tensors.json').write_text(json.dumps(expected) + '\n')


def main():
    write_safetensors_fixture()
    torch.set_grad_enabled(False)
    fixture = {'recipe': 'mulberry32(0x9E3779B9 ^ (index + 1)) per state-dict tensor; see tools/torchvision_reference.py',
               'gain': GAIN, 'inputSeed': INPUT_SEED, 'batch': BATCH, 'stateDicts': {}, 'cases': []}
    for arch, padding, h, w in CASES:
        model = getattr(torchvision.models, f'mobilenet_v3_{arch}')()
        entries = fill(model, GAIN[arch])
        fixture['stateDicts'][arch] = entries
        if padding == 'same':
            tf_same_padding(model)
        model.eval()
        x = input_values(INPUT_SEED, [BATCH, 3, h, w])
        logits = model(x)
        fixture['cases'].append({
            'arch': arch, 'padding': padding, 'inputShape': [h, w, 3],
            'logits': [[float(f'{v:.7g}') for v in row] for row in logits.tolist()],
        })
        print(f'{arch} {padding} {h}x{w}: logits {float(logits.min()):.3f} .. {float(logits.max()):.3f}, std {float(logits.std()):.3f}')
    OUT.write_text(json.dumps(fixture, separators=(',', ':')) + '\n')
    print('wrote', OUT, OUT.stat().st_size, 'bytes')


if __name__ == '__main__':
    main()
