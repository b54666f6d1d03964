// What a simulated MPI launcher prints and does over its life, as a timeline the kubelet plays:
// mpirun connecting to the workers over SSH (the workers' sshd logs the logins), every rank's
// output with its rank tag (OpenMPI `[1,3]<stdout>:`, Hydra `[3] `), progress lines through the
// run, a summary, and on failure the failing rank's last words, the action that kills it, and
// the error text mpirun prints. Pure: the same world and seed give the same timeline.

import type { Behaviour, ProgramKind } from './behaviour.ts';
import { formatDuration } from './behaviour.ts';
import { MPI_IMPLEMENTATION } from './mpi-api.ts';
import type { Random } from './random.ts';

export interface MpiHost {
  /** As written in the hostfile (`pi-worker-0.pi.team-a.svc`). */
  host: string;
  /** The pod behind it (`pi-worker-0`), which is also its hostname. */
  podName: string;
  slots: number;
  ip: string;
}

export interface MpirunWorld {
  jobName: string;
  implementation: string;
  /** Hostfile order: the launcher first when it runs as a worker. */
  hosts: readonly MpiHost[];
  /** Ranks requested (`mpirun -n`); undefined = every slot. */
  np: number | undefined;
  launcherPodName: string;
  launcherIp: string;
  sshUser: string;
  keyFingerprint: string;
  program: ProgramKind;
  /** The command line, for messages that quote it. */
  executable: string;
  image: string;
  usesGpu: boolean;
  behaviour: Behaviour;
  random: Random;
}

export type FailureKind = 'Error' | 'OOMKilled' | 'Evicted';

export type TimelineStep =
  | { kind: 'log'; atSimMs: number; lines: string[] }
  /** Lines for another pod's main container (the worker's sshd). */
  | { kind: 'peerLog'; atSimMs: number; podName: string; lines: string[] }
  /** Kill another pod's main container (or evict the pod). */
  | { kind: 'kill'; atSimMs: number; podName: string; failure: FailureKind }
  /** The launcher process ends. */
  | { kind: 'exit'; atSimMs: number; exitCode: number; reason: string };

const SEPARATOR = '-'.repeat(74);
const HYDRA_SEPARATOR = '='.repeat(83);
/** Exit code of a process killed by SIGKILL (128 + 9). */
export const EXIT_CODE_KILLED = 137;
const SSH_PORT_MIN = 32_768;
const SSH_PORT_MAX = 60_999;
const STARTUP_SIM_MS = 1_500;
const SUMMARY_SIM_MS = 500;
/** mpirun's ssh tries ConnectionAttempts=10 times, a second apart, before giving up on a host. */
export const SSH_GIVE_UP_SIM_MS = 10_000;

interface Rank {
  rank: number;
  host: MpiHost;
  localRank: number;
}

/** Ranks mapped by slot, as mpirun's default mapping fills each host before the next. */
export function mapRanks(hosts: readonly MpiHost[], np: number): Rank[] {
  const ranks: Rank[] = [];
  for (const host of hosts) {
    for (let local = 0; local < host.slots && ranks.length < np; local++) ranks.push({ rank: ranks.length, host, localRank: local });
  }
  return ranks;
}

export function totalSlots(hosts: readonly MpiHost[]): number {
  return hosts.reduce((sum, h) => sum + h.slots, 0);
}

/** The rank prefix each implementation puts on a line of output. */
export function rankTag(implementation: string, rank: number, stream: 'stdout' | 'stderr'): string {
  return implementation === MPI_IMPLEMENTATION.openMPI ? `[1,${rank}]<${stream}>:` : `[${rank}] `;
}

/** The `-n`/`-np` value of an mpirun command line, if any. */
export function parseNp(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const inline = /^--?(?:np|n|c)=(\d+)$/.exec(arg);
    if (inline?.[1]) return Number(inline[1]);
    if (['-n', '-np', '--np', '-c', '--n'].includes(arg)) {
      const value = Number(argv[i + 1]);
      if (Number.isInteger(value) && value > 0) return value;
    }
  }
  return undefined;
}

