import { describe, expect, it } from 'vitest';
import { dropUnknownFields, FIELD_VALIDATION, goFormat, goJson, parseFieldValidation, strictBodyError, strictPatchError } from './field-validation.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import { StatusError } from './status.ts';

function resource(group: string, version: string, name: string): ResourceInfo {
  const info = findResource(group, version, name);
  if (!info) throw new Error(`no resource ${name}`);
  return info;
}

const configmaps = resource('', 'v1', 'configmaps');
const mpijobs = resource('kubeflow.org', 'v2beta1', 'mpijobs');
const LAUNCHER = { Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'l', image: 'x' }] } } } };

describe('parseFieldValidation', () => {
  it('defaults to Warn and refuses other values with 422 on the options kind, listing the real server\'s values', () => {
    expect(parseFieldValidation(new URLSearchParams(), 'CreateOptions')).toBe(FIELD_VALIDATION.warn);
    expect(parseFieldValidation(new URLSearchParams('fieldValidation=Strict'), 'PatchOptions')).toBe(FIELD_VALIDATION.strict);
    let refusal: unknown;
    try {
      parseFieldValidation(new URLSearchParams('fieldValidation=Bad'), 'CreateOptions');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StatusError);
    expect((refusal as StatusError).body).toMatchObject({
      code: 422,
      message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bad": supported values: "", "Ignore", "Strict", "Warn"',
      details: { group: 'meta.k8s.io', kind: 'CreateOptions' },
    });
  });
});

describe('dropUnknownFields', () => {
  it('prunes a custom resource by its schema and reports the paths sorted, metadata included', () => {
    const decoded = dropUnknownFields(mpijobs, {
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: { name: 'j', foo: 1 },
      spec: { mpiReplicaSpecs: LAUNCHER, bogus: 1, alpha: { x: 1 } },
      zzz: 2,
    });
    expect(decoded.unknown).toEqual(['metadata.foo', 'spec.alpha', 'spec.bogus', 'zzz']);
    expect(decoded.object).toMatchObject({ apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', metadata: { name: 'j' }, spec: { mpiReplicaSpecs: LAUNCHER } });
    expect(decoded.object).not.toHaveProperty('zzz');
    expect(decoded.object.spec).not.toHaveProperty('bogus');
  });

  it('decodes a custom resource as its schema says: a disallowed null dropped and the defaults filled in', () => {
    const decoded = dropUnknownFields(mpijobs, { metadata: { name: 'j' }, spec: { mpiReplicaSpecs: LAUNCHER, slotsPerWorker: null } });
    expect(decoded.unknown).toEqual([]);
    expect(decoded.object.spec).toMatchObject({ mpiReplicaSpecs: LAUNCHER, slotsPerWorker: 1, mpiImplementation: 'OpenMPI' });
  });

  it('checks a built-in kind\'s top level and metadata, reporting fields in the order they came', () => {
    const decoded = dropUnknownFields(configmaps, { metadata: { name: 'c', foo: 2 }, data: { a: '1' }, foo: 1, bar: { x: 1 } });
    expect(decoded.unknown).toEqual(['metadata.foo', 'foo', 'bar']);
    expect(decoded.object).toEqual({ metadata: { name: 'c' }, data: { a: '1' } });
  });
});

describe('strict errors', () => {
  it('refuses a create or update body with 400 and the decoder\'s message', () => {
    expect(strictBodyError(mpijobs, ['spec.alpha', 'spec.bogus']).body).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'MPIJob in version "v2beta1" cannot be handled as a MPIJob: strict decoding error: unknown field "spec.alpha", unknown field "spec.bogus"',
    });
  });

  it('refuses a patch with 422 on the field "patch", quoting what could not be decoded', () => {
    expect(strictPatchError(goFormat({ foo: 1 }), ['foo']).body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: ' "" is invalid: patch: Invalid value: "map[foo:1]": strict decoding error: unknown field "foo"',
      reason: 'Invalid',
      details: { causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "map[foo:1]": strict decoding error: unknown field "foo"', field: 'patch' }] },
      code: 422,
    });
  });
});

describe('Go renderings', () => {
  it('writes JSON with sorted keys and escaped HTML characters, as encoding/json does', () => {
    expect(goJson({ b: 1, a: { d: '<&>', c: [2] } })).toBe('{"a":{"c":[2],"d":"\\u003c\\u0026\\u003e"},"b":1}');
  });

  it('prints decoded values as %v does, numbers as float64', () => {
    expect(goFormat({ b: [1, 'x'], a: { c: true }, d: null, e: 1_000_000, f: 123_456, g: 0.5 })).toBe('map[a:map[c:true] b:[1 x] d:<nil> e:1e+06 f:123456 g:0.5]');
  });
});
