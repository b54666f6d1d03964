import { describe, expect, it } from 'vitest';
import { ANNOTATION_DURATION, ANNOTATION_FAIL_REASON, ANNOTATION_LOG_INTERVAL, ANNOTATION_OUTCOME, parseBehaviour } from './behaviour.ts';
import { parseHostfile, plainTimeline, restartBackoffSimMs } from './kubelet.ts';

describe('parseHostfile', () => {
  it('reads OpenMPI and Hydra hostfiles', () => {
    expect(parseHostfile('pi-worker-0.pi.ns.svc slots=2\npi-worker-1.pi.ns.svc slots=2\n')).toEqual([
      { host: 'pi-worker-0.pi.ns.svc', slots: 2 },
      { host: 'pi-worker-1.pi.ns.svc', slots: 2 },
    ]);
    expect(parseHostfile('a.svc:4\n# comment\n\nb.svc\n')).toEqual([
      { host: 'a.svc', slots: 4 },
      { host: 'b.svc', slots: 1 },
    ]);
  });
});

describe('restartBackoffSimMs', () => {
  it('waits 10 s after the first crash, doubling up to five minutes', () => {
    expect([1, 2, 3, 6, 20].map(restartBackoffSimMs)).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
  });
});

describe('plainTimeline', () => {
  it('runs for its duration with progress lines and exits 0', () => {
    const steps = [...plainTimeline(parseBehaviour({ [ANNOTATION_DURATION]: '30s', [ANNOTATION_LOG_INTERVAL]: '10s' }), ['python', 'train.py'])];
    expect(steps[0]).toEqual({ kind: 'log', atSimMs: 0, lines: ['Running python train.py'] });
    expect(steps.filter((s) => s.kind === 'log' && s.lines[0]?.startsWith('progress: '))).toHaveLength(2);
    expect(steps.at(-1)).toEqual({ kind: 'exit', atSimMs: 30_000, exitCode: 0, reason: 'Completed' });
  });

  it('fails with Error or OOMKilled as its behaviour says', () => {
    const error = [...plainTimeline(parseBehaviour({ [ANNOTATION_DURATION]: '10s', [ANNOTATION_OUTCOME]: 'Failed' }), [])];
    expect(error.at(-1)).toEqual({ kind: 'exit', atSimMs: 6_000, exitCode: 1, reason: 'Error' });
    const oom = [...plainTimeline(parseBehaviour({ [ANNOTATION_OUTCOME]: 'Failed', [ANNOTATION_FAIL_REASON]: 'OOMKilled' }), [])];
    expect(oom.at(-1)).toMatchObject({ kind: 'exit', exitCode: 137, reason: 'OOMKilled' });
  });
});
