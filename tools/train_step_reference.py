"""One full training step of torchvision's MobileNetV3 (issue 12): the reference the TS engine must match.

Writes test/fixtures/train-step-<arch>-<padding>.json for arch large|small x padding symmetric|same
(same = explicit TF "same" pads, as tools/torchvision_reference.py). Weights and BN buffers from the
recipe of tools/torchvision_reference.py (test/torchvision-recipe.ts regenerates them from `entries`);
num_classes=10, dropout p=0, train mode; input NCHW [4,3,64,64] from the recipe (INPUT_SEED),
labels (3n+1)%10; forward, F.cross_entropy (mean), backward.
Format: loss, logits [4x10], labels, inputShape (NCHW), inputSeed, gain, entries, classes, hyper,
params: {name: {grad, sgd, adam}} and bn: {module: {batchMean, batchVar, runningMean, runningVar}},
each a Sample {n, sum, sumSq (float64), idx (first 16 + 48 evenly spaced flat row-major indices,
all if n <= 64), values (float32, 9 significant digits: exact)}. Running stats use Keras semantics:
new = 0.999*old + 0.001*batch, batch var biased over (N,H,W).
Run: /usr/bin/python3 tools/train_step_reference.py
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torchvision_reference import GAIN, fill, input_values, tf_same_padding  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
INPUT_SEED = 20190507
SHAPE = [4, 3, 64, 64]
CLASSES = 10
HYPER = {'sgd': {'lr': 0.1, 'momentum': 0.9, 'nesterov': False, 'weightDecay': 0},
         'adam': {'lr': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-7, 'weightDecay': 0},
         'bnMomentum': 0.999, 'bnEpsilon': 1e-3}


def sample(t):
    flat = t.detach().reshape(-1).to(torch.float32)
    n = flat.numel()
    if n <= 64:
        idx = list(range(n))
    else:
        idx = sorted(set(range(16)) | {round(i * (n - 1) / 47) for i in range(48)})
    d = flat.to(torch.float64)
    return {'n': n, 'sum': float(d.sum()), 'sumSq': float((d * d).sum()), 'idx': idx,
            'values': [float(f'{float(flat[i]):.9g}') for i in idx]}


def step_after(params, grads, make_opt):
    copies = [p.detach().clone().requires_grad_(True) for p in params]
    for c, g in zip(copies, grads):
        c.grad = g.clone()
    make_opt(copies).step()
    return copies


def case(arch, padding):
    torch.manual_seed(0)
    model = getattr(torchvision.models, f'mobilenet_v3_{arch}')(num_classes=CLASSES)
    model.classifier[2].p = 0
    entries = fill(model, GAIN[arch])
    if padding == 'same':
        tf_same_padding(model)
    model.train()
    old = {n: (m.running_mean.clone(), m.running_var.clone()) for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
    batch = {}
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            def hook(mod, args, name=name):
                x = args[0].detach().to(torch.float64)
                batch[name] = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False))
            m.register_forward_pre_hook(hook)
    x = input_values(INPUT_SEED, SHAPE)
    labels = [(3 * n + 1) % 10 for n in range(SHAPE[0])]
    logits = model(x)
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    grads = [p.grad.detach().clone() for p in params]
    s = HYPER['sgd']
    a = HYPER['adam']
    sgd = step_after(params, grads, lambda ps: torch.optim.SGD(ps, lr=s['lr'], momentum=s['momentum'], nesterov=False, weight_decay=0))
    adam = step_after(params, grads, lambda ps: torch.optim.Adam(ps, lr=a['lr'], betas=(a['beta1'], a['beta2']), eps=a['epsilon'], weight_decay=0))
    out = {'arch': arch, 'padding': padding, 'loss': float(loss), 'logits': [[float(f'{v:.9g}') for v in r] for r in logits.tolist()],
           'labels': labels, 'inputShape': SHAPE, 'inputSeed': INPUT_SEED, 'gain': GAIN[arch], 'classes': CLASSES,
           'entries': entries, 'hyper': HYPER, 'params': {}, 'bn': {}}
    for n, g, p1, p2 in zip(names, grads, sgd, adam):
        out['params'][n] = {'grad': sample(g), 'sgd': sample(p1), 'adam': sample(p2)}
    for n, (mean, var) in batch.items():
        om, ov = old[n]
        out['bn'][n] = {'batchMean': sample(mean), 'batchVar': sample(var),
                        'runningMean': sample(0.999 * om.to(torch.float64) + 0.001 * mean),
                        'runningVar': sample(0.999 * ov.to(torch.float64) + 0.001 * var)}
    return out


def main():
    torch.set_num_threads(1)
    for arch in ('large', 'small'):
        for padding in ('symmetric', 'same'):
            out = case(arch, padding)
            path = FIXTURES / f'train-step-{arch}-{padding}.json'
            path.write_text(json.dumps(out, separators=(',', ':')) + '\n')
            print(f'{arch} {padding}: loss {out["loss"]:.6f}, {len(out["params"])} params, {len(out["bn"])} BN, {path.stat().st_size} bytes')


if __name__ == '__main__':
    main()
