import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { mpiJob, pod, runningStatus, terminatedStatus } from '../../test/utils/graph-fixtures.ts';
import { SharedObjectStore } from '../kube/cache.ts';
import { ChangeHub } from '../kube/hub.ts';
import { KubeApiError } from '../kube/errors.ts';
import { LogStreams } from '../kube/log-streams.ts';
import type { MPIJobObject, PodObject } from '../kube/objects.ts';
import type { LogSource, PodLogHandlers, PodLogRequest, RawLogLine } from '../kube/pod-log-source.ts';
import { followJobLogs, type JobLogRequest, type LogLineModel } from './job-logs.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-28T10:00:00Z');

/** Answers backlog reads from a script of lines per pod; follows stay open until ended by the test. */
class ScriptedLogs implements LogSource {
  readonly lines = new Map<string, RawLogLine[]>();
  readonly follows = new Map<string, PodLogHandlers>();
  /** Pods whose every log request the API server answers with this status. */
  readonly refusals = new Map<string, number>();

  write(podName: string, offsetMs: number, text: string): void {
    const line = { timeMs: T0 + offsetMs, timestamp: new Date(T0 + offsetMs).toISOString(), text };
    const list = this.lines.get(podName) ?? [];
    list.push(line);
    this.lines.set(podName, list);
    this.follows.get(podName)?.onLines([line]);
  }

  end(podName: string): void {
    const follow = this.follows.get(podName);
    this.follows.delete(podName);
    follow?.onEnd(undefined);
  }

  open(request: PodLogRequest, handlers: PodLogHandlers) {
    const refusal = this.refusals.get(request.pod);
    if (refusal !== undefined) queueMicrotask(() => handlers.onEnd(new KubeApiError(refusal, undefined, `answered ${refusal}`)));
    else if (request.follow) this.follows.set(request.pod, handlers);
    else {
      const lines = this.lines.get(request.pod) ?? [];
      queueMicrotask(() => {
        handlers.onLines(request.tailLines === undefined ? lines : lines.slice(-request.tailLines));
        handlers.onEnd(undefined);
      });
    }
    return { abort: () => this.follows.delete(request.pod) };
  }
}

function setup() {
  const mpiJobs = new SharedObjectStore<MPIJobObject>();
  const pods = new SharedObjectStore<PodObject>();
  const source = new ScriptedLogs();
  const sources = {
    streams: new LogStreams({ source, pods, logger }),
    mpiJobs,
    pods,
    jobHub: new ChangeHub<MPIJobObject>({ kind: 'mpijobs', cache: mpiJobs, jobOf: (j) => j.metadata.name, logger }),
    podHub: new ChangeHub<PodObject>({ kind: 'pods', cache: pods, jobOf: (p) => p.metadata.labels?.['training.kubeflow.org/job-name'], logger }),
  };
  const job = mpiJob({ name: 'pi', namespace: 'a', workers: 2, conditions: [['Running', 'True']] });
  mpiJobs.upsert(job);
  const launcher = pod('pi', 'a', 'launcher', undefined, runningStatus('launcher'));
  pods.upsert(launcher);
  pods.upsert(pod('pi', 'a', 'worker', 0, runningStatus('worker')));
  pods.upsert(pod('pi', 'a', 'worker', 1, runningStatus('worker')));
  return { sources, source, job, launcher };
}

const request = (extra: Partial<JobLogRequest> = {}): JobLogRequest => ({
  namespace: 'a',
  name: 'pi',
  role: null,
  ranks: null,
  container: null,
  tailLines: null,
  sinceMs: null,
  timestamps: false,
  previous: false,
  follow: true,
  ...extra,
});

const queueOptions = { capacity: 1000, overflowError: () => new Error('too slow') };

async function collect(lines: AsyncIterableIterator<LogLineModel[]>, until: (all: LogLineModel[]) => boolean): Promise<LogLineModel[]> {
  const all: LogLineModel[] = [];
  while (!until(all)) {
    const next = await lines.next();
    if (next.done) break;
    all.push(...next.value);
  }
  return all;
}

