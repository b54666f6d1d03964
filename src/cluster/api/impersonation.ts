// User impersonation (`Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid`,
// `Impersonate-Extra-<key>`), as the real server's WithImpersonation filter does it: every
// requested identity part is authorized for the caller with the `impersonate` verb (users,
// groups and serviceaccounts in the core group; uids and userextras in authentication.k8s.io),
// and the request then runs as the impersonated user. A gateway sends its callers' writes this
// way, so RBAC and quota apply to the person, not to the gateway.

import type { UserInfo } from './admission.ts';
import { ALL_AUTHENTICATED_GROUP, ALL_UNAUTHENTICATED_GROUP, ANONYMOUS_USERNAME, DECISION, forbiddenError, type Authorizer, type ResourceAttributes } from './authorization.ts';
import { serviceAccountGroups, serviceAccountUsername, splitServiceAccountUsername } from './rbac.ts';
import { StatusError, STATUS_REASON } from './status.ts';

/** Header names as Node presents them (lower case). */
export const IMPERSONATE_USER_HEADER = 'impersonate-user';
export const IMPERSONATE_GROUP_HEADER = 'impersonate-group';
export const IMPERSONATE_UID_HEADER = 'impersonate-uid';
export const IMPERSONATE_EXTRA_HEADER_PREFIX = 'impersonate-extra-';

export const IMPERSONATE_VERB = 'impersonate';
const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const AUTHENTICATION_VERSION = 'v1';

/** Every value of every header, one entry per header line: Node's `req.headersDistinct`. */
export type HeaderLines = Readonly<Record<string, readonly string[] | undefined>>;

export interface ImpersonationOptions {
  /** Pass `req.headersDistinct`: a repeated Impersonate-Group line is one group each. */
  headers: HeaderLines;
  /** The authenticated caller. */
  requestor: UserInfo;
  authorizer: Authorizer;
  /** Path and query as sent; quoted in the 500 for groups without a user. Default ''. */
  requestUri?: string;
}

export interface ImpersonationOutcome {
  /** Who the request runs as: the requestor when nothing was impersonated. */
  user: UserInfo;
  /** The authenticated caller when `user` is impersonated (for audit); undefined otherwise. */
  impersonatedBy: UserInfo | undefined;
  /** `Impersonate-Extra-<key>` values by (lower-cased, %-decoded) key; UserInfo has no room for them. */
  extra: Record<string, string[]>;
}

type Request =
  | { kind: 'ServiceAccount'; namespace: string; name: string }
  | { kind: 'User'; name: string }
  | { kind: 'Group'; name: string }
  | { kind: 'UserExtra'; key: string; value: string }
  | { kind: 'UID'; uid: string };

/** Go's `%v` of the ObjectReference upstream builds: `{Kind Namespace Name UID APIVersion ResourceVersion FieldPath}`. */
function describeRequest(request: Request): string {
  const fields = (kind: string, namespace: string, name: string, apiVersion: string, fieldPath: string) =>
    `{${[kind, namespace, name, '', apiVersion, '', fieldPath].join(' ')}}`;
  const authenticationVersion = `${AUTHENTICATION_GROUP}/${AUTHENTICATION_VERSION}`;
  switch (request.kind) {
    case 'ServiceAccount':
      return fields(request.kind, request.namespace, request.name, '', '');
    case 'User':
    case 'Group':
      return fields(request.kind, '', request.name, '', '');
    case 'UserExtra':
      return fields(request.kind, '', request.value, authenticationVersion, request.key);
    case 'UID':
      return fields(request.kind, '', request.uid, authenticationVersion, '');
  }
}

function decodeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    // Upstream keeps a key it cannot decode as sent.
    return encoded;
  }
}

function firstNonEmpty(values: readonly string[] | undefined): string {
  return values?.[0] ?? '';
}

