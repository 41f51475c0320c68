/** What kind of failure a code is; each category has one exit code (DESIGN.md §2). */
export type Category =
  'verification' | 'usage' | 'invalid-input' | 'conflict' | 'unavailable' | 'queued' | 'internal';

export const exitCodeByCategory = {
  verification: 1,
  usage: 2,
  'invalid-input': 3,
  conflict: 4,
  unavailable: 5,
  queued: 75,
  internal: 70,
} as const satisfies Record<Category, number>;
