/** mobilenetv3: MobileNetV3 for Node.js and the browser. */
export { buildModel, correctPad } from './architecture/builder.js';
export { readMetadata, type BlockInfo, type BlockKind, type ModelMetadata } from './architecture/blocks.js';
export { makeDivisible } from './architecture/depth.js';
export { GlobalAveragePooling2D, HardSigmoid, HardSwish, hardSigmoid, hardSwish, registerCustomLayers } from './architecture/layers.js';
export { OptionError, resolveOptions, type Flavor, type ModelOptions, type Padding, type Pooling, type ResolvedOptions } from './architecture/options.js';
export { resolveArchitecture, type Activation, type ResolvedArchitecture, type ResolvedBlock } from './architecture/resolve.js';
export { ARCHITECTURES, LARGE, SMALL, type ArchName, type ArchitectureTable, type BneckRow, type Nonlinearity } from './architecture/tables.js';
export { formatSummary, readableBytes, readableCount } from './inspect/format.js';
export { layerMacs, summarize, type LayerSummary, type ModelSummary } from './inspect/summary.js';
export { WeightsError } from './weights/errors.js';
export { readKerasH5, writeKerasH5, type KerasWeights, type LayerWeights, type WeightArray } from './weights/keras-h5.js';
export { applyKerasWeights, canonicalLayerName, describeLoadReport, kerasWeightsFromModel, weightRole, type LoadOptions, type LoadReport } from './weights/apply.js';
export { centreCropRegion, IMAGE_EXTENSIONS, ImageError, isImageFileName, readImage, readImageBatch, stackImages, type ImageBatch, type ImageOptions, type ImageSource, type ImageTensor } from './images/index.js';
