import { describe, expect, it } from 'vitest';
import { parseBehaviour, ANNOTATION_DURATION, ANNOTATION_FAIL_AFTER, ANNOTATION_FAIL_RANK, ANNOTATION_FAIL_REASON, ANNOTATION_LOG_INTERVAL } from './behaviour.ts';
import type { MpiHost, MpirunWorld, TimelineStep } from './mpirun-log.ts';
import { inferProgram, mapRanks, mpirunTimeline, parseNp, rankTag, unreachableTimeline } from './mpirun-log.ts';
import { Random } from './random.ts';

const HOSTS: MpiHost[] = [
  { host: 'pi-worker-0.pi.team-a.svc', podName: 'pi-worker-0', slots: 2, ip: '10.244.1.3' },
  { host: 'pi-worker-1.pi.team-a.svc', podName: 'pi-worker-1', slots: 2, ip: '10.244.2.3' },
];

function world(annotations: Record<string, string> = {}, overrides: Partial<MpirunWorld> = {}): MpirunWorld {
  return {
    jobName: 'pi',
    implementation: 'OpenMPI',
    hosts: HOSTS,
    np: undefined,
    launcherPodName: 'pi-launcher-x2k9q',
    launcherIp: '10.244.1.2',
    sshUser: 'mpiuser',
    keyFingerprint: 'SHA256:abc',
    program: 'pi',
    executable: '/home/mpiuser/pi',
    image: 'mpioperator/mpi-pi:openmpi',
    usesGpu: false,
    behaviour: parseBehaviour({ [ANNOTATION_DURATION]: '60s', [ANNOTATION_LOG_INTERVAL]: '10s', ...annotations }),
    random: new Random(7),
    ...overrides,
  };
}

function run(w: MpirunWorld): TimelineStep[] {
  return [...mpirunTimeline(w)];
}

function launcherLines(steps: TimelineStep[]): string[] {
  return steps.flatMap((s) => (s.kind === 'log' ? s.lines : []));
}

describe('helpers', () => {
  it('maps ranks by slot, filling each host first', () => {
    expect(mapRanks(HOSTS, 3).map((r) => [r.rank, r.host.podName, r.localRank])).toEqual([
      [0, 'pi-worker-0', 0],
      [1, 'pi-worker-0', 1],
      [2, 'pi-worker-1', 0],
    ]);
  });

  it('reads -n and -np from an mpirun command line', () => {
    expect(parseNp(['mpirun', '-n', '4', '/home/mpiuser/pi'])).toBe(4);
    expect(parseNp(['mpirun', '--allow-run-as-root', '-np', '2', 'python', 'train.py'])).toBe(2);
    expect(parseNp(['mpirun', '--np=8', 'x'])).toBe(8);
    expect(parseNp(['horovodrun', 'python', 'train.py'])).toBeUndefined();
  });

  it('tags ranks the way each MPI implementation does', () => {
    expect(rankTag('OpenMPI', 3, 'stderr')).toBe('[1,3]<stderr>:');
    expect(rankTag('Intel', 3, 'stdout')).toBe('[3] ');
  });

  it('recognises the pi example and training images', () => {
    expect(inferProgram('mpioperator/mpi-pi:openmpi', ['mpirun', '/home/mpiuser/pi'])).toBe('pi');
    expect(inferProgram('horovod/horovod:0.28.1', ['python', '/examples/tensorflow2_mnist.py'])).toBe('training');
    expect(inferProgram('busybox', ['sleep', '10'])).toBe('generic');
  });
});

