export { centreCropRegion, type Region } from './geometry.js';
export { IMAGE_EXTENSIONS, isImageFileName } from './formats.js';
export {
  ImageError,
  readImage,
  readImageBatch,
  stackImages,
  describeSource,
  sourceLabel,
  type ImageBatch,
  type ImageOptions,
  type ImageSource,
  type ImageTensor,
} from './read.js';
