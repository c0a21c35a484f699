#!/usr/bin/python3
"""The PyTorch peer for `npm run bench:train` (scripts/bench-train.ts): PyTorch eager training
torchvision's MobileNetV3 doing the same work as our training step.

  /usr/bin/python3 tools/torch_train_peer.py --arch small --mode all --batch 32 --threads 2 --steps 5

  --mode all   every layer trains, batch norm in training mode (batch statistics, running stats
               updated), input 224x224 images.
  --mode top3  only the last 3 bnecks + head conv + classifier train, on cached activations (the
               output of the 4th-last bneck, computed once before timing), batch norm frozen
               (eval mode); earlier layers are not run. This is what our stage 2 does.

Both: torchvision mobilenet_v3_{small,large}(num_classes=10) with random initial weights (speed does
not depend on the values), random inputs and labels, cross-entropy, Adam (lr 1e-3), dropout as
torchvision has it (0.2, training mode). Prints one JSON line: per-step times (ms, after warm-up),
images/s from the median step, images per CPU-second (all threads; other processes on a shared
machine hardly move it), peak RSS (MiB). Prints "peer missing: ..." and exits 3 when torch
cannot be imported. Not run by CI.
"""
import argparse
import json
import resource
import statistics
import sys
import time

try:
    import torch
    import torchvision
except ImportError as e:  # the bench prints "peer missing" for this run
    print(f"peer missing: {e}")
    sys.exit(3)


def build(arch):
    fn = torchvision.models.mobilenet_v3_large if arch == "large" else torchvision.models.mobilenet_v3_small
    return fn(weights=None, num_classes=10)


class Top(torch.nn.Module):
    """The last `blocks` bnecks, the head conv, pooling and the classifier of a torchvision model."""

    def __init__(self, model, blocks):
        super().__init__()
        # features[0] is the stem, features[-1] the head conv; the bnecks lie between.
        self.features = torch.nn.Sequential(*list(model.features)[-(blocks + 1):])
        self.avgpool = model.avgpool
        self.classifier = model.classifier

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["small", "large"], default="small")
    p.add_argument("--mode", choices=["all", "top3"], default="all")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    full = build(a.arch)
    images = torch.rand(a.batch, 3, a.size, a.size)
    labels = torch.randint(0, 10, (a.batch,))
    if a.mode == "all":
        model = full.train()
        x = images
    else:
        blocks = 3
        cut = len(full.features) - (blocks + 1)
        with torch.no_grad():
            x = torch.nn.Sequential(*list(full.features)[:cut]).eval()(images)  # the cached activations
        model = Top(full, blocks).train()
        for m in model.modules():  # batch norm frozen: moving statistics, no updates
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
    optimizer = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    cpu = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()  # every thread of the process
        step()
        cpu.append((time.process_time() - c0) * 1000)
        times.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(times)
    print(json.dumps({
        "engine": "pytorch", "arch": a.arch, "mode": a.mode, "batch": a.batch, "threads": a.threads,
        "torch": torch.__version__, "torchvision": torchvision.__version__, "ms": [round(t, 1) for t in times],
        "imagesPerSecond": a.batch * 1000 / median,
        "imagesPerCpuSecond": a.batch * 1000 / statistics.median(cpu),
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "input": list(x.shape),
    }))


if __name__ == "__main__":
    main()
