/**
 * Training pictures as SVG (written here, no plotting library):
 * loss and accuracy per epoch (train solid, validation dashed, stage 2 shaded), and the
 * validation confusion matrix (row-normalised colour, counts printed). Rendered to PNG by
 * `svgToPng` of src/visualize/render.ts.
 */
import { escapeMarkup as escape } from '../visualize/markup.js';
import type { EpochRecord } from './loop.js';

const FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"';

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  values: (number | null)[];
}

function chart(
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  epochs: number[],
  series: Series[],
  yMax: number | null,
  fineTuneFrom: number | null,
  legendBottom: boolean,
): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = yMax ?? Math.max(1e-6, ...all) * 1.08;
  const first = epochs[0] ?? 1;
  const last = Math.max(first + 1, epochs[epochs.length - 1] ?? 1);
  const px = (e: number) => x0 + ((e - first) / (last - first)) * w;
  const py = (v: number) => y0 + h - (Math.max(0, Math.min(v, top)) / top) * h;
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-size="16" font-weight="bold" ${FONT}>${escape(title)}</text>`);
  if (fineTuneFrom !== null) {
    const fx = px(fineTuneFrom - 0.5 < first ? first : fineTuneFrom - 0.5);
    out.push(`<rect x="${fx}" y="${y0}" width="${x0 + w - fx}" height="${h}" fill="#fff4e0"/>`);
    out.push(`<text x="${fx + 4}" y="${y0 + 14}" font-size="11" fill="#a06000" ${FONT}>fine-tuning</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    const y = py(v);
    out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11" ${FONT}>${v.toFixed(top < 2 ? 2 : 1)}</text>`);
  }
  const tickStep = Math.max(1, Math.ceil((last - first) / 10));
  for (let e = first; e <= last; e += tickStep) {
    out.push(`<text x="${px(e)}" y="${y0 + h + 16}" text-anchor="middle" font-size="11" ${FONT}>${e}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle" font-size="12" ${FONT}>epoch</text>`);
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  series.forEach((s, si) => {
    const points = s.values.map((v, i) => (v === null ? null : `${px(epochs[i]).toFixed(1)},${py(v).toFixed(1)}`)).filter(Boolean);
    if (points.length) {
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const p of points) {
        const [cx, cy] = p!.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
      }
    }
    const ly = legendBottom ? y0 + h - 12 - (series.length - 1 - si) * 16 : y0 + 20 + si * 16;
    const lx = x0 + w - 120;
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 28}" y="${ly}" font-size="12" ${FONT}>${escape(s.label)}</text>`);
  });
  return out.join('\n');
}

/** Loss and accuracy curves, side by side. */
export function curvesSvg(history: readonly EpochRecord[], title: string): string {
  const width = 1000;
  const height = 420;
  const epochs = history.map((r) => r.epoch);
  const stage2 = history.find((r) => r.stage === 2)?.epoch ?? null;
  const loss = chart(
    70,
    70,
    380,
    280,
    'Loss',
    epochs,
    [
      { label: 'train', color: '#1f77b4', dashed: false, values: history.map((r) => r.loss) },
      { label: 'validation', color: '#ff7f0e', dashed: true, values: history.map((r) => r.valLoss) },
    ],
    null,
    stage2,
    false,
  );
  const acc = chart(
    570,
    70,
    380,
    280,
    'Accuracy',
    epochs,
    [
      { label: 'train', color: '#1f77b4', dashed: false, values: history.map((r) => r.accuracy) },
      { label: 'validation', color: '#ff7f0e', dashed: true, values: history.map((r) => r.valAccuracy) },
    ],
    1,
    stage2,
    true,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="28" text-anchor="middle" font-size="18" ${FONT}>${escape(title)}</text>
${loss}
${acc}
</svg>`;
}

/** Blue scale from white (0) to dark blue (1). */
function shade(t: number): string {
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(255, 8)},${mix(255, 48)},${mix(255, 107)})`;
}

/** Confusion matrix: rows true class, columns predicted; colour = share of the row. */
export function confusionSvg(confusion: number[][], classes: string[], title: string): string {
  const n = classes.length;
  const cell = Math.max(28, Math.min(72, Math.floor(560 / n)));
  const labelWidth = Math.min(220, 20 + 7 * Math.max(...classes.map((c) => c.length)));
  const x0 = labelWidth + 40;
  const y0 = Math.round(labelWidth * 0.75) + 50;
  const width = x0 + n * cell + 30;
  const height = y0 + n * cell + 50;
  const out: string[] = [];
  confusion.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, c) => {
      const share = count / total;
      const x = x0 + c * cell;
      const y = y0 + r * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(share)}" stroke="#ccc"/>`);
      if (cell >= 24) {
        out.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${Math.min(14, cell / 3)}" fill="${share > 0.5 ? 'white' : 'black'}" ${FONT}>${count}</text>`,
        );
      }
    });
  });
  classes.forEach((name, i) => {
    const label = escape(name.length > 28 ? name.slice(0, 27) + '…' : name);
    out.push(`<text x="${x0 - 8}" y="${y0 + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12" ${FONT}>${label}</text>`);
    const cx = x0 + i * cell + cell / 2;
    out.push(`<text x="${cx}" y="${y0 - 8}" transform="rotate(-45 ${cx} ${y0 - 8})" font-size="12" ${FONT}>${label}</text>`);
  });
  out.push(`<text x="${x0 + (n * cell) / 2}" y="${y0 + n * cell + 30}" text-anchor="middle" font-size="13" ${FONT}>predicted class</text>`);
  out.push(
    `<text x="16" y="${y0 + (n * cell) / 2}" transform="rotate(-90 16 ${y0 + (n * cell) / 2})" text-anchor="middle" font-size="13" ${FONT}>true class</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" ${FONT}>${escape(title)}</text>
${out.join('\n')}
</svg>`;
}
