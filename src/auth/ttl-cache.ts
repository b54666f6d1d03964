// A small map whose entries expire, with a hard size bound: shared answers (access decisions,
// reviewed tokens) may be reused for a short while, and no caller can grow it without limit.

export interface TtlCacheOptions {
  ttlMs: number;
  /** Oldest entries are dropped past this many. */
  maxEntries: number;
  /** Default Date.now. */
  now?: () => number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TtlCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** `ttlMs` shortens the default for this entry (never lengthens it). */
  set(key: string, value: V, ttlMs: number = this.ttlMs): void {
    this.entries.delete(key);
    // Map iteration order is insertion order: the first keys are the oldest.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs: this.now() + Math.min(ttlMs, this.ttlMs) });
  }

  clear(): void {
    this.entries.clear();
  }
}
