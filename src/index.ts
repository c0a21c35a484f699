/** mobilenetv3: MobileNetV3 for Node.js and the browser. */
// Everything the browser entry offers (its list is the one kept), plus what needs Node.
export * from './browser.js';
// The API's builder is synchronous, so TF.js needs a backend that is ready at once: the cpu one,
// registered here as the default (quiet: runtime/tfjs.ts sets production mode); useTfBackend('wasm')
// or createTfjsEngine switch to the fast one. runtime/tf.ts itself brings no backend.
import '@tensorflow/tfjs-backend-cpu';
import './runtime/tfjs.js';
export {
  centreCropRegion,
  IMAGE_EXTENSIONS,
  ImageError,
  isImageFileName,
  readImage,
  readImageBatch,
  stackImages,
  type ImageBatch,
  type ImageOptions,
  type ImageSource,
  type ImageTensor,
} from './images/index.js';
export { ENGINE_NAMES, type Engine, type EngineName, type EngineOptions, type FloatTensor } from './runtime/engine.js';
export { createEngine } from './runtime/create-engine.js';
export { createTfjsEngine, type TfjsEngineOptions } from './runtime/tfjs-engine.js';
export { createOnnxEngine, type OnnxEngineOptions } from './runtime/onnx-engine.js';
export { loadKerasH5Weights, readKerasH5File, saveKerasH5Weights } from './weights/h5-file.js';
export { loadTfjsModel, saveTfjsModel, fileLoadHandler, fileSaveHandler } from './weights/tfjs-files.js';
export {
  buildModelWithWeights,
  loadWeights,
  readWeightsSource,
  type ModelWithWeights,
  type WeightsOptions,
  type WeightsSource,
} from './weights/load.js';
export {
  findImagenetWeights,
  IMAGENET_CLASS_INDEX,
  IMAGENET_WEIGHTS,
  KERAS_WEIGHTS_URL,
  type PretrainedWeights,
} from './weights/imagenet.js';
export { fetchCached, weightsBaseUrl, weightsCacheDir, type DownloadOptions, type RemoteFile } from './weights/download.js';
export { inferModelOptions } from './weights/infer.js';
export { evaluateImages, type EvaluateOptions, type EvaluationResult, type Predictor } from './evaluate/evaluate.js';
export { listLabelledImages, readClassIndex, type ClassIndex, type LabelledImage } from './evaluate/labelled-folder.js';
export { train, type TrainConfig, type TrainOptions, type TrainProgress, type TrainResult } from './train/train.js';
export { DataError, scanDataset, splitDataset, type Dataset, type Sample, type Split } from './train/dataset.js';
export { attachClassifier, readLabels } from './train/classifier.js';
export { bottomModel, lastBnecks, topSegment, type TopSegment } from './train/split-model.js';
export { registerWasmGradients } from './train/wasm-gradients.js';
export { confusionMatrix, perClassMetrics, type ClassMetrics } from './train/metrics.js';
export type { EpochRecord } from './train/loop.js';
export {
  architectureTable,
  formatTableMarkdown,
  formatTableText,
  NoBlockMapError,
  type ArchitectureTableView,
  type TableRow,
} from './visualize/table.js';
export {
  KIND_COLORS,
  networkGraph,
  nodeFacts,
  type Detail,
  type GraphEdge,
  type GraphNode,
  type NetworkGraph,
  type NodeKind,
} from './visualize/graph.js';
export { svgNodeId, toDot, type DotOptions, type Rankdir } from './visualize/dot.js';
export { dotToSvg, svgToPng } from './visualize/render.js';
export { graphPage } from './visualize/html.js';
export { plotModel, renderGraph, PlotFormatError, PLOT_FORMATS, type PlotFormat, type PlotOptions } from './visualize/plot.js';
export { activationGrid, featureGrid, featureMaps, type ActivationOptions, type FeatureMaps } from './visualize/activations.js';
export {
  CAM_METHODS,
  defaultCamLayer,
  explainImage,
  gradCam,
  type CamMethod,
  type ExplainOptions,
  type GradCamOptions,
  type GradCamResult,
} from './visualize/explain.js';
export {
  ClassifierError,
  createClassifier,
  type Classification,
  type ClassificationFailure,
  type Classifier,
  type ClassifierOptions,
} from './classify/classifier.js';
export { readOnnxLabels, readOnnxMetadata } from './export/onnx/metadata.js';
export {
  meanStdContract,
  readModelCard,
  recordWeights,
  trainedModelCard,
  updateModelCard,
  writeModelCard,
  type ModelCard,
} from './architecture/card.js';
export { cutAtBlock, findLayer, frontModel, runLayersFrom, tailLayers, type BlockCut } from './architecture/cut.js';
export { DataError as InputDataError, InvalidValueError, invalidValue } from './errors.js';
export { decodePixels } from './images/read.js';
export { readPth, type PthContents } from './weights/pth/read.js';
export { PICKLE_WHITELIST } from './weights/pth/pickle.js';
export { buildModelFromPth, isPthPath, loadPthWeights, readPthFile } from './weights/pth/file.js';
export {
  applyTorchvisionStateDict,
  buildTorchvisionModel,
  torchvisionOptionsOf,
  TORCHVISION_MEAN,
  TORCHVISION_STD,
} from './weights/pth/model.js';
export {
  applyKeras3Weights,
  keras3LayerPaths,
  readKeras3WeightsH5,
  writeKeras3WeightsH5,
  type Keras3Vars,
} from './weights/keras3/weights-h5.js';
export { readZip, writeZip, type ZipArchive, type ZipEntry, type ZipInput } from './weights/zip.js';
export {
  buildModelFromKerasArchive,
  kerasArchiveSpec,
  readKerasArchive,
  writeKerasArchive,
  type KerasArchive,
  type KerasArchiveModel,
  type SaveKerasOptions,
} from './weights/keras3/archive.js';
export { buildModelFromKerasFile, isKerasArchivePath, readKerasArchiveFile, saveKerasArchive } from './weights/keras3/file.js';
export { inferKeras3Model, type Keras3Fit } from './weights/keras3/infer.js';
