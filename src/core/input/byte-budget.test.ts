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

describe('admitWithinBudget at its edges (mutation audit)', () => {
  it('admits a sum of exactly the budget and refuses one byte more', () => {
    expect(admitWithinBudget([5, 5], 10)).toEqual([true, true]);
    expect(admitWithinBudget([5, 6], 10)).toEqual([true, false]);
    expect(admitWithinBudget([10], 10)).toEqual([true]);
    expect(admitWithinBudget([11], 10)).toEqual([false]);
  });
  it('counts the sum, not each size alone', () => {
    expect(admitWithinBudget([4, 4, 4], 10)).toEqual([true, true, false]);
  });
  it('among equal sizes, admits the first given', () => {
    expect(admitWithinBudget([7, 3, 7], 10)).toEqual([true, true, false]);
  });
});
