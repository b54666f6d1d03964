import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, PROTOBUF_CONTENT_TYPE } from './protobuf.ts';
import { StatusError } from './status.ts';

// A tiny protobuf encoder, enough to build the bodies kubectl would send. Fields are encoded as
// byte arrays and concatenated; `message` wraps them as a length-delimited field.

type Bytes = number[];

function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

function tag(field: number, wireType: number): Bytes {
  return varint((field << 3) | wireType);
}

function bytes(field: number, payload: Bytes | Uint8Array): Bytes {
  return [...tag(field, 2), ...varint(payload.length), ...payload];
}

function string(field: number, value: string): Bytes {
  return bytes(field, [...Buffer.from(value, 'utf8')]);
}

function int(field: number, value: number | bigint): Bytes {
  return [...tag(field, 0), ...varint(value)];
}

function message(field: number, ...parts: Bytes[]): Bytes {
  return bytes(field, parts.flat());
}

function stringEntry(field: number, key: string, value: string): Bytes {
  return message(field, string(1, key), string(2, value));
}

function envelope(apiVersion: string, kind: string, raw: Bytes, extra: Bytes[] = []): Buffer {
  return Buffer.from([
    0x6b, 0x38, 0x73, 0x00,
    ...message(1, string(1, apiVersion), string(2, kind)),
    ...bytes(2, raw),
    ...string(3, ''),
    ...string(4, ''),
    ...extra.flat(),
  ]);
}

/** The empty fields kubectl writes into every ObjectMeta besides the name. */
function kubectlMeta(name: string, ...more: Bytes[]): Bytes {
  return message(1, string(1, name), string(2, ''), string(3, ''), string(4, ''), string(5, ''), string(6, ''), int(7, 0), message(8), ...more);
}

function fromHex(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

function decodeError(body: Buffer): StatusError {
  try {
    decodeProtobufObject(body);
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('the body decoded without an error');
}

describe('decodeProtobufObject on bodies kubectl 1.32 sent', () => {
  it('names the protobuf media type', () => {
    expect(PROTOBUF_CONTENT_TYPE).toBe('application/vnd.kubernetes.protobuf');
  });

  it('decodes `kubectl create namespace foo`', () => {
    const body = fromHex(
      '6b387300 0a0f 0a027631 12094e616d657370616365 121b 0a13 0a03666f6f 1200 1a00 2200 2a00 3200 3800 4200 1200 1a02 0a00 1a00 2200',
    );
    expect(decodeProtobufObject(body)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo' } });
  });

  it('decodes `kubectl create job j1 --image=busybox -- echo hi there`', () => {
    const body = fromHex(
      '6b3873000a0f0a0862617463682f763112034a6f62128b010a120a026a3112001a0022002a00320038004200126b32690a100a0012001a0022002a00320038004200125512320a026a31120762757379626f781a046563686f1a0268691a0574686572652a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200',
    );
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j1' },
      spec: {
        template: {
          metadata: {},
          spec: { containers: [{ name: 'j1', image: 'busybox', command: ['echo', 'hi', 'there'] }], restartPolicy: 'Never' },
        },
      },
    });
  });

  it('decodes `kubectl create secret generic s1 --from-literal=password=hunter2`, data as base64', () => {
    const body = fromHex(
      '6b3873000a0c0a0276311206536563726574122b0a120a02733112001a0022002a0032003800420012130a0870617373776f7264120768756e746572321a001a002200',
    );
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1' },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
  });

  it('decodes `kubectl create quota q2 --hard=pods=10,requests.cpu=500m --scopes=NotTerminating`', () => {
    const body = fromHex(
      '6b3873000a130a027631120d5265736f7572636551756f7461124e0a120a02713212001a0022002a0032003800420012360a0c0a04706f647312040a0231300a160a0c72657175657374732e63707512060a043530306d120e4e6f745465726d696e6174696e671a001a002200',
    );
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q2' },
      spec: { hard: { pods: '10', 'requests.cpu': '500m' }, scopes: ['NotTerminating'] },
    });
  });

  it('decodes `kubectl create service clusterip svc1 --tcp=80:8080 --tcp=443:https`, with numeric and named target ports', () => {
    const body = fromHex(
      '6b3873000a0d0a0276311207536572766963651290010a210a047376633112001a0022002a003200380042005a0b0a0361707012047376633112670a1b0a0738302d38303830120354435018502207080010903f1a0028000a220a093434332d6874747073120354435018bb03220b080110001a0568747470732800120b0a036170701204737663311a002209436c757374657249503a00420052005a00600068001a020a001a002200',
    );
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc1', labels: { app: 'svc1' } },
      spec: {
        ports: [
          { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
          { name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https' },
        ],
        selector: { app: 'svc1' },
        type: 'ClusterIP',
      },
    });
  });
});

