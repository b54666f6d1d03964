// Field errors (causes) worded as k8s.io/apimachinery/pkg/util/validation/field words them, so a
// 422 from the emulator reads like one from a real API server: `<type>[: <value>][: <detail>]`.

import { CAUSE, type StatusCause } from '../status.ts';

/** Renders a bad value the way Go's field.Error does: strings quoted, scalars bare, the rest as JSON. */
export function formatFieldValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function withDetail(body: string, detail: string | undefined): string {
  return detail ? `${body}: ${detail}` : body;
}

export function requiredCause(field: string, detail?: string): StatusCause {
  return { reason: CAUSE.required, message: withDetail('Required value', detail), field };
}

export function invalidCause(field: string, value: unknown, detail?: string): StatusCause {
  return { reason: CAUSE.invalid, message: withDetail(`Invalid value: ${formatFieldValue(value)}`, detail), field };
}

/** A value of the wrong JSON type; Go prints it as "Invalid value" too, only the reason differs. */
export function typeInvalidCause(field: string, value: unknown, detail?: string): StatusCause {
  return { reason: CAUSE.typeInvalid, message: withDetail(`Invalid value: ${formatFieldValue(value)}`, detail), field };
}

export function notSupportedCause(field: string, value: unknown, supported: readonly string[]): StatusCause {
  const list = supported.length > 0 ? `: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { reason: CAUSE.notSupported, message: `Unsupported value: ${formatFieldValue(value)}${list}`, field };
}

/** Child path of an object field: `spec` + `slotsPerWorker` -> `spec.slotsPerWorker`. */
export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

/** Path of a list item: `containers[0]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Path of a Go map entry as field.Path.Key writes it: `spec.mpiReplicaSpecs[Worker]`. */
export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}