describe('mpirunTimeline', () => {
  it('logs in on every worker, prints every rank with its tag, makes progress and succeeds', () => {
    const steps = run(world());
    const peer = steps.filter((s) => s.kind === 'peerLog');
    expect(peer.filter((s) => s.lines[0]?.startsWith('Accepted publickey for mpiuser from 10.244.1.2 port ')).map((s) => s.podName)).toEqual([
      'pi-worker-0',
      'pi-worker-1',
    ]);
    const lines = launcherLines(steps);
    expect(lines).toContain('[1,0]<stdout>:Workers: 4');
    for (const rank of [0, 1, 2, 3]) expect(lines).toContain(`[1,${rank}]<stdout>:Rank ${rank} on host pi-worker-${rank < 2 ? 0 : 1}`);
    expect(lines.filter((l) => l.startsWith('[1,3]<stdout>:Rank 3: ')).length).toBeGreaterThanOrEqual(4);
    expect(lines.at(-1)).toMatch(/^\[1,0\]<stdout>:pi is approximately 3\.141\d+$/);
    expect(steps.at(-1)).toEqual({ kind: 'exit', atSimMs: 60_500, exitCode: 0, reason: 'Completed' });
    expect(peer.filter((s) => s.lines[0]?.startsWith('Received disconnect')).length).toBe(2);
  });

  it('keeps its steps in time order', () => {
    const times = run(world()).map((s) => s.atSimMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('gives the same output for the same seed', () => {
    expect(run(world())).toEqual(run(world()));
  });

  it('kills the worker hosting an OOMKilled rank and prints what mpirun noticed', () => {
    const steps = run(world({ [ANNOTATION_FAIL_RANK]: '2', [ANNOTATION_FAIL_REASON]: 'OOMKilled', [ANNOTATION_FAIL_AFTER]: '30s' }));
    expect(steps).toContainEqual({ kind: 'kill', atSimMs: 30_000, podName: 'pi-worker-1', failure: 'OOMKilled' });
    expect(launcherLines(steps)).toContain('mpirun noticed that process rank 2 with PID 0 on node pi-worker-1 exited on signal 9 (Killed).');
    expect(steps.at(-1)).toMatchObject({ kind: 'exit', exitCode: 137, reason: 'Error' });
    expect(launcherLines(steps).some((l) => l.includes('samples') && l.startsWith('[1,0]'))).toBe(true);
  });

  it('reports a rank that exits with an error, with its traceback on stderr', () => {
    const steps = run(world({ [ANNOTATION_FAIL_RANK]: '1' }, { program: 'training', image: 'horovod/horovod' }));
    const lines = launcherLines(steps);
    expect(lines).toContain('[1,1]<stderr>:Traceback (most recent call last):');
    expect(lines).toContain('mpirun detected that one or more processes exited with non-zero status, thus causing');
    expect(lines.some((l) => /^ {2}Process name: \[\[\d+,1\],1\]$/.test(l))).toBe(true);
    expect(steps.at(-1)).toMatchObject({ kind: 'exit', exitCode: 1, reason: 'Error' });
    expect(steps.some((s) => s.kind === 'kill')).toBe(false);
  });

  it('prints per-rank step and loss lines for a training job', () => {
    const lines = launcherLines(run(world({}, { program: 'training', image: 'horovod/horovod', usesGpu: true })));
    expect(lines).toContain('[1,0]<stdout>:Horovod initialized: size=4, local_size=2, backend=NCCL');
    expect(lines.filter((l) => /^\[1,2\]<stdout>:step \d+\/600 loss=\d\.\d{4} /.test(l)).length).toBeGreaterThan(3);
    expect(lines.some((l) => l.startsWith('[1,0]<stdout>:Total img/sec on 4 GPU(s): '))).toBe(true);
  });

  it('evicts the pod of an Evicted rank and reports the lost daemon', () => {
    const steps = run(world({ [ANNOTATION_FAIL_RANK]: '0', [ANNOTATION_FAIL_REASON]: 'Evicted' }));
    expect(steps.some((s) => s.kind === 'kill' && s.podName === 'pi-worker-0' && s.failure === 'Evicted')).toBe(true);
    expect(launcherLines(steps)).toContain('ORTE has lost communication with a remote daemon.');
  });

  it('uses Hydra output for Intel MPI', () => {
    const lines = launcherLines(run(world({ [ANNOTATION_FAIL_RANK]: '3', [ANNOTATION_FAIL_REASON]: 'OOMKilled' }, { implementation: 'Intel' })));
    expect(lines).toContain('[0] Workers: 4');
    expect(lines).toContain('=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES');
    expect(lines).toContain('=   KILLED BY SIGNAL: 9 (Killed)');
  });

  it('refuses more ranks than slots, as mpirun does', () => {
    const steps = run(world({}, { np: 8 }));
    expect(launcherLines(steps).join('\n')).toContain('There are not enough slots available in the system to satisfy the 8');
    expect(steps.at(-1)).toMatchObject({ kind: 'exit', exitCode: 1 });
  });
});

describe('unreachableTimeline', () => {
  it('prints the ssh and ORTE errors and exits 1', () => {
    const steps = [...unreachableTimeline('OpenMPI', 'pi-worker-1.pi.team-a.svc')];
    expect(launcherLines(steps)[0]).toBe('ssh: Could not resolve hostname pi-worker-1.pi.team-a.svc: Name or service not known');
    expect(launcherLines(steps)).toContain('ORTE was unable to reliably start one or more daemons.');
    expect(steps.at(-1)).toMatchObject({ kind: 'exit', exitCode: 1 });
  });
});
