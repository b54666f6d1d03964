// One audit record: who tried what, on which object, what the gateway (and the API server)
// decided, and how it ended. Written for every mutation attempt and every log stream opened.
// Records name people and objects, never credentials: there is no field a token could reach.

/** Marks audit lines among the application's own log lines on stdout. */
export const AUDIT_LOG_KIND = 'audit';

/** `deny`: the gateway's rules or the API server's RBAC refused the caller. */
export type AuditDecision = 'allow' | 'deny';
/** `success`: the change was made (or, for a dry run, would have been; for a log stream, it opened). */
export type AuditOutcome = 'success' | 'failure';

export interface AuditRecord {
  kind: typeof AUDIT_LOG_KIND;
  /** RFC 3339 with milliseconds. */
  time: string;
  requestId: string;
  /** Null when the caller was not authenticated. */
  user: string | null;
  groups: string[];
  sourceAddress: string | null;
  /** The GraphQL field: `createMPIJob`, `deleteMPIJob`, ... or a log subscription. */
  operation: string;
  namespace: string | null;
  name: string | null;
  dryRun: boolean;
  decision: AuditDecision;
  outcome: AuditOutcome;
  /** The error code when it did not succeed (`FORBIDDEN`, `QUOTA_EXCEEDED`, ...), else null. */
  errorCode: string | null;
}

export type AuditEntry = Omit<AuditRecord, 'kind' | 'time'>;

export function auditRecord(entry: AuditEntry, nowMs: number): AuditRecord {
  return { kind: AUDIT_LOG_KIND, time: new Date(nowMs).toISOString(), ...entry };
}
