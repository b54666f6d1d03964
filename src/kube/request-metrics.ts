// Counts every Kubernetes API request the gateway makes, by verb, resource and response code,
// so /metrics, tests and benchmarks can prove that cached reads cost no API call.

export type KubeVerb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'other';

export interface KubeRequestSample {
  verb: KubeVerb;
  resource: string;
  /** HTTP status, or `error` when no response arrived (connection refused, timeout). */
  code: string;
  count: number;
}

/** The code recorded for a request that got no HTTP response. */
export const NO_RESPONSE_CODE = 'error';

export interface RequestTarget {
  verb: KubeVerb;
  /** Plural resource with its subresource (`pods`, `pods/log`, `mpijobs`); `other` for non-resource paths. */
  resource: string;
}

/**
 * Reads verb and resource from a Kubernetes API path, the way the API server's request info
 * does: `/api/v1/namespaces/ns/pods/name/log` is a `get` of `pods/log`.
 */
export function classifyRequest(method: string, url: string): RequestTarget {
  const parsed = new URL(url, 'http://placeholder');
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  let rest: string[];
  if (segments[0] === 'api') rest = segments.slice(2);
  else if (segments[0] === 'apis') rest = segments.slice(3);
  else return { verb: 'other', resource: 'other' };
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  if (resource === undefined) return { verb: 'other', resource: 'other' };
  const fullResource = subresource ? `${resource}/${subresource}` : resource;
  const watch = parsed.searchParams.get('watch');
  const upper = method.toUpperCase();
  let verb: KubeVerb = 'other';
  if (upper === 'GET') verb = watch === 'true' || watch === '1' ? 'watch' : name ? 'get' : 'list';
  else if (upper === 'POST') verb = 'create';
  else if (upper === 'PUT') verb = 'update';
  else if (upper === 'PATCH') verb = 'patch';
  else if (upper === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  return { verb, resource: fullResource };
}

export class KubeRequestCounter {
  private readonly counts = new Map<string, KubeRequestSample>();

  record(target: RequestTarget, code: number | string): void {
    const codeText = String(code);
    const key = `${target.verb}\u0000${target.resource}\u0000${codeText}`;
    const sample = this.counts.get(key);
    if (sample) sample.count += 1;
    else this.counts.set(key, { verb: target.verb, resource: target.resource, code: codeText, count: 1 });
  }

  samples(): KubeRequestSample[] {
    return [...this.counts.values()].map((s) => ({ ...s }));
  }

  /** Total requests, optionally only those matching a predicate. */
  total(filter: (sample: KubeRequestSample) => boolean = () => true): number {
    let sum = 0;
    for (const sample of this.counts.values()) if (filter(sample)) sum += sample.count;
    return sum;
  }
}
