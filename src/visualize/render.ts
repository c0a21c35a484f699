/**
 * Layout and rasterisation: DOT -> SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz,
 * no system Graphviz), SVG -> PNG with sharp (librsvg).
 */
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

let graphviz: Promise<Graphviz> | undefined;

function loadGraphviz(): Promise<Graphviz> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return graphviz;
}

/** Lay out a DOT graph; throws Graphviz's own message on a syntax error. */
export async function dotToSvg(dot: string): Promise<string> {
  return (await loadGraphviz()).dot(dot, 'svg');
}

/** Parse and lay out DOT, returning Graphviz's canonical DOT (with positions). */
export async function layoutDot(dot: string): Promise<string> {
  return (await loadGraphviz()).dot(dot, 'dot');
}

export interface PngOptions {
  /** Pixel density of the rendering (72 = the SVG's point size). Default 144 (2x). */
  density?: number;
  /** Cap on the longer side, in pixels (large layer graphs). Default 16000. */
  maxSide?: number;
}

/** Rasterise an SVG string to PNG bytes on a white background. */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const maxSide = options.maxSide ?? 16000;
  let density = options.density ?? 144;
  const meta = await sharp(Buffer.from(svg), { density: 72 }).metadata();
  const longest = Math.max(meta.width ?? 1, meta.height ?? 1);
  if (longest * (density / 72) > maxSide) density = (72 * maxSide) / longest;
  return sharp(Buffer.from(svg), { density, limitInputPixels: false }).flatten({ background: '#ffffff' }).png().toBuffer();
}