describe('decodeProtobufObject on encoded bodies', () => {
  it('decodes a ConfigMap with string and binary data', () => {
    const raw = [
      ...kubectlMeta('cfg'),
      ...stringEntry(2, 'hostfile', 'pi-worker-0.pi slots=2\n'),
      ...stringEntry(2, 'empty', ''),
      ...message(3, string(1, 'blob'), bytes(2, [0x00, 0xff, 0x10])),
      ...int(4, 1),
    ];
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { hostfile: 'pi-worker-0.pi slots=2\n', empty: '' },
      binaryData: { blob: 'AP8Q' },
      immutable: true,
    });
  });

  it('decodes every ObjectMeta field kubectl may send', () => {
    const fieldsV1 = JSON.stringify({ 'f:data': { 'f:a': {} } });
    const meta = message(
      1,
      string(1, 'pi'),
      string(2, 'pi-'),
      string(3, 'team-a'),
      string(4, '/api/v1/namespaces/team-a/configmaps/pi'),
      string(5, 'uid-1'),
      string(6, '42'),
      int(7, 3),
      message(8, int(1, Date.parse('2026-11-28T10:00:00Z') / 1000), int(2, 500)),
      message(9, int(1, Date.parse('2026-11-28T11:00:00Z') / 1000)),
      int(10, 0),
      stringEntry(11, 'app', 'pi'),
      stringEntry(11, 'training.kubeflow.org/job-name', 'pi'),
      stringEntry(12, 'note', 'hello'),
      message(13, string(1, 'MPIJob'), string(3, 'pi'), string(4, 'uid-0'), string(5, 'kubeflow.org/v2beta1'), int(6, 1), int(7, 1)),
      string(14, 'example.com/cleanup'),
      string(14, 'example.com/audit'),
      message(17, string(1, 'kubectl-create'), string(2, 'Update'), string(3, 'v1'), message(4, int(1, 1_800_000_000)), string(6, 'FieldsV1'), message(7, string(1, fieldsV1))),
    );
    const decoded = decodeProtobufObject(envelope('v1', 'ConfigMap', meta));
    expect(decoded.metadata).toEqual({
      name: 'pi',
      generateName: 'pi-',
      namespace: 'team-a',
      selfLink: '/api/v1/namespaces/team-a/configmaps/pi',
      uid: 'uid-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2026-11-28T10:00:00Z',
      deletionTimestamp: '2026-11-28T11:00:00Z',
      deletionGracePeriodSeconds: 0,
      labels: { app: 'pi', 'training.kubeflow.org/job-name': 'pi' },
      annotations: { note: 'hello' },
      ownerReferences: [{ apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', name: 'pi', uid: 'uid-0', controller: true, blockOwnerDeletion: true }],
      finalizers: ['example.com/cleanup', 'example.com/audit'],
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2027-01-15T08:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }],
    });
  });

  it('decodes a Namespace with finalizers and a phase', () => {
    const raw = [...kubectlMeta('team-b'), ...message(2, string(1, 'kubernetes')), ...message(3, string(1, 'Active'))];
    expect(decodeProtobufObject(envelope('v1', 'Namespace', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-b' },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('decodes a Secret with a type, string data and immutability', () => {
    const raw = [...kubectlMeta('pi-ssh'), ...message(2, string(1, 'ssh-publickey'), bytes(2, [...Buffer.from('ecdsa-sha2')])), ...string(3, 'kubernetes.io/ssh-auth'), ...stringEntry(4, 'note', 'plain'), ...int(5, 0)];
    expect(decodeProtobufObject(envelope('v1', 'Secret', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pi-ssh' },
      data: { 'ssh-publickey': Buffer.from('ecdsa-sha2').toString('base64') },
      type: 'kubernetes.io/ssh-auth',
      stringData: { note: 'plain' },
      immutable: false,
    });
  });

  it('decodes ResourceQuota status quantities and scope selectors', () => {
    const quantity = (key: string, value: string): Bytes => [...string(1, key), ...message(2, string(1, value))];
    const raw = [
      ...kubectlMeta('q'),
      ...message(2, message(1, ...[quantity('limits.cpu', '8')]), message(3, message(1, string(1, 'PriorityClass'), string(2, 'In'), string(3, 'high')))),
      ...message(3, message(1, ...[quantity('limits.cpu', '8')]), message(2, ...[quantity('limits.cpu', '2500m')])),
    ];
    expect(decodeProtobufObject(envelope('v1', 'ResourceQuota', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q' },
      spec: { hard: { 'limits.cpu': '8' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
      status: { hard: { 'limits.cpu': '8' }, used: { 'limits.cpu': '2500m' } },
    });
  });

  it('keeps optional Job fields that are present even when zero, and reads negative numbers', () => {
    const container = message(2, string(1, 'launcher'), string(2, 'mpi:1'), string(4, '--np'), string(4, '4'), string(5, '/work'), message(8, message(1, string(1, 'cpu'), message(2, string(1, '2')))), string(14, 'IfNotPresent'));
    const podSpec = message(2, container, string(3, 'OnFailure'), string(10, 'node-1'), message(7, string(1, 'gpu'), string(2, 'a100')), string(8, 'mpi-launcher'));
    const template = message(6, message(1, stringEntry(11, 'training.kubeflow.org/job-role', 'launcher')), podSpec);
    const spec = message(
      2,
      int(2, 1),
      int(3, -1),
      message(4, stringEntry(1, 'batch.kubernetes.io/controller-uid', 'abc'), message(2, string(1, 'tier'), string(2, 'In'), string(3, 'mpi'))),
      template,
      int(7, 0),
      int(8, 60),
      string(9, 'NonIndexed'),
      int(10, 0),
    );
    expect(decodeProtobufObject(envelope('batch/v1', 'Job', [...kubectlMeta('pi-launcher'), ...spec]))).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi-launcher' },
      spec: {
        completions: 1,
        activeDeadlineSeconds: -1,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['mpi'] }] },
        template: {
          metadata: { labels: { 'training.kubeflow.org/job-role': 'launcher' } },
          spec: {
            containers: [{ name: 'launcher', image: 'mpi:1', args: ['--np', '4'], workingDir: '/work', resources: { limits: { cpu: '2' } }, imagePullPolicy: 'IfNotPresent' }],
            restartPolicy: 'OnFailure',
            nodeName: 'node-1',
            nodeSelector: { gpu: 'a100' },
            serviceAccountName: 'mpi-launcher',
          },
        },
        backoffLimit: 0,
        ttlSecondsAfterFinished: 60,
        completionMode: 'NonIndexed',
        suspend: false,
      },
    });
  });

  it('skips unknown fields of every wire type, in the envelope and in the object', () => {
    const unknown: Bytes = [
      ...int(99, 7),
      ...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8,
      ...tag(97, 5), 1, 2, 3, 4,
      ...string(96, 'ignored'),
      ...tag(95, 3), ...int(1, 5), ...string(2, 'inside a group'), ...tag(95, 4),
    ];
    const raw = [...kubectlMeta('cfg', unknown), ...unknown, ...stringEntry(2, 'a', '1')];
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw, [unknown]))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { a: '1' },
    });
  });
});

