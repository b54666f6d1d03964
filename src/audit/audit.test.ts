// Audit records from real GraphQL executions (in-memory caches, hand-made viewers), written to a
// temporary file and an in-memory stream.

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { graphql } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeCluster, mpiJob, namespace } from '../../test/utils/graph-fixtures.ts';
import { applyPermissions } from '../auth/permissions.ts';
import { KubernetesUnavailableError } from '../errors.ts';
import { createGraphContext } from '../graph/context.ts';
import { buildSchema } from '../graph/schema.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { auditMiddleware } from './middleware.ts';
import type { AuditRecord } from './record.ts';
import { AuditLog, FileAuditSink, StreamAuditSink, type AuditSink } from './sink.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  dirs.push(dir);
  return dir;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function alice(grants: string[]): Viewer {
  return {
    username: 'alice',
    groups: ['system:authenticated'],
    canRead: (ns) => ns === 'team-a',
    can: async (a) => grants.includes(`${a.verb} ${a.namespace}`),
    impersonation: { user: 'alice', groups: [] },
  };
}

function setup(file: string) {
  const fake = createFakeCluster();
  fake.caches.namespaces.upsert(namespace('team-a'));
  fake.caches.namespaces.upsert(namespace('team-b'));
  fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'team-a', workers: 1, conditions: [['Created', 'True']] }));
  const stdout = new Capture();
  const audit = new AuditLog({ sinks: [new StreamAuditSink(stdout), new FileAuditSink(file)], now: () => Date.parse('2026-11-28T12:00:00.000Z') });
  const permitted = applyPermissions(buildSchema());
  const schema = applyMiddleware(permitted, auditMiddleware(permitted, { audit }));
  const run = (source: string, who: Viewer) =>
    graphql({ schema, source, contextValue: createGraphContext(fake.services(), who, pino({ level: 'silent' }), { id: 'req-1', sourceAddress: '10.0.0.7' }) });
  return { fake, run, stdout, audit };
}

const records = (text: string): AuditRecord[] => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);

describe('audit records of mutations', () => {
  it('records an allowed, successful mutation with who, where from, what and the outcome, in the file and on stdout', async () => {
    const file = join(tempDir(), 'audit.log');
    const { run, stdout } = setup(file);
    const result = await run('mutation { suspendMPIJob(namespace: "team-a", name: "pi") { errors { code } } }', alice(['patch team-a']));
    expect(result.errors).toBeUndefined();
    const [record] = records(readFileSync(file, 'utf8'));
    expect(record).toEqual({
      kind: 'audit',
      time: '2026-11-28T12:00:00.000Z',
      requestId: 'req-1',
      user: 'alice',
      groups: ['system:authenticated'],
      sourceAddress: '10.0.0.7',
      operation: 'suspendMPIJob',
      namespace: 'team-a',
      name: 'pi',
      dryRun: false,
      decision: 'allow',
      outcome: 'success',
      errorCode: null,
    });
    expect(stdout.text).toBe(readFileSync(file, 'utf8'));
  });

  it('records a mutation the rules refused as denied, with its code', async () => {
    const file = join(tempDir(), 'audit.log');
    const { run, fake } = setup(file);
    await run('mutation { createMPIJob(input: { name: "x", namespace: "team-b", image: "i", workers: 1 }, dryRun: true) { errors { code } } }', alice([]));
    expect(fake.writes).toHaveLength(0);
    expect(records(readFileSync(file, 'utf8'))[0]).toMatchObject({ operation: 'createMPIJob', namespace: 'team-b', name: 'x', dryRun: true, decision: 'deny', outcome: 'failure', errorCode: 'FORBIDDEN' });
  });

  it('records a mutation answered with user errors as failed with the first error code', async () => {
    const file = join(tempDir(), 'audit.log');
    const { run } = setup(file);
    await run('mutation { deleteMPIJob(namespace: "team-a", name: "missing") { deletedId } }', alice(['delete team-a']));
    expect(records(readFileSync(file, 'utf8'))[0]).toMatchObject({ decision: 'allow', outcome: 'failure', errorCode: 'NOT_FOUND', name: 'missing' });
  });

  it('records a mutation that failed with an error, and still lets the error through', async () => {
    const file = join(tempDir(), 'audit.log');
    const { run, fake } = setup(file);
    fake.ready = false;
    const result = await run('mutation { resumeMPIJob(namespace: "team-a", name: "pi") { errors { code } } }', alice(['patch team-a']));
    expect(result.errors?.[0]).toBeInstanceOf(Error);
    expect(result.errors?.[0]?.originalError).toBeInstanceOf(KubernetesUnavailableError);
    expect(records(readFileSync(file, 'utf8'))[0]).toMatchObject({ decision: 'allow', outcome: 'failure', errorCode: 'KUBERNETES_UNAVAILABLE' });
  });

  it('never writes the manifest or any argument other than namespace and name', async () => {
    const file = join(tempDir(), 'audit.log');
    const { run } = setup(file);
    const manifest = 'apiVersion: kubeflow.org/v2beta1\\nkind: MPIJob\\nmetadata: { name: m, namespace: team-a, annotations: { secret: s3cr3t-value } }\\nspec: {}';
    await run(`mutation { createMPIJobFromManifest(manifest: "${manifest}") { errors { code } } }`, alice(['create team-a']));
    const text = readFileSync(file, 'utf8');
    expect(records(text)[0]).toMatchObject({ operation: 'createMPIJobFromManifest', namespace: 'team-a', name: 'm' });
    expect(text).not.toContain('s3cr3t-value');
  });
});

describe('audit sinks', () => {
  it('appends to an existing file and never truncates it, readable only by its owner', async () => {
    const file = join(tempDir(), 'nested', 'audit.log');
    const first = new FileAuditSink(file);
    await first.write('one\n');
    await first.close();
    const second = new FileAuditSink(file);
    await Promise.all([second.write('two\n'), second.write('three\n')]);
    await second.close();
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('still writes to the other sinks when one fails, and reports the failure', async () => {
    const stdout = new Capture();
    const failures: unknown[] = [];
    const broken: AuditSink = { write: () => Promise.reject(new Error('disk full')), close: async () => undefined };
    const audit = new AuditLog({ sinks: [broken, new StreamAuditSink(stdout)], onError: (e) => failures.push(e) });
    await audit.record({ requestId: 'r', user: 'a', groups: [], sourceAddress: null, operation: 'deleteMPIJob', namespace: 'n', name: 'x', dryRun: false, decision: 'allow', outcome: 'success', errorCode: null });
    expect(records(stdout.text)).toHaveLength(1);
    expect(failures).toHaveLength(1);
  });
});