/** Guesses what the job runs from its image and command when the annotation does not say. */
export function inferProgram(image: string, argv: readonly string[]): ProgramKind {
  const text = `${image} ${argv.join(' ')}`.toLowerCase();
  if (/(^|[/\s:-])pi($|[\s:.-])|mpi-pi/.test(text)) return 'pi';
  if (/horovod|tensorflow|pytorch|torch|train|bert|resnet|keras|deepspeed|llm|gpt/.test(text)) return 'training';
  return 'generic';
}

function modelName(image: string, executable: string): string {
  const text = `${image} ${executable}`.toLowerCase();
  if (text.includes('bert')) return 'bert-base-uncased';
  if (text.includes('resnet101') || text.includes('tensorflow-benchmarks')) return 'resnet101';
  if (text.includes('resnet')) return 'resnet50';
  if (text.includes('llm') || text.includes('gpt')) return 'gpt2-medium';
  if (text.includes('mnist')) return 'mnist-cnn';
  return 'resnet50';
}

function sshLines(world: MpirunWorld, random: Random): { atLaunch: TimelineStep[]; ports: Map<string, number> } {
  const ports = new Map<string, number>();
  const steps: TimelineStep[] = [];
  const remote = world.hosts.filter((h) => h.podName !== world.launcherPodName);
  const launcherLines: string[] = [];
  for (const host of remote) {
    const port = random.int(SSH_PORT_MIN, SSH_PORT_MAX);
    ports.set(host.podName, port);
    launcherLines.push(`Warning: Permanently added '${host.host}' (ED25519) to the list of known hosts.`);
    steps.push({
      kind: 'peerLog',
      atSimMs: 0,
      podName: host.podName,
      lines: [`Accepted publickey for ${world.sshUser} from ${world.launcherIp} port ${port} ssh2: ECDSA ${world.keyFingerprint}`],
    });
  }
  if (launcherLines.length > 0) steps.unshift({ kind: 'log', atSimMs: 0, lines: launcherLines });
  return { atLaunch: steps, ports };
}

function disconnectSteps(world: MpirunWorld, ports: ReadonlyMap<string, number>, atSimMs: number, except?: string): TimelineStep[] {
  const steps: TimelineStep[] = [];
  for (const [podName, port] of ports) {
    if (podName === except) continue;
    steps.push({
      kind: 'peerLog',
      atSimMs,
      podName,
      lines: [
        `Received disconnect from ${world.launcherIp} port ${port}:11: disconnected by user`,
        `Disconnected from user ${world.sshUser} ${world.launcherIp} port ${port}`,
      ],
    });
  }
  return steps;
}

interface ProgramText {
  start(ranks: readonly Rank[]): string[];
  progress(ranks: readonly Rank[], fraction: number): string[];
  finish(ranks: readonly Rank[]): string[];
  /** What the failing rank prints before it exits with an error. */
  lastWords(rank: Rank): string[];
}

function piText(world: MpirunWorld, random: Random, np: number): ProgramText {
  const tag = (r: number) => rankTag(world.implementation, r, 'stdout');
  const samplesPerRank = 10_000_000;
  return {
    start: (ranks) => [`${tag(0)}Workers: ${np}`, ...ranks.map((r) => `${tag(r.rank)}Rank ${r.rank} on host ${r.host.podName}`)],
    progress: (ranks, fraction) =>
      ranks.map((r) => `${tag(r.rank)}Rank ${r.rank}: ${Math.round(fraction * samplesPerRank)}/${samplesPerRank} samples`),
    finish: () => [`${tag(0)}pi is approximately ${(Math.PI + random.between(-2e-4, 2e-4)).toFixed(16)}`],
    lastWords: (r) => [`${rankTag(world.implementation, r.rank, 'stderr')}pi: rank ${r.rank}: fatal error in sampling loop, aborting`],
  };
}

