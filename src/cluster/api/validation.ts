// Object metadata validation the real server does for every kind (ValidateObjectMeta): names,
// label keys and values, annotation keys. Failures are 422 Invalid with the upstream wording, so
// kubectl prints the same `The Pod "X" is invalid: metadata.name: ...` it would on a real cluster.

import type { ResourceInfo } from './resources.ts';
import { labelKeyError, labelValueError } from './selectors.ts';
import { CAUSE, invalid, type StatusCause } from './status.ts';
import { isRecord, type KubeObject } from './types.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** Total size of all annotation keys and values (TotalAnnotationSizeLimitB). */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

type NameRule = (name: string) => string[];

function rule(pattern: RegExp, maxLength: number, message: string): NameRule {
  return (name) => {
    const errors: string[] = [];
    if (name.length > maxLength) errors.push(`must be no more than ${maxLength} characters`);
    if (!pattern.test(name)) errors.push(message);
    return errors;
  };
}

/** Namespaces are DNS labels, Services DNS-1035 labels, everything else DNS subdomains. */
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  namespaces: rule(DNS1123_LABEL, MAX_LABEL_LENGTH, LABEL_MESSAGE),
  services: rule(DNS1035_LABEL, MAX_LABEL_LENGTH, DNS1035_MESSAGE),
};
const DEFAULT_NAME_RULE = rule(DNS1123_SUBDOMAIN, MAX_SUBDOMAIN_LENGTH, SUBDOMAIN_MESSAGE);

function invalidValue(field: string, value: string, message: string): StatusCause {
  return { reason: CAUSE.invalid, message: `Invalid value: ${JSON.stringify(value)}: ${message}`, field };
}

export function nameErrors(info: ResourceInfo, name: string): string[] {
  return (NAME_RULES[info.resource] ?? DEFAULT_NAME_RULE)(name);
}

/**
 * Throws 422 Invalid when the object's metadata breaks the rules the real server applies on
 * create and update. `checkName` is false on update (the name cannot change there).
 */
export function validateObjectMeta(info: ResourceInfo, object: KubeObject, options: { checkName: boolean }): void {
  const meta = object.metadata;
  const causes: StatusCause[] = [];
  const name = meta.name ?? '';
  if (options.checkName) {
    if (name === '' && !meta.generateName) {
      causes.push({ reason: CAUSE.required, message: 'Required value: name or generateName is required', field: 'metadata.name' });
    }
    if (name !== '') {
      for (const message of nameErrors(info, name)) causes.push(invalidValue('metadata.name', name, message));
    }
    if (name === '' && meta.generateName) {
      // A prefix may end in '-': check it as the name it will become.
      const candidate = `${meta.generateName.replace(/-+$/, '')}a`;
      for (const message of nameErrors(info, candidate)) causes.push(invalidValue('metadata.generateName', meta.generateName, message));
    }
  }
  const labels: unknown = meta.labels;
  if (labels !== undefined && labels !== null) {
    if (!isRecord(labels)) causes.push({ reason: CAUSE.typeInvalid, message: 'Invalid value: must be a map of strings', field: 'metadata.labels' });
    else {
      for (const [key, value] of Object.entries(labels)) {
        const keyError = labelKeyError(key);
        if (keyError) causes.push(invalidValue('metadata.labels', key, keyError));
        if (typeof value !== 'string') causes.push(invalidValue('metadata.labels', String(value), 'must be a string'));
        else {
          const valueError = labelValueError(value);
          if (valueError) causes.push(invalidValue('metadata.labels', value, valueError));
        }
      }
    }
  }
  const annotations: unknown = meta.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (!isRecord(annotations)) causes.push({ reason: CAUSE.typeInvalid, message: 'Invalid value: must be a map of strings', field: 'metadata.annotations' });
    else {
      let size = 0;
      for (const [key, value] of Object.entries(annotations)) {
        const keyError = labelKeyError(key.toLowerCase());
        if (keyError) causes.push(invalidValue('metadata.annotations', key, keyError));
        size += Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
      }
      if (size > MAX_ANNOTATIONS_BYTES) {
        causes.push({ reason: CAUSE.tooLong, message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes`, field: 'metadata.annotations' });
      }
    }
  }
  if (causes.length > 0) throw invalid(info.kind, info.group, name || meta.generateName || '', causes);
}
