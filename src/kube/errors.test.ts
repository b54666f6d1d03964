import { describe, expect, it } from 'vitest';
import { BadUserInputError, ConflictError, ForbiddenError, KubernetesUnavailableError, NotFoundError, QuotaExceededError } from '../errors.ts';
import { KubeApiError, KubeUnreachableError, mapKubeError, parseQuotaMessage } from './errors.ts';

const status = (code: number, reason: string, message: string, causes?: Array<{ field: string; message: string }>) =>
  new KubeApiError(code, { kind: 'Status', code, reason, message, ...(causes ? { details: { causes } } : {}) }, 'fallback');

describe('mapKubeError', () => {
  it('maps 404, 409 and 403 onto the closed error set with the server message', () => {
    const notFound = mapKubeError(status(404, 'NotFound', 'mpijobs.kubeflow.org "x" not found'));
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as Error).message).toBe('mpijobs.kubeflow.org "x" not found');
    expect(mapKubeError(status(409, 'AlreadyExists', 'exists'))).toBeInstanceOf(ConflictError);
    expect(mapKubeError(status(403, 'Forbidden', 'User "alice" cannot create resource "mpijobs"'))).toBeInstanceOf(ForbiddenError);
  });

  it('keeps the causes of a 422 as field errors', () => {
    const mapped = mapKubeError(status(422, 'Invalid', 'MPIJob.kubeflow.org "x" is invalid', [{ field: 'spec.mpiImplementation', message: 'Unsupported value: "Foo"' }]));
    expect(mapped).toBeInstanceOf(BadUserInputError);
    expect((mapped as BadUserInputError).extensions['fieldErrors']).toEqual([{ path: [], field: 'spec.mpiImplementation', message: 'Unsupported value: "Foo"' }]);
  });

  it('turns a quota refusal into QUOTA_EXCEEDED with the shortfall per resource', () => {
    const message =
      'pods "pi-worker-1" is forbidden: exceeded quota: team-a-quota, requested: limits.cpu=2,pods=1, used: limits.cpu=7,pods=4, limited: limits.cpu=8,pods=4';
    const mapped = mapKubeError(status(403, 'Forbidden', message));
    expect(mapped).toBeInstanceOf(QuotaExceededError);
    expect((mapped as QuotaExceededError).shortfall).toEqual([
      { quota: 'team-a-quota', resource: 'limits.cpu', requested: '2', used: '7', hard: '8', shortfall: '1' },
      { quota: 'team-a-quota', resource: 'pods', requested: '1', used: '4', hard: '4', shortfall: '1' },
    ]);
  });

  it('reports an unreachable or failing API server as KUBERNETES_UNAVAILABLE', () => {
    expect(mapKubeError(new KubeUnreachableError('connect ECONNREFUSED 127.0.0.1:6443'))).toBeInstanceOf(KubernetesUnavailableError);
    expect(mapKubeError(status(503, 'ServiceUnavailable', 'down'))).toBeInstanceOf(KubernetesUnavailableError);
    expect(mapKubeError(status(401, 'Unauthorized', 'Unauthorized'))).toBeInstanceOf(KubernetesUnavailableError);
  });

  it('passes errors it does not know through, to be masked later', () => {
    const error = new TypeError('bug');
    expect(mapKubeError(error)).toBe(error);
  });
});

describe('parseQuotaMessage', () => {
  it('reads memory amounts in the quota\'s own units, ignoring trailing punctuation', () => {
    expect(parseQuotaMessage('exceeded quota: q, requested: requests.memory=2Gi, used: requests.memory=15Gi, limited: requests.memory=16Gi.')).toEqual([
      { quota: 'q', resource: 'requests.memory', requested: '2Gi', used: '15Gi', hard: '16Gi', shortfall: '1Gi' },
    ]);
  });
});
