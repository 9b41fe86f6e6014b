/** Classification metrics: confusion matrix, per-class precision/recall/F1, macro-F1. */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of the class. */
  support: number;
}

export interface Evaluation {
  /** `confusion[truth][predicted]` counts. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** Unweighted mean of the per-class F1 over classes present in the truth. */
  macroF1: number;
  accuracy: number;
}

/** Evaluates predicted labels against true labels over `k` classes. */
export function evaluate(truth: ArrayLike<number>, predicted: ArrayLike<number>, k: number): Evaluation {
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass: ClassMetrics[] = [];
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let support = 0;
    let predictedC = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c][j];
      predictedC += confusion[j][c];
    }
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support });
    if (support > 0) {
      f1Sum += f1;
      present++;
    }
  }
  return { confusion, perClass, macroF1: present > 0 ? f1Sum / present : 0, accuracy: correct / truth.length };
}

/** Index of the largest of the `k` values of row `row` of the row-major `values` (first on ties). */
export function argmaxRow(values: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  let bestV = values[row * k];
  for (let j = 1; j < k; j++) {
    const v = values[row * k + j];
    if (v > bestV) {
      bestV = v;
      best = j;
    }
  }
  return best;
}
