/** The k largest entries of each row of a [n, classes] probability matrix, highest first. */
export interface Prediction {
  /** 1-based rank. */
  rank: number;
  /** Class index in the model's output. */
  index: number;
  label: string;
  probability: number;
}

export function topK(row: Float32Array, k: number, labels: readonly string[]): Prediction[] {
  const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
  return order.slice(0, Math.min(k, row.length)).map((index, i) => ({
    rank: i + 1,
    index,
    label: labels[index] ?? `class ${index}`,
    probability: row[index],
  }));
}
