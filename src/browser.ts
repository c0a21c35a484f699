/**
 * mobilenetv3 for the browser (`import ... from 'mobilenetv3/browser'`): everything that runs
 * without Node — the builder, the block map, summaries and MACs, Keras .h5 weights from bytes,
 * torchvision state dicts (safetensors bytes),
 * ONNX export, the model card, image preprocessing from canvases/images/video frames (the same
 * crop + resample code as Node), ImageNet class names. Nothing here (or below) may import a Node module;
 * test/browser-entry.test.ts walks the import graph to keep it so.
 */
export { buildModel, correctPad } from './architecture/builder.js';
export { readMetadata, type BlockInfo, type BlockKind, type ModelMetadata } from './architecture/blocks.js';
export { makeDivisible } from './architecture/depth.js';
export { GlobalAveragePooling2D, HardSigmoid, HardSwish, hardSigmoid, hardSwish, registerCustomLayers } from './architecture/layers.js';
export {
  OptionError,
  resolveOptions,
  type Flavor,
  type ModelOptions,
  type Padding,
  type Pooling,
  type ResolvedOptions,
} from './architecture/options.js';
export { resolveArchitecture, type Activation, type ResolvedArchitecture, type ResolvedBlock } from './architecture/resolve.js';
export {
  ARCHITECTURES,
  LARGE,
  SMALL,
  type ArchName,
  type ArchitectureTable,
  type BneckRow,
  type Nonlinearity,
} from './architecture/tables.js';
export { formatSummary, readableBytes, readableCount } from './inspect/format.js';
export { layerMacs, summarize, type LayerSummary, type ModelSummary } from './inspect/summary.js';
export { cardInput, imageToTensor, readPixels, type PixelOptions, type PixelSource } from './browser/pixels.js';
export { cropRegion, prepareInput, type InputSpec } from './images/prepare.js';
export { resizeRegion, type Pixels } from './images/resample.js';
export {
  defaultModelCard,
  MODEL_CARD_VERSION,
  parseModelCard,
  readModelCard,
  type InputContract,
  type ModelCard,
  type WeightsProvenance,
} from './architecture/card.js';
export { classNames } from './classify/class-names.js';
export { cardOf, CARD_KEY } from './export/onnx/metadata.js';
export { topK, type Prediction } from './classify/top-k.js';
export { IMAGENET_CLASSES } from './classify/imagenet-classes.js';
export { WeightsError } from './weights/errors.js';
export { readKerasH5, writeKerasH5, type KerasWeights, type LayerWeights, type WeightArray } from './weights/keras-h5.js';
export {
  applyKerasWeights,
  canonicalLayerName,
  describeLoadReport,
  kerasWeightsFromModel,
  weightRole,
  type LoadOptions,
  type LoadReport,
} from './weights/apply.js';
export { readSafetensors, type SafetensorsContents } from './weights/safetensors.js';
export {
  loadTorchvisionStateDict,
  torchvisionModuleNames,
  transpose,
  type NamedTensor,
  type TorchStateDict,
  type TorchTensor,
  type TorchvisionLoadOptions,
  type TorchvisionLoadReport,
} from './weights/torchvision.js';
export { centreCropRegion, type Region } from './images/geometry.js';
export { exportOnnx, inputContract, OnnxExportError, ONNX_OPSET, type OnnxExportOptions } from './export/onnx/export.js';
