/**
 * Writing a picture made here in the format its file name asks for (PNG, JPEG or WebP), atomically.
 */
import { extname } from 'node:path';
import type { Sharp } from 'sharp';
import { withAtomicFile } from '../io/atomic.js';

export const RASTER_FORMATS = ['png', 'jpg', 'jpeg', 'webp'] as const;

export class RasterFormatError extends Error {
  override name = 'RasterFormatError';
}

/** Check the output name before any work: .png, .jpg/.jpeg or .webp. */
export function rasterFormatOf(path: string): 'png' | 'jpeg' | 'webp' {
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === 'png' || ext === 'webp') return ext;
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  throw new RasterFormatError(`cannot tell the picture format from "${path}": use a file ending in .png, .jpg or .webp`);
}

/** Encode `image` by the extension of `output` and write it through a temporary file. */
export async function writeRaster(image: Sharp, output: string): Promise<void> {
  const format = rasterFormatOf(output);
  const encoded = format === 'png' ? image.png({ compressionLevel: 9 }) : format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.webp({ quality: 90 });
  await withAtomicFile(output, (temp) => encoded.toFile(temp));
}
