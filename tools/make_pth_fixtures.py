"""PyTorch .pth fixtures for the TypeScript reader (issue 14), written by torch.save itself.

Run offline with Debian's torch 1.13 (CI only reads the outputs):
    /usr/bin/python3 tools/make_pth_fixtures.py

For each case it builds torchvision's mobilenet_v3_{large,small} (one with a 5-class head),
fills it with deterministic weights and saves a state dict with torch.save, plus torch's logits
for a few 224x224 PNG images (normalised as torchvision does: (pixel/255 - mean) / std) into
test/fixtures/pth/<case>.json.

Keeping the files small: a real state dict of Large is 22 MB. Here every conv/Linear weight is a
view with *overlapping* strides into a small storage of its own (row o starts SHIFT values after
row o-1, torch.as_strided), which torch.save stores as it is (storage + offset + size + stride),
so the reader must honour storage offsets and strides to get the model right. BN vectors and biases
are ordinary tensors. The weights are stored as bfloat16 (Large), float16 (Small) and float32
(the 5-class head), with pickle protocols 2, 4 and 5; torch's logits are from the float32 model
holding exactly the rounded values (the reader widens them to float32 without loss).

It also writes malicious.pth: a zip whose pickle calls os.system (the reader must refuse it
without running it), and legacy.pth (the pre-1.6 non-zip format) of a few tensors.
"""
import json
import math
import os
import zlib
import struct
from collections import OrderedDict
from pathlib import Path

import torch
import torchvision

OUT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'pth'
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SHIFT = 3
GAIN = {'large': 1.1, 'small': 1.5}
CASES = [  # name, arch, classes, dtype, pickle protocol
    ('large-bf16', 'large', 1000, torch.bfloat16, 2),
    ('small-fp16', 'small', 1000, torch.float16, 4),
    ('small-5class', 'small', 5, torch.float32, 5),
]


def png(path, pixels):
    """A plain RGB8 PNG (no PIL needed): pixels is a list of rows of (r, g, b)."""
    h, w = len(pixels), len(pixels[0])
    raw = b''.join(b'\0' + bytes(v for px in row for v in px) for row in pixels)

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                     + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def images(count, size=224):
    """Smooth colour patterns with a per-image tint: image-like, so the pooled features differ."""
    g = torch.Generator().manual_seed(14)
    out = []
    for n in range(count):
        tint = torch.rand(3, generator=g) * 120
        cells = torch.rand(3, 8, 8, generator=g) * 135
        noise = torch.rand(3, size, size, generator=g) * 30
        coarse = torch.nn.functional.interpolate(cells[None], size=(size, size), mode='nearest')[0]
        img = (tint[:, None, None] + coarse + noise).clamp(0, 255).round().to(torch.uint8)
        out.append(img)  # (3, H, W)
    return out


def strided_weight(shape, bound, dtype, g):
    """A tensor of `shape` whose rows overlap in one small storage (see the module docstring)."""
    inner = math.prod(shape[1:])
    storage = ((torch.rand(SHIFT * (shape[0] - 1) + inner, generator=g) * 2 - 1) * bound).to(dtype)
    stride = [SHIFT] + [math.prod(shape[i + 1:]) for i in range(1, len(shape))]
    return torch.as_strided(storage, shape, stride)


def make_state(model, gain, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    reference = model.state_dict()
    bn = {k.rsplit('.', 1)[0] for k in reference if k.endswith('running_mean')}
    state = OrderedDict()
    for name, t in reference.items():
        prefix, kind = name.rsplit('.', 1)
        if kind == 'num_batches_tracked':
            state[name] = torch.tensor(0, dtype=torch.int64)
        elif prefix in bn:
            lo, span = {'weight': (0.8, 0.8), 'bias': (-0.05, 0.1), 'running_mean': (-0.05, 0.1), 'running_var': (0.5, 1.0)}[kind]
            state[name] = (lo + span * torch.rand(t.shape, generator=g)).to(dtype)
        elif kind == 'bias':
            state[name] = ((torch.rand(t.shape, generator=g) * 2 - 1) * 0.02).to(dtype)
        else:
            state[name] = strided_weight(list(t.shape), math.sqrt(3.0 * gain / (t.numel() // t.shape[0])), dtype, g)
    state._metadata = reference._metadata  # what model.state_dict() carries, so the pickle has it too
    return state


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_grad_enabled(False)
    imgs = images(3)
    names = []
    for i, img in enumerate(imgs):
        name = f'image-{i}.png'
        png(OUT / name, img.permute(1, 2, 0).tolist())
        names.append(name)
    x = torch.stack(imgs).to(torch.float32) / 255
    x = (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    for seed, (case, arch, classes, dtype, protocol) in enumerate(CASES):
        model = getattr(torchvision.models, f'mobilenet_v3_{arch}')(num_classes=classes)
        state = make_state(model, GAIN[arch], dtype, 1000 + seed)
        model.load_state_dict(OrderedDict((k, v.to(torch.float32) if v.is_floating_point() else v) for k, v in state.items()))
        model.eval()
        logits = model(x)
        torch.save(state, OUT / f'{case}.pth', pickle_protocol=protocol)
        meta = {'arch': arch, 'classes': classes, 'dtype': str(dtype), 'protocol': protocol, 'images': names,
                'mean': MEAN, 'std': STD, 'torch': torch.__version__, 'torchvision': torchvision.__version__,
                'logits': [[float(f'{v:.8g}') for v in row] for row in logits.tolist()]}
        (OUT / f'{case}.json').write_text(json.dumps(meta) + '\n')
        print(case, (OUT / f'{case}.pth').stat().st_size, 'bytes; logits', float(logits.min()), '..', float(logits.max()), 'std', float(logits.std()))

    class Evil:
        def __reduce__(self):
            return (os.system, ('touch /tmp/mobilenetv3-pth-pwned',))
    torch.save(OrderedDict(weight=torch.zeros(2), evil=Evil()), OUT / 'malicious.pth')

    legacy = OrderedDict([('a', torch.arange(6, dtype=torch.float32).reshape(2, 3)),
                          ('b', torch.tensor([1.5, -2.25], dtype=torch.float16)),
                          ('c', torch.arange(12, dtype=torch.float32)[2:].reshape(2, 5)[:, ::2])])
    torch.save(legacy, OUT / 'legacy.pth', _use_new_zipfile_serialization=False)
    (OUT / 'legacy.json').write_text(json.dumps({k: {'shape': list(v.shape), 'values': v.to(torch.float32).reshape(-1).tolist()} for k, v in legacy.items()}) + '\n')


if __name__ == '__main__':
    main()
