/**
 * torchvision's published MobileNetV3 ImageNet weights as records: `--weights torchvision`
 * (IMAGENET1K_V1) and `--weights torchvision-v2` (IMAGENET1K_V2, Large only). Each file's name
 * carries the first 8 hex digits of its SHA-256, which is all torchvision publishes about its
 * hash: the download is checked against that prefix. Each record also says how torchvision
 * evaluates it (resize then centre crop 224, mean/std), which goes into the model card.
 */
import type { ArchName } from '../architecture/tables.js';
import type { RemoteFile } from './download.js';

export const TORCHVISION_WEIGHTS_URL = 'https://download.pytorch.org/models/';

export type TorchvisionWeightsName = 'torchvision' | 'torchvision-v2';

export interface TorchvisionWeights extends RemoteFile {
  readonly id: string;
  readonly arch: ArchName;
  readonly sha256Prefix: string;
  /** torchvision's reported ImageNet top-1 (%). */
  readonly top1: number;
  /** Evaluation: resize the shorter side to `resize`, centre crop `crop`. */
  readonly resize: number;
  readonly crop: number;
}

const record = (fileName: string, id: string, arch: ArchName, top1: number, resize: number): TorchvisionWeights => ({
  fileName,
  id,
  arch,
  top1,
  resize,
  crop: 224,
  sha256Prefix: /-([0-9a-f]{8})\.pth$/.exec(fileName)?.[1] as string,
  localCopy: `--weights path/to/${fileName} (or weights: '<path>' in the API), or set MOBILENETV3_TORCHVISION_URL to a mirror`,
});

export const TORCHVISION_WEIGHTS: Readonly<Record<TorchvisionWeightsName, Partial<Record<ArchName, TorchvisionWeights>>>> = {
  torchvision: {
    large: record('mobilenet_v3_large-8738ca79.pth', 'IMAGENET1K_V1', 'large', 74.042, 256),
    small: record('mobilenet_v3_small-047dcff4.pth', 'IMAGENET1K_V1', 'small', 67.668, 256),
  },
  'torchvision-v2': {
    large: record('mobilenet_v3_large-5c1a4163.pth', 'IMAGENET1K_V2', 'large', 75.274, 232),
  },
};

export function isTorchvisionWeightsName(source: string): source is TorchvisionWeightsName {
  return source === 'torchvision' || source === 'torchvision-v2';
}

/** The record for `name` and arch, with its URL under the base (env MOBILENETV3_TORCHVISION_URL, else torchvision's); a string says why there is none. */
export function findTorchvisionWeights(name: TorchvisionWeightsName, arch: ArchName = 'large'): TorchvisionWeights | string {
  const found = TORCHVISION_WEIGHTS[name][arch];
  if (!found) {
    const archs = Object.keys(TORCHVISION_WEIGHTS[name]).join(', ');
    return `--weights ${name} exists for --arch ${archs} only (torchvision publishes no ${name === 'torchvision-v2' ? 'IMAGENET1K_V2' : 'IMAGENET1K_V1'} ${arch})`;
  }
  const base = process.env.MOBILENETV3_TORCHVISION_URL || TORCHVISION_WEIGHTS_URL;
  return { ...found, url: new URL(found.fileName, base.endsWith('/') ? base : `${base}/`).href };
}
