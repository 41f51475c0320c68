// git's own "is gc due?" estimate (builtin/gc.c need_to_gc), checked in-process so that a ledger
// fetch skips `git maintenance run --auto` only when git would have found nothing to do.
import { describe, expect, it } from 'vitest';
import { autoGcDue, autoGcLimitsOf } from './git-ledger-repo.js';

const loose = (n: number): string[] => Array.from({ length: n }, (_, i) => i.toString(16).padStart(38, '0'));

describe('autoGcLimitsOf', () => {
  it("git's defaults when nothing is set: gc.auto 6700, gc.autoPackLimit 50", () => {
    expect(autoGcLimitsOf(new Map())).toEqual({ looseObjects: 6700, packs: 50 });
    expect(autoGcLimitsOf(new Map([['gc.auto', '0']]))).toEqual({ looseObjects: 0, packs: 50 });
    expect(autoGcLimitsOf(new Map([['gc.autopacklimit', '-1']]))).toEqual({ looseObjects: 6700, packs: -1 });
  });

  it('git decides when a maintenance key is set or a value is not a plain integer', () => {
    expect(autoGcLimitsOf(new Map([['maintenance.strategy', 'incremental']]))).toBeUndefined();
    expect(autoGcLimitsOf(new Map([['maintenance.auto', 'false']]))).toBeUndefined();
    expect(autoGcLimitsOf(new Map([['gc.auto', '1k']]))).toBeUndefined();
    expect(autoGcLimitsOf(new Map([['gc.autopacklimit', '']]))).toBeUndefined();
  });
});

describe('autoGcDue', () => {
  const defaults = { looseObjects: 6700, packs: 50 };
  it('loose objects: more than gc.auto / 256 (rounded up) in objects/17', () => {
    expect(autoGcDue(defaults, loose(27), [])).toBe(false); // ceil(6700 / 256) = 27
    expect(autoGcDue(defaults, loose(28), [])).toBe(true);
    expect(autoGcDue({ looseObjects: 256, packs: 50 }, loose(2), [])).toBe(true);
    // temporary files and anything not named like an object do not count
    expect(autoGcDue({ looseObjects: 256, packs: 50 }, ['tmp_obj_x', 'a'.repeat(39), loose(1)[0]!], [])).toBe(
      false,
    );
  });

  it('packs: more local packs without a .keep than gc.autoPackLimit', () => {
    const packs = (n: number, keep = 0): string[] =>
      Array.from({ length: n }, (_, i) => [
        `pack-${i}.pack`,
        `pack-${i}.idx`,
        ...(i < keep ? [`pack-${i}.keep`] : []),
      ]).flat();
    expect(autoGcDue(defaults, [], packs(50))).toBe(false);
    expect(autoGcDue(defaults, [], packs(51))).toBe(true);
    expect(autoGcDue(defaults, [], packs(51, 1))).toBe(false);
    expect(autoGcDue({ looseObjects: 6700, packs: 0 }, [], packs(100))).toBe(false);
  });

  it('gc.auto 0 or less: never', () => {
    expect(autoGcDue({ looseObjects: 0, packs: 50 }, loose(1000), [`p.pack`])).toBe(false);
    expect(autoGcDue({ looseObjects: -1, packs: 1 }, [], ['a.pack', 'b.pack', 'c.pack'])).toBe(false);
  });
});
