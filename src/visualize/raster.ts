/**
 * Writing a picture made here in the format its file name asks for (PNG, JPEG or WebP), atomically.
 */
import { extname } from 'node:path';
import type { Sharp } from 'sharp';
import { withAtomicFile } from '../io/atomic.js';
import { escapeMarkup } from './markup.js';

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
  const encoded =
    format === 'png' ? image.png({ compressionLevel: 9 }) : format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.webp({ quality: 90 });
  await withAtomicFile(output, (temp) => encoded.toFile(temp));
}

/** A caption band (light text on a dark strip) as SVG, for compositing onto a picture. */
export function captionSvg(text: string, width: number, band: { height: number; fontSize: number; baseline: number }): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${band.height}"><rect width="100%" height="100%" fill="#212529"/>` +
    `<text x="8" y="${band.baseline}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${band.fontSize}" fill="#f8f9fa">${escapeMarkup(text)}</text></svg>`
  );
}