describe('decodeProtobufObject errors', () => {
  const valid = envelope('v1', 'Namespace', kubectlMeta('foo'));

  it('answers 400 BadRequest for a body without the k8s magic prefix', () => {
    const error = decodeError(Buffer.from('{"kind":"Namespace"}'));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
  });

  it('answers 400 BadRequest for a truncated body', () => {
    expect(decodeError(valid.subarray(0, valid.length - 20)).code).toBe(400);
  });

  it('answers 400 BadRequest for a truncated varint', () => {
    expect(decodeError(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x08, 0x80])).code).toBe(400);
  });

  it('answers 400 BadRequest when a known field has the wrong wire type', () => {
    expect(decodeError(envelope('v1', 'Namespace', int(1, 5))).code).toBe(400);
  });

  it('answers 400 BadRequest for a string that is not UTF-8', () => {
    expect(decodeError(envelope('v1', 'Namespace', message(1, bytes(1, [0xc3, 0x28])))).code).toBe(400);
  });

  it('answers 400 BadRequest for an unbalanced group', () => {
    expect(decodeError(envelope('v1', 'Namespace', [...tag(5, 3), ...int(1, 1)])).code).toBe(400);
  });

  it('answers 415 UnsupportedMediaType for a kind it cannot decode', () => {
    const error = decodeError(envelope('apps/v1', 'Deployment', kubectlMeta('d')));
    expect(error.code).toBe(415);
    expect(error.reason).toBe('UnsupportedMediaType');
    expect(error.message).toContain('Deployment');
  });

  it('answers 415 UnsupportedMediaType for an envelope without a type', () => {
    expect(decodeError(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, kubectlMeta('x'))])).code).toBe(415);
  });

  it('answers 415 UnsupportedMediaType for a compressed object', () => {
    const compressed = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...message(1, string(1, 'v1'), string(2, 'Namespace')), ...bytes(2, []), ...string(3, 'gzip')]);
    expect(decodeError(compressed).code).toBe(415);
  });
});
