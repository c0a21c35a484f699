/**
 * Channel rounding of the TF-slim / Keras MobileNets (`_depth`, timm's `make_divisible`):
 * round to the nearest multiple of `divisor`, never below `minValue`, and never more than 10%
 * below the requested width.
 */
export function makeDivisible(v: number, divisor = 8, minValue: number = divisor): number {
  let rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}
