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
export { ENGINE_NAMES, type Engine, type EngineName, type EngineOptions, type FloatTensor } from './runtime/engine.js';
export { createEngine } from './runtime/create-engine.js';
export { createTfjsEngine, type TfjsEngineOptions } from './runtime/tfjs-engine.js';
export { createOnnxEngine, type OnnxEngineOptions } from './runtime/onnx-engine.js';
export { exportOnnx, inputContract, OnnxExportError, ONNX_OPSET, type OnnxExportOptions } from './export/onnx/export.js';
