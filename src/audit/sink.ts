// Where audit records go: stdout and an append-only file. `AuditLog.record` resolves only when
// every sink has the line (the file's data synced to disk), and callers wait for it before they
// answer, so a crash after a response cannot lose the record of what it reported.

import { closeSync, fdatasync, mkdirSync, openSync, write } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { auditRecord, type AuditEntry, type AuditRecord } from './record.ts';

/** The audit file's name in the data directory. */
export const AUDIT_FILE = 'audit.log';
/** Owner read/write only: records name people and what they did. */
const AUDIT_FILE_MODE = 0o600;

export interface AuditSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

/** Appends lines to a file opened O_APPEND (never truncated or rewritten), each synced before it counts as written. */
export class FileAuditSink implements AuditSink {
  readonly path: string;
  private fd: number | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', AUDIT_FILE_MODE);
  }

  write(line: string): Promise<void> {
    const data = Buffer.from(line, 'utf8');
    // One write at a time keeps lines whole and in order.
    const next = this.queue.then(() => this.append(data));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private append(data: Buffer): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return Promise.reject(new Error(`the audit file ${this.path} is closed`));
    return new Promise((resolve, reject) => {
      const writeFrom = (offset: number): void => {
        write(fd, data, offset, data.length - offset, null, (error, written) => {
          if (error) return reject(error);
          if (offset + written < data.length) return writeFrom(offset + written);
          fdatasync(fd, (syncError) => (syncError ? reject(syncError) : resolve()));
        });
      };
      writeFrom(0);
    });
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Writes lines to a stream (stdout), resolving once the stream has taken each one. */
export class StreamAuditSink implements AuditSink {
  private readonly stream: Writable;

  constructor(stream: Writable) {
    this.stream = stream;
  }

  write(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(line, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {}
}

export interface AuditLogOptions {
  sinks: readonly AuditSink[];
  /** Default Date.now. */
  now?: () => number;
  /** Told when a sink fails; the record still goes to the others. Default: nothing. */
  onError?: (error: unknown) => void;
}

export class AuditLog {
  private readonly sinks: readonly AuditSink[];
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;

  constructor(options: AuditLogOptions) {
    this.sinks = options.sinks;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Writes one record as one JSON line to every sink; resolves when all have it (or failed and were reported). */
  async record(entry: AuditEntry): Promise<AuditRecord> {
    const record = auditRecord(entry, this.now());
    const line = `${JSON.stringify(record)}\n`;
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.write(line)));
    for (const result of results) if (result.status === 'rejected') this.onError(result.reason);
    return record;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sinks.map((sink) => sink.close()));
  }
}