function trainingText(world: MpirunWorld, random: Random, np: number, totalSteps: number): ProgramText {
  const out = (r: number) => rankTag(world.implementation, r, 'stdout');
  const err = (r: number) => rankTag(world.implementation, r, 'stderr');
  const model = modelName(world.image, world.executable);
  const batch = world.usesGpu ? 64 : 32;
  const imagesPerSec = world.usesGpu ? random.between(210, 260) : random.between(18, 26);
  const rankNoise = new Map<number, number>();
  const lossAt = (rank: number, fraction: number) => {
    let noise = rankNoise.get(rank);
    if (noise === undefined) {
      noise = random.between(-0.03, 0.03);
      rankNoise.set(rank, noise);
    }
    return Math.max(0.01, 2.31 * Math.exp(-3.2 * fraction) + 0.08 + noise + random.between(-0.02, 0.02));
  };
  return {
    start: (ranks) => [
      `${out(0)}Horovod initialized: size=${np}, local_size=${ranks[0]?.host.slots ?? 1}, backend=${world.usesGpu ? 'NCCL' : 'Gloo'}`,
      ...ranks.map((r) => `${out(r.rank)}rank ${r.rank}/${np} on ${r.host.podName} (local rank ${r.localRank}) using ${world.usesGpu ? `cuda:${r.localRank}` : 'cpu'}`),
      `${out(0)}Model: ${model}, batch size per rank: ${batch}, total steps: ${totalSteps}`,
    ],
    progress: (ranks, fraction) => {
      const step = Math.max(1, Math.round(fraction * totalSteps));
      return ranks.map(
        (r) =>
          `${out(r.rank)}step ${step}/${totalSteps} loss=${lossAt(r.rank, fraction).toFixed(4)} lr=${(0.1 * Math.sqrt(np) * (1 - 0.9 * fraction)).toFixed(4)} img/sec=${(imagesPerSec * random.between(0.95, 1.05)).toFixed(1)}`,
      );
    },
    finish: (ranks) => [
      ...ranks.map((r) => `${out(r.rank)}rank ${r.rank} done, final loss=${lossAt(r.rank, 1).toFixed(4)}`),
      `${out(0)}Total img/sec on ${np} ${world.usesGpu ? 'GPU(s)' : 'CPU worker(s)'}: ${(imagesPerSec * np).toFixed(1)} +-${(imagesPerSec * 0.04 * np).toFixed(1)}`,
      `${out(0)}Training finished in ${formatDuration(world.behaviour.durationMs)}`,
    ],
    lastWords: (r) => [
      `${err(r.rank)}Traceback (most recent call last):`,
      `${err(r.rank)}  File "/opt/train.py", line 214, in <module>`,
      `${err(r.rank)}    loss = train_step(batch)`,
      `${err(r.rank)}RuntimeError: rank ${r.rank}: ${world.usesGpu ? 'CUDA error: an illegal memory access was encountered' : 'Gloo allreduce failed: connection reset by peer'}`,
    ],
  };
}

function genericText(world: MpirunWorld): ProgramText {
  const out = (r: number) => rankTag(world.implementation, r, 'stdout');
  return {
    start: (ranks) => ranks.map((r) => `${out(r.rank)}rank ${r.rank} of ${ranks.length} started on ${r.host.podName}`),
    progress: (ranks, fraction) => ranks.map((r) => `${out(r.rank)}rank ${r.rank}: ${Math.round(fraction * 100)}% done`),
    finish: (ranks) => ranks.map((r) => `${out(r.rank)}rank ${r.rank}: finished`),
    lastWords: (r) => [`${rankTag(world.implementation, r.rank, 'stderr')}rank ${r.rank}: fatal error, exiting with status 1`],
  };
}