describe('followJobLogs', () => {
  it('merges what every container wrote in time order, with pod, role and rank', async () => {
    const { sources, source, job } = setup();
    source.write('pi-worker-0', 0, 'Server listening on 0.0.0.0 port 22.');
    source.write('pi-launcher-abcde', 5, '[1,1]<stdout>:hello from 1');
    source.write('pi-worker-1', 7, 'Accepted publickey for mpiuser');
    source.write('pi-launcher-abcde', 9, '[1,0]<stderr>:warning from 0');
    source.write('pi-launcher-abcde', 11, 'mpirun: all done');
    const lines = await followJobLogs(sources, request(), job, queueOptions);
    const got = await collect(lines, (all) => all.length >= 5);
    expect(got.map((l) => [l.pod, l.role, l.rank, l.stream, l.text, l.seq])).toEqual([
      ['pi-worker-0', 'WORKER', null, null, 'Server listening on 0.0.0.0 port 22.', 1],
      ['pi-launcher-abcde', 'LAUNCHER', 1, 'STDOUT', 'hello from 1', 2],
      ['pi-worker-1', 'WORKER', null, null, 'Accepted publickey for mpiuser', 3],
      ['pi-launcher-abcde', 'LAUNCHER', 0, 'STDERR', 'warning from 0', 4],
      ['pi-launcher-abcde', 'LAUNCHER', null, null, 'mpirun: all done', 5],
    ]);
    await lines.return?.();
    expect(sources.streams.stats().open).toBe(0);
  });

  it('keeps only the ranks asked for, and follows new lines', async () => {
    const { sources, source, job } = setup();
    source.write('pi-launcher-abcde', 1, '[1,0]<stdout>:zero');
    source.write('pi-launcher-abcde', 2, '[1,1]<stdout>:one');
    const lines = await followJobLogs(sources, request({ ranks: new Set([1]) }), job, queueOptions);
    const first = await collect(lines, (all) => all.length >= 1);
    source.write('pi-launcher-abcde', 3, '[1,0]<stdout>:zero again');
    source.write('pi-worker-0', 3, 'sshd');
    source.write('pi-launcher-abcde', 4, '[1,1]<stdout>:one again');
    const next = await collect(lines, (all) => all.length >= 1);
    expect([...first, ...next].map((l) => l.text)).toEqual(['one', 'one again']);
    await lines.return?.();
  });

  it('completes once the job has finished and the launcher has said everything, leaving running workers', async () => {
    const { sources, source, job, launcher } = setup();
    const lines = await followJobLogs(sources, request({ role: null }), job, queueOptions);
    const done = collect(lines, () => false);
    await new Promise((resolve) => setTimeout(resolve, 0));
    source.write('pi-launcher-abcde', 1, '[1,0]<stdout>:pi is approximately 3.14');
    sources.mpiJobs.upsert({ ...job, status: { conditions: [{ type: 'Succeeded', status: 'True' }] } });
    // The job is done, but the launcher's stream has not ended: not complete yet.
    source.write('pi-launcher-abcde', 2, 'last words');
    source.end('pi-launcher-abcde');
    sources.pods.upsert({ ...launcher, status: { ...terminatedStatus('launcher', 'Completed', 0, 0), phase: 'Succeeded' } });
    const all = await done;
    expect(all.map((l) => l.text)).toEqual(['pi is approximately 3.14', 'last words']);
  });

  it('joins a pod created after the start', async () => {
    const { sources, source, job } = setup();
    const lines = await followJobLogs(sources, request({ role: 'LAUNCHER' }), job, queueOptions);
    await new Promise((resolve) => setTimeout(resolve, 0));
    source.write('pi-launcher-retry1', 1, 'second launcher');
    sources.pods.upsert(pod('pi', 'a', 'launcher', undefined, runningStatus('launcher'), 'pi-launcher-retry1'));
    const got = await collect(lines, (all) => all.length >= 1);
    expect(got.map((l) => [l.pod, l.text])).toEqual([['pi-launcher-retry1', 'second launcher']]);
    await lines.return?.();
  });

  it('reads what was written and completes when not following', async () => {
    const { sources, source, job } = setup();
    source.write('pi-launcher-abcde', 1, 'a');
    source.write('pi-launcher-abcde', 2, 'b');
    source.write('pi-launcher-abcde', 3, 'c');
    const lines = await followJobLogs(sources, request({ follow: false, tailLines: 2, role: 'LAUNCHER', timestamps: true }), job, queueOptions);
    const got = await collect(lines, () => false);
    expect(got.map((l) => l.text)).toEqual([`${new Date(T0 + 2).toISOString()} b`, `${new Date(T0 + 3).toISOString()} c`]);
    expect(sources.streams.stats().opened).toBe(0);
  });

  it.each([403, 500])('ends with KUBERNETES_UNAVAILABLE, after the other containers\' lines, when the API server answers %i for one', async (status) => {
    const { sources, source, job } = setup();
    source.write('pi-launcher-abcde', 1, 'mpirun starting');
    source.write('pi-worker-0', 2, 'sshd up');
    source.refusals.set('pi-worker-1', status);
    const lines = await followJobLogs(sources, request(), job, queueOptions);
    const got: LogLineModel[] = [];
    const failure = await (async () => {
      for (;;) {
        const next = await lines.next();
        if (next.done) return undefined;
        got.push(...next.value);
      }
    })().catch((error: unknown) => error);
    expect(got.map((l) => l.text)).toEqual(['mpirun starting', 'sshd up']);
    expect(failure).toMatchObject({ extensions: { code: 'KUBERNETES_UNAVAILABLE', pod: 'pi-worker-1', container: 'worker' } });
    expect(sources.streams.stats().open).toBe(0);
  });

  it('ends a read without follow with the error after the lines it could read', async () => {
    const { sources, source, job } = setup();
    source.write('pi-launcher-abcde', 1, 'a');
    source.refusals.set('pi-worker-0', 403);
    const lines = await followJobLogs(sources, request({ follow: false }), job, queueOptions);
    await expect(lines.next()).resolves.toMatchObject({ done: false, value: [{ text: 'a' }] });
    await expect(lines.next()).rejects.toMatchObject({ extensions: { code: 'KUBERNETES_UNAVAILABLE', pod: 'pi-worker-0' } });
  });
});
