// Which of several inputs one read may hold together (docs/limits.md "Every file, within a total").

/**
 * Admits inputs of the given sizes, smallest first (then in the order given), while their sum stays
 * within `budget`; returns, per input, whether it was admitted. The smallest go first so that one
 * huge planted file costs its own refusal, not the refusal of the many small ones beside it.
 */
export function admitWithinBudget(sizes: readonly number[], budget: number): boolean[] {
  const admitted = sizes.map(() => false);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]! || a - b);
  let total = 0;
  for (const i of order) {
    if (total + sizes[i]! > budget) break;
    total += sizes[i]!;
    admitted[i] = true;
  }
  return admitted;
}
