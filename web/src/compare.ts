/**
 * "Compare engines": time every engine on the current image in this browser, best marked, then
 * go back to the engine the user had chosen.
 */
import { ENGINES, type EngineName } from './engines.js';

export interface BenchResult {
  engine: string;
  warmupMs: number;
  ms: number[];
  top: string;
}
export type Bench = (name: EngineName, runs: number) => Promise<BenchResult>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function wireCompare(
  button: HTMLButtonElement,
  table: HTMLTableElement,
  bench: Bench,
  current: () => EngineName,
  restore: (name: EngineName) => Promise<void>,
): void {
  button.addEventListener('click', async () => {
    const chosen = current();
    button.disabled = true;
    table.hidden = false;
    const body = table.tBodies[0];
    body.innerHTML = '';
    for (const { name, label } of ENGINES) {
      const row = body.insertRow();
      row.innerHTML = `<td>${label}</td><td class="muted">running…</td><td></td><td></td>`;
      try {
        const result = await bench(name, name === 'tfjs-cpu' ? 2 : 10);
        const ms = median(result.ms);
        row.innerHTML = `<td>${label}</td><td>${result.engine}</td><td class="num">${ms.toFixed(1)}</td><td class="num">${(1000 / ms).toFixed(1)}</td>`;
        row.dataset.ms = String(ms);
      } catch (error) {
        row.innerHTML = `<td>${label}</td><td colspan="3" class="muted">${error instanceof Error ? error.message.split('\n')[0] : String(error)}</td>`;
      }
    }
    const timed = [...body.rows].filter((r) => r.dataset.ms).sort((a, b) => Number(a.dataset.ms) - Number(b.dataset.ms));
    timed[0]?.classList.add('best');
    await restore(chosen);
    button.disabled = false;
  });
}