/** mpirun's report of a rank that exited with an error. */
export function exitErrorText(implementation: string, rank: Rank, jobId: number): string[] {
  if (implementation !== MPI_IMPLEMENTATION.openMPI) return hydraBadTermination(rank, 'EXIT STATUS: 1');
  return [
    SEPARATOR,
    'Primary job  terminated normally, but 1 process returned',
    'a non-zero exit code. Per user-direction, the job has been aborted.',
    SEPARATOR,
    SEPARATOR,
    'mpirun detected that one or more processes exited with non-zero status, thus causing',
    'the job to be terminated. The first process to do so was:',
    '',
    `  Process name: [[${jobId},1],${rank.rank}]`,
    '  Exit code:    1',
    SEPARATOR,
  ];
}

/** mpirun's report of a rank killed by SIGKILL (the kernel's OOM killer). */
export function killedText(implementation: string, rank: Rank): string[] {
  if (implementation !== MPI_IMPLEMENTATION.openMPI) return hydraBadTermination(rank, 'KILLED BY SIGNAL: 9 (Killed)');
  return [SEPARATOR, `mpirun noticed that process rank ${rank.rank} with PID 0 on node ${rank.host.podName} exited on signal 9 (Killed).`, SEPARATOR];
}

/** mpirun's report when a worker's daemon vanished with its pod. */
export function lostDaemonText(implementation: string, world: MpirunWorld, rank: Rank, jobId: number): string[] {
  if (implementation !== MPI_IMPLEMENTATION.openMPI) return hydraBadTermination(rank, 'KILLED BY SIGNAL: 9 (Killed)');
  const daemon = Math.max(1, world.hosts.indexOf(rank.host) + 1);
  return [
    SEPARATOR,
    'ORTE has lost communication with a remote daemon.',
    '',
    `  HNP daemon   : [[${jobId},0],0] on node ${world.launcherPodName}`,
    `  Remote daemon: [[${jobId},0],${daemon}] on node ${rank.host.host}`,
    '',
    'This is usually due to either a failure of the TCP network',
    'connection to the node, or possibly an internal failure of',
    'the daemon itself. We cannot recover from this failure, and',
    'therefore will terminate the job.',
    SEPARATOR,
  ];
}

function hydraBadTermination(rank: Rank, how: string): string[] {
  return [
    '',
    HYDRA_SEPARATOR,
    '=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES',
    `=   RANK ${rank.rank} PID ${1000 + rank.rank * 7} RUNNING AT ${rank.host.host}`,
    `=   ${how}`,
    HYDRA_SEPARATOR,
  ];
}

/** What mpirun prints when it cannot reach a host, then gives up. */
export function unreachableText(implementation: string, host: string): string[] {
  const ssh = `ssh: Could not resolve hostname ${host}: Name or service not known`;
  if (implementation !== MPI_IMPLEMENTATION.openMPI) {
    return [ssh, `[mpiexec@launcher] HYD_sock_write (utils/sock/sock.c:256): write error (Bad file descriptor)`, '[mpiexec@launcher] Launch proxy failed.'];
  }
  return [
    ssh,
    SEPARATOR,
    'ORTE was unable to reliably start one or more daemons.',
    'This usually is caused by:',
    '',
    '* a remote host that cannot be reached or resolved (check the hostfile',
    '  and that every worker pod is running);',
    '',
    '* lack of authority to execute on one or more specified nodes.',
    SEPARATOR,
  ];
}

function notEnoughSlotsText(np: number, executable: string): string[] {
  return [
    SEPARATOR,
    `There are not enough slots available in the system to satisfy the ${np}`,
    'slots that were requested by the application:',
    '',
    `  ${executable}`,
    '',
    'Either request fewer slots for your application, or make more slots',
    'available for use.',
    SEPARATOR,
  ];
}

