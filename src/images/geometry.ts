/**
 * Where to cut the centre crop. Keras/TF evaluation (`central_crop(0.875)`) and torchvision
 * (`Resize(256)` + `CenterCrop(224)`, i.e. 224/256 = 0.875) both keep a centred fraction of the
 * image; generalised here to any output aspect ratio: take the largest centred region with the
 * output's aspect ratio, then keep `fraction` of it. For a square output that is a square of
 * `fraction` times the shorter side.
 */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function centreCropRegion(width: number, height: number, outWidth: number, outHeight: number, fraction: number): Region {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`crop fraction must be in (0, 1], got ${fraction}`);
  const aspect = outWidth / outHeight;
  let w = width;
  let h = height;
  if (width / height > aspect) w = height * aspect;
  else h = width / aspect;
  const cw = Math.max(1, Math.min(width, Math.round(w * fraction)));
  const ch = Math.max(1, Math.min(height, Math.round(h * fraction)));
  return { left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch };
}
