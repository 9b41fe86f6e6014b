import { HELD_OUT_WORLDS, isHeldOutWorld, WORLDS } from '@passage/sim/build/index';
import { describe, expect, it } from 'vitest';
import { FEATURE_SETS } from './training-set.ts';

describe('held-out worlds stay out of training', () => {
  it('the world recipes declare anet-rand and nogent-spider held out, and only them', () => {
    expect([...HELD_OUT_WORLDS].sort()).toEqual(['anet-rand', 'nogent-spider']);
    expect(Object.keys(WORLDS).length - HELD_OUT_WORLDS.length).toBe(2);
  });

  it('no training or test feature set is built from a held-out world', () => {
    expect(FEATURE_SETS.length).toBeGreaterThan(10);
    const offending = FEATURE_SETS.filter((f) => isHeldOutWorld(f.world)).map((f) => f.name);
    expect(offending).toEqual([]);
  });

  it('recognises a held-out scenario by any path naming it, and passes the training worlds', () => {
    expect(isHeldOutWorld('infra/scenarios/anet-rand')).toBe('anet-rand');
    expect(isHeldOutWorld('/tmp/copy-of-nogent-spider/')).toBe('nogent-spider');
    expect(isHeldOutWorld('infra/scenarios/dreux-grid')).toBeUndefined();
    expect(isHeldOutWorld('infra/scenarios/chartres-centre')).toBeUndefined();
  });
});
