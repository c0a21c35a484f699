/** Classification metrics from true and predicted class indices. */

export interface ClassMetrics {
  readonly name: string;
  /** Validation images of this class. */
  readonly support: number;
  /** null when nothing was predicted as this class (precision undefined). */
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

/** counts[true][predicted]. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) counts[truth[i]][predicted[i]]++;
  return counts;
}

export function perClassMetrics(confusion: number[][], names: string[]): ClassMetrics[] {
  return names.map((name, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const hit = confusion[c][c];
    const precision = predicted > 0 ? hit / predicted : null;
    const recall = support > 0 ? hit / support : null;
    const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null;
    return { name, support, precision, recall, f1 };
  });
}

export function accuracyOf(confusion: number[][]): number {
  let hit = 0;
  let all = 0;
  confusion.forEach((row, c) =>
    row.forEach((n, p) => {
      all += n;
      if (c === p) hit += n;
    }),
  );
  return all ? hit / all : 0;
}

/** The class with the highest score in row `row` of a [rows, classes] array. */
export function argmaxRow(scores: ArrayLike<number>, row: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (scores[row * classes + c] > scores[row * classes + best]) best = c;
  return best;
}
