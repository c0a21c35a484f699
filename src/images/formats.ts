/** File name extensions of the image formats `readImage` decodes (through sharp / libvips). */
export const IMAGE_EXTENSIONS = [
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.avif',
  '.heic',
  '.heif',
  '.tif',
  '.tiff',
] as const;

export function isImageFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && (IMAGE_EXTENSIONS as readonly string[]).includes(name.slice(dot).toLowerCase());
}
