// Container logs of the simulated kubelet. A real kubelet keeps logs on the node and the API
// server proxies `pods/log` to it; here the kubelet appends lines to this store and the API
// server's log endpoint reads them, in the same process. Keyed by pod uid so a pod recreated
// under the same name starts with an empty log, as on a real node.

import { EventEmitter } from 'node:events';

export interface LogLine {
  /** Milliseconds since the epoch, with sub-millisecond order kept by `seq`. */
  time: number;
  /** Monotonic per store: orders lines written in the same millisecond. */
  seq: number;
  text: string;
}

export interface ContainerInstanceKey {
  podUid: string;
  container: string;
  /** The container's restartCount when this instance ran; `previous` reads instance n-1. */
  instance: number;
}

interface InstanceLog {
  lines: LogLine[];
  terminated: boolean;
}

/** Lines kept per container instance; older lines are dropped, as kubelet log rotation does. */
export const MAX_LINES_PER_INSTANCE = 50_000;

export interface LogSink {
  append(key: ContainerInstanceKey, text: string): void;
  /** The instance has stopped: followers of it are told the stream is over. */
  terminate(key: ContainerInstanceKey): void;
  /** The pod was deleted: its logs go with it. */
  forgetPod(podUid: string): void;
}

export class LogStore implements LogSink {
  private readonly logs = new Map<string, InstanceLog>();
  private readonly events = new EventEmitter();
  private seq = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    // Every follower of a busy container listens on one key; many followers are expected.
    this.events.setMaxListeners(0);
  }

  private static keyOf(key: ContainerInstanceKey): string {
    return `${key.podUid}/${key.container}/${key.instance}`;
  }

  private instanceLog(key: ContainerInstanceKey): InstanceLog {
    const k = LogStore.keyOf(key);
    let log = this.logs.get(k);
    if (!log) {
      log = { lines: [], terminated: false };
      this.logs.set(k, log);
    }
    return log;
  }

  append(key: ContainerInstanceKey, text: string): void {
    const log = this.instanceLog(key);
    if (log.terminated) return;
    const line: LogLine = { time: this.now(), seq: ++this.seq, text };
    log.lines.push(line);
    if (log.lines.length > MAX_LINES_PER_INSTANCE) log.lines.splice(0, log.lines.length - MAX_LINES_PER_INSTANCE);
    this.events.emit(LogStore.keyOf(key), line);
  }

  terminate(key: ContainerInstanceKey): void {
    const log = this.instanceLog(key);
    if (log.terminated) return;
    log.terminated = true;
    this.events.emit(`${LogStore.keyOf(key)}:end`);
  }

  forgetPod(podUid: string): void {
    for (const k of [...this.logs.keys()]) {
      if (k.startsWith(`${podUid}/`)) {
        this.logs.delete(k);
        this.events.emit(`${k}:end`);
      }
    }
  }

  /** A snapshot of the lines so far and whether the instance has ended. */
  read(key: ContainerInstanceKey): { lines: readonly LogLine[]; terminated: boolean } {
    const log = this.logs.get(LogStore.keyOf(key));
    return log ? { lines: log.lines.slice(), terminated: log.terminated } : { lines: [], terminated: false };
  }

  /**
   * Calls `onLine` for each line appended after this call and `onEnd` once when the instance
   * terminates or its pod is forgotten. Returns the unsubscribe function.
   */
  follow(key: ContainerInstanceKey, onLine: (line: LogLine) => void, onEnd: () => void): () => void {
    const k = LogStore.keyOf(key);
    const end = () => {
      unsubscribe();
      onEnd();
    };
    const unsubscribe = () => {
      this.events.off(k, onLine);
      this.events.off(`${k}:end`, end);
    };
    this.events.on(k, onLine);
    this.events.once(`${k}:end`, end);
    return unsubscribe;
  }
}
