import fc from 'fast-check';
import { computeFingerprint, normalizeTargets } from './fingerprint';

describe('computeFingerprint', () => {
  const base = { action: 'deploy', params: { image: 'web:1.2', replicas: 3, env: { a: 1, b: [1, 2] } }, targets: ['web-2', 'web-1'] };

  it('is a 64-character hex SHA-256', () => {
    expect(computeFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores key order, target order and duplicate targets', () => {
    const reordered = {
      targets: ['web-1', 'web-2', 'web-1'],
      params: { env: { b: [1, 2], a: 1 }, replicas: 3, image: 'web:1.2' },
      action: 'deploy',
    };
    expect(computeFingerprint(reordered)).toBe(computeFingerprint(base));
  });

  it('changes when the action, a param, an array order inside params, or a target changes', () => {
    const fp = computeFingerprint(base);
    expect(computeFingerprint({ ...base, action: 'restart' })).not.toBe(fp);
    expect(computeFingerprint({ ...base, params: { ...base.params, replicas: 4 } })).not.toBe(fp);
    expect(computeFingerprint({ ...base, params: { ...base.params, env: { a: 1, b: [2, 1] } } })).not.toBe(fp);
    expect(computeFingerprint({ ...base, targets: ['web-1'] })).not.toBe(fp);
  });

  it('is invariant under any permutation of targets (property)', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.string({ maxLength: 8 }), { maxLength: 12 })
          .chain((targets) =>
            fc.tuple(fc.constant(targets), fc.shuffledSubarray(targets, { minLength: targets.length, maxLength: targets.length })),
          ),
        ([targets, shuffled]) => {
          expect(computeFingerprint({ action: 'a', params: {}, targets: shuffled })).toBe(
            computeFingerprint({ action: 'a', params: {}, targets }),
          );
        },
      ),
    );
  });

  it('normalizes targets to a sorted set', () => {
    expect(normalizeTargets(['b', 'a', 'b', 'C'])).toEqual(['C', 'a', 'b']);
  });
});
