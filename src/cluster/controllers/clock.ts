// Simulated time. Durations the simulation talks about (a job runs for 90 s, an image pull takes
// 3 s, a Job's activeDeadlineSeconds) are simulated; `timeScale` maps them onto real timers, so a
// time scale of 60 runs a 60 s job in one real second. Timestamps written into objects stay real
// wall-clock time, so clients see ages and durations that agree with their own clocks.

export interface SimClockOptions {
  /** Simulated time runs this many times faster than real time. Default 1. */
  timeScale?: number;
  /** Real wall clock in milliseconds. Default Date.now. */
  now?: () => number;
}

export class SimClock {
  readonly timeScale: number;
  private readonly realNow: () => number;

  constructor(options: SimClockOptions = {}) {
    const scale = options.timeScale ?? 1;
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`timeScale must be a positive number, got ${scale}`);
    this.timeScale = scale;
    this.realNow = options.now ?? Date.now;
  }

  /** Real wall-clock milliseconds since the epoch. */
  now(): number {
    return this.realNow();
  }

  /** How many real milliseconds a simulated duration lasts. */
  toRealMs(simMs: number): number {
    return Math.max(0, simMs / this.timeScale);
  }

  /** How much simulated time has passed since a real instant. */
  simElapsedSince(realMs: number): number {
    return Math.max(0, (this.realNow() - realMs) * this.timeScale);
  }
}

/**
 * Every timer a controller sets, so that stopping the controller clears them all at once and no
 * forgotten timer keeps the process alive or fires into a stopped cluster.
 */
export class TimerSet {
  private readonly handles = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  /** Runs `fn` after `realMs`; returns a cancel function. A stopped set runs nothing. */
  after(realMs: number, fn: () => void): () => void {
    if (this.stopped) return () => {};
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      if (!this.stopped) fn();
    }, Math.max(0, realMs));
    this.handles.add(handle);
    return () => {
      clearTimeout(handle);
      this.handles.delete(handle);
    };
  }

  /** Resolves after `realMs`, or at once when the set is stopped meanwhile. */
  sleep(realMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) {
        resolve();
        return;
      }
      const handle = setTimeout(() => {
        this.handles.delete(handle);
        this.sleepers.delete(resolve);
        resolve();
      }, Math.max(0, realMs));
      this.handles.add(handle);
      this.sleepers.add(resolve);
    });
  }

  get size(): number {
    return this.handles.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }
}
