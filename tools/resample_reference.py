"""Reference outputs for src/images/resample.ts: torch's antialiased bilinear resize
(F.interpolate(mode='bilinear', antialias=True, align_corners=False), which torchvision's
Resize uses on tensors and which matches PIL's BILINEAR) on small seeded uint8 RGB images,
shrinking, enlarging, and both at once, plus a crop region.

    /usr/bin/python3 tools/resample_reference.py   # writes test/fixtures/resample-reference.json
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'resample-reference.json')

# (height, width) in, (height, width) out, region (left, top, width, height) or None
CASES = [
    ((29, 37), (11, 13), None),
    ((7, 9), (15, 20), None),
    ((40, 50), (40, 23), None),
    ((31, 45), (8, 8), (6, 3, 28, 24)),
    ((40, 30), (15, 15), (0, 5, 30, 30)),
]


def main():
    gen = torch.Generator().manual_seed(15)
    cases = []
    for (h, w), (oh, ow), region in CASES:
        pixels = torch.randint(0, 256, (h, w, 3), generator=gen, dtype=torch.uint8)
        x = pixels.permute(2, 0, 1).unsqueeze(0).to(torch.float64)
        if region is not None:
            left, top, rw, rh = region
            x = x[:, :, top:top + rh, left:left + rw]
        y = F.interpolate(x, size=(oh, ow), mode='bilinear', antialias=True, align_corners=False)
        cases.append({
            'height': h, 'width': w, 'pixels': pixels.flatten().tolist(),
            'region': None if region is None else dict(zip(['left', 'top', 'width', 'height'], region)),
            'outHeight': oh, 'outWidth': ow,
            'expected': [round(v, 6) for v in y[0].permute(1, 2, 0).flatten().tolist()],
        })
    with open(OUT, 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f)
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
