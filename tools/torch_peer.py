#!/usr/bin/python3
"""The peer for `npm run bench`: torchvision's own MobileNetV3 (Debian python3-torchvision).

  /usr/bin/python3 tools/torch_peer.py export <dir>
      writes <dir>/torchvision_mobilenet_v3_{large,small}.onnx with torch.onnx.export
      (opset 17, dynamic batch, NCHW input 1x3x224x224), as torchvision users export it.
  /usr/bin/python3 tools/torch_peer.py bench --arch large --batch 16 --threads 2 --seconds 3
      times PyTorch eager inference and prints one JSON line of per-batch times in ms.

Random initial weights: speed does not depend on the values. Not run by CI.
"""
import argparse
import json
import pathlib
import time

import torch
import torchvision


def build(arch):
    fn = torchvision.models.mobilenet_v3_large if arch == "large" else torchvision.models.mobilenet_v3_small
    return fn(weights=None).eval()


def export(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for arch in ("large", "small"):
        path = out / f"torchvision_mobilenet_v3_{arch}.onnx"
        tmp = path.with_suffix(".onnx.tmp")
        torch.onnx.export(build(arch), torch.randn(1, 3, 224, 224), str(tmp), opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
        tmp.replace(path)
        print(f"wrote {path}")


def bench(arch, batch, threads, seconds, warmup):
    torch.set_num_threads(threads)
    model = build(arch)
    x = torch.rand(batch, 3, 224, 224)
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(times) < 5:
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"arch": arch, "batch": batch, "threads": threads, "torch": torch.__version__,
                      "torchvision": torchvision.__version__, "ms": times}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("dir")
    b = sub.add_parser("bench")
    b.add_argument("--arch", choices=["large", "small"], default="large")
    b.add_argument("--batch", type=int, default=1)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--seconds", type=float, default=3)
    b.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    if a.cmd == "export":
        export(a.dir)
    else:
        bench(a.arch, a.batch, a.threads, a.seconds, a.warmup)
