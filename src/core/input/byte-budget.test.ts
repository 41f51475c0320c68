import { describe, expect, it } from 'vitest';
import { admitWithinBudget } from './byte-budget.js';

describe('admitWithinBudget', () => {
  it('admits everything within the budget', () => {
    expect(admitWithinBudget([3, 1, 2], 6)).toEqual([true, true, true]);
    expect(admitWithinBudget([], 0)).toEqual([]);
  });
  it('admits the smallest first and refuses the rest once the budget is spent', () => {
    expect(admitWithinBudget([30, 1, 30, 2, 30], 64)).toEqual([true, true, true, true, false]);
    expect(admitWithinBudget([100, 1, 2], 10)).toEqual([false, true, true]);
  });
  it('keeps the given order among equal sizes', () => {
    expect(admitWithinBudget([5, 5, 5], 10)).toEqual([true, true, false]);
  });
});
