"""torch.optim reference for src/train/optim (issue 12): five steps of SGD (momentum, Nesterov,
weight decay), Adam (L2 weight decay) and AdamW (decoupled) on two deterministic parameters, with
deterministic gradients; weight decay only on the parameter named "kernel" (param groups), as our
optimisers apply it to kernels only. Writes test/fixtures/optim-reference.json.
Run: /usr/bin/python3 tools/optim_reference.py
"""
import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'optim-reference.json'
STEPS = 5
SIZES = {'kernel': 12, 'bias': 5}


def values(seed, n, scale):
    return [scale * math.sin(seed * 12.9898 + i * 78.233) for i in range(n)]


def gradient(step, name, n):
    # Some tiny and some large entries, so epsilon and momentum both matter.
    return [values(step * 31 + len(name), n, 1.0)[i] * (10.0 ** ((i % 5) - 3)) for i in range(n)]


CASES = {
    'sgd-nesterov-wd': lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.9, nesterov=True),
    'sgd-momentum': lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.8),
    'adam-l2': lambda groups: torch.optim.Adam(groups, lr=0.01, betas=(0.9, 0.999), eps=1e-7),
    'adamw': lambda groups: torch.optim.AdamW(groups, lr=0.01, betas=(0.85, 0.99), eps=1e-7),
}
DECAY = {'sgd-nesterov-wd': 1e-2, 'sgd-momentum': 0.0, 'adam-l2': 1e-2, 'adamw': 5e-2}


def main():
    start = {name: values(k + 1, n, 0.5) for k, (name, n) in enumerate(SIZES.items())}
    grads = [{name: gradient(s + 1, name, n) for name, n in SIZES.items()} for s in range(STEPS)]
    out = {'start': start, 'gradients': grads, 'cases': {}}
    for case, make in CASES.items():
        params = {name: torch.tensor(v, dtype=torch.float32, requires_grad=True) for name, v in start.items()}
        groups = [{'params': [params['kernel']], 'weight_decay': DECAY[case]}, {'params': [params['bias']], 'weight_decay': 0.0}]
        opt = make(groups)
        for g in grads:
            for name, p in params.items():
                p.grad = torch.tensor(g[name], dtype=torch.float32)
            opt.step()
        out['cases'][case] = {
            'weightDecay': DECAY[case],
            'final': {name: [float(f'{x:.9g}') for x in p.detach().tolist()] for name, p in params.items()},
        }
    OUT.write_text(json.dumps(out) + '\n')


if __name__ == '__main__':
    main()