function requestsFrom(headers: HeaderLines): { requests: Request[]; groupsSpecified: boolean; hasUser: boolean } {
  const requests: Request[] = [];
  const requestedUser = firstNonEmpty(headers[IMPERSONATE_USER_HEADER]);
  const hasUser = requestedUser !== '';
  if (hasUser) {
    const account = splitServiceAccountUsername(requestedUser);
    requests.push(account ? { kind: 'ServiceAccount', ...account } : { kind: 'User', name: requestedUser });
  }
  const groups = headers[IMPERSONATE_GROUP_HEADER] ?? [];
  for (const group of groups) requests.push({ kind: 'Group', name: group });
  for (const [header, values] of Object.entries(headers)) {
    if (!header.toLowerCase().startsWith(IMPERSONATE_EXTRA_HEADER_PREFIX)) continue;
    const key = decodeExtraKey(header.toLowerCase().slice(IMPERSONATE_EXTRA_HEADER_PREFIX.length));
    for (const value of values ?? []) requests.push({ kind: 'UserExtra', key, value });
  }
  const uid = firstNonEmpty(headers[IMPERSONATE_UID_HEADER]);
  if (uid !== '') requests.push({ kind: 'UID', uid });
  return { requests, groupsSpecified: groups.length > 0, hasUser };
}

/** The attributes the caller must be allowed for one requested part (`impersonate` on it). */
function actingAs(requestor: UserInfo, request: Request): ResourceAttributes {
  const base = { resourceRequest: true as const, user: requestor, verb: IMPERSONATE_VERB, subresource: '', namespace: '' };
  switch (request.kind) {
    case 'ServiceAccount':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'serviceaccounts', namespace: request.namespace, name: request.name };
    case 'User':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'users', name: request.name };
    case 'Group':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'groups', name: request.name };
    case 'UserExtra':
      return { ...base, apiGroup: AUTHENTICATION_GROUP, apiVersion: AUTHENTICATION_VERSION, resource: 'userextras', subresource: request.key, name: request.value };
    case 'UID':
      return { ...base, apiGroup: AUTHENTICATION_GROUP, apiVersion: AUTHENTICATION_VERSION, resource: 'uids', name: request.uid };
  }
}

/**
 * The identity a request runs as. Without impersonation headers that is the requestor. With
 * them, each part must be allowed (403 `users "alice" is forbidden: User "bob" cannot
 * impersonate resource "users" in API group "" at the cluster scope`, on the first part that is
 * not); groups, uid or extras without Impersonate-User are a 500, as upstream. The impersonated
 * user is in `system:authenticated` unless a group given says otherwise; a service account
 * without explicit groups gets its fixed groups; the uid is only what Impersonate-Uid says.
 */
export function impersonate(options: ImpersonationOptions): ImpersonationOutcome {
  const { requestor, authorizer } = options;
  const { requests, groupsSpecified, hasUser } = requestsFrom(options.headers);
  if (requests.length === 0) return { user: requestor, impersonatedBy: undefined, extra: {} };
  if (!hasUser) {
    const text = `Internal Server Error: ${JSON.stringify(options.requestUri ?? '')}: requested [${requests.map(describeRequest).join(' ')}] without impersonating a user`;
    throw new StatusError(500, STATUS_REASON.internalError, text);
  }

  let username = '';
  let groups: string[] = [];
  let uid = '';
  const extra: Record<string, string[]> = {};
  for (const request of requests) {
    switch (request.kind) {
      case 'ServiceAccount':
        username = serviceAccountUsername(request.namespace, request.name);
        if (!groupsSpecified) groups = serviceAccountGroups(request.namespace);
        break;
      case 'User':
        username = request.name;
        break;
      case 'Group':
        groups.push(request.name);
        break;
      case 'UserExtra':
        (extra[request.key] ??= []).push(request.value);
        break;
      case 'UID':
        uid = request.uid;
        break;
    }
    const attributes = actingAs(requestor, request);
    const answer = authorizer.authorize(attributes);
    if (answer.decision !== DECISION.allow) throw forbiddenError(attributes, answer.reason);
  }

  if (username !== ANONYMOUS_USERNAME) {
    if (!groups.some((g) => g === ALL_AUTHENTICATED_GROUP || g === ALL_UNAUTHENTICATED_GROUP)) groups = [...groups, ALL_AUTHENTICATED_GROUP];
  } else if (!groups.includes(ALL_UNAUTHENTICATED_GROUP)) {
    groups = [...groups, ALL_UNAUTHENTICATED_GROUP];
  }
  const user: UserInfo = { username, groups, ...(uid !== '' ? { uid } : {}) };
  return { user, impersonatedBy: requestor, extra };
}