/** The launcher's whole life once every host answers, in simulated milliseconds from its start. */
export function* mpirunTimeline(world: MpirunWorld): Generator<TimelineStep> {
  const random = world.random;
  const slots = totalSlots(world.hosts);
  const np = world.np ?? slots;
  if (np > slots) {
    yield { kind: 'log', atSimMs: STARTUP_SIM_MS, lines: notEnoughSlotsText(np, world.executable) };
    yield { kind: 'exit', atSimMs: STARTUP_SIM_MS, exitCode: 1, reason: 'Error' };
    return;
  }
  const ranks = mapRanks(world.hosts, np);
  const { behaviour } = world;
  const duration = Math.max(STARTUP_SIM_MS + SUMMARY_SIM_MS, behaviour.durationMs);
  const interval = behaviour.logIntervalMs;
  const totalSteps = Math.max(100, Math.round(duration / 1000) * 10);
  const text =
    world.program === 'pi' ? piText(world, random, np) : world.program === 'training' ? trainingText(world, random, np, totalSteps) : genericText(world);
  const jobId = random.int(10_000, 65_000);

  const { atLaunch, ports } = sshLines(world, random);
  yield* atLaunch;
  yield { kind: 'log', atSimMs: STARTUP_SIM_MS, lines: text.start(ranks) };

  const failing = behaviour.outcome === 'Failed';
  const failAt = failing ? Math.max(STARTUP_SIM_MS, Math.min(duration, behaviour.failAfterMs)) : Number.POSITIVE_INFINITY;
  const endAt = duration;
  for (let at = STARTUP_SIM_MS + interval; at < Math.min(failAt, endAt); at += interval) {
    yield { kind: 'log', atSimMs: at, lines: text.progress(ranks, (at - STARTUP_SIM_MS) / (endAt - STARTUP_SIM_MS)) };
  }

  if (!failing) {
    yield { kind: 'log', atSimMs: endAt, lines: text.finish(ranks) };
    yield* disconnectSteps(world, ports, endAt + SUMMARY_SIM_MS);
    yield { kind: 'exit', atSimMs: endAt + SUMMARY_SIM_MS, exitCode: 0, reason: 'Completed' };
    return;
  }

  const failRank = Math.min(behaviour.failRank ?? 0, np - 1);
  const rank = ranks[failRank] ?? ranks[0];
  if (!rank) {
    yield { kind: 'exit', atSimMs: failAt, exitCode: 1, reason: 'Error' };
    return;
  }
  const onLauncher = rank.host.podName === world.launcherPodName;
  const after = failAt + SUMMARY_SIM_MS;
  switch (behaviour.failReason) {
    case 'OOMKilled': {
      if (onLauncher) {
        // The kernel kills the launcher container itself; nothing more gets printed.
        yield { kind: 'exit', atSimMs: failAt, exitCode: EXIT_CODE_KILLED, reason: 'OOMKilled' };
        return;
      }
      yield { kind: 'kill', atSimMs: failAt, podName: rank.host.podName, failure: 'OOMKilled' };
      yield { kind: 'log', atSimMs: after, lines: killedText(world.implementation, rank) };
      yield* disconnectSteps(world, ports, after, rank.host.podName);
      yield { kind: 'exit', atSimMs: after, exitCode: EXIT_CODE_KILLED, reason: 'Error' };
      return;
    }
    case 'Evicted': {
      if (!onLauncher) yield { kind: 'kill', atSimMs: failAt, podName: rank.host.podName, failure: 'Evicted' };
      yield { kind: 'log', atSimMs: after, lines: lostDaemonText(world.implementation, world, rank, jobId) };
      yield* disconnectSteps(world, ports, after, rank.host.podName);
      yield { kind: 'exit', atSimMs: after, exitCode: 1, reason: 'Error' };
      return;
    }
    default: {
      yield { kind: 'log', atSimMs: failAt, lines: text.lastWords(rank) };
      yield { kind: 'log', atSimMs: after, lines: exitErrorText(world.implementation, rank, jobId) };
      yield* disconnectSteps(world, ports, after);
      yield { kind: 'exit', atSimMs: after, exitCode: 1, reason: 'Error' };
    }
  }
}

/** The launcher's life when a host cannot be reached: ssh gives up, mpirun reports it and exits 1. */
export function* unreachableTimeline(implementation: string, host: string): Generator<TimelineStep> {
  yield { kind: 'log', atSimMs: 0, lines: unreachableText(implementation, host) };
  yield { kind: 'exit', atSimMs: 0, exitCode: 1, reason: 'Error' };
}
