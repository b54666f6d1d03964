// The authorizer contract of the API server emulator, as k8s.io/apiserver defines it: request
// attributes (what RequestInfoFactory derives from a URL and a method), decisions, the union of
// authorizers, the system:masters short cut, and the exact 403 Forbidden the real server writes
// when every authorizer declines (responsewriters.ForbiddenStatusError).

import type { UserInfo } from './admission.ts';
import { StatusError, STATUS_REASON, type StatusDetails } from './status.ts';

/** The group whose members may do anything, before any authorizer is asked. */
export const SYSTEM_MASTERS_GROUP = 'system:masters';
/** Added by the authenticator to every authenticated user. */
export const ALL_AUTHENTICATED_GROUP = 'system:authenticated';
export const ALL_UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const ANONYMOUS_USERNAME = 'system:anonymous';

/** An authorizer's answer; RBAC never denies, it only allows or has no opinion. */
export const DECISION = {
  allow: 'Allow',
  deny: 'Deny',
  noOpinion: 'NoOpinion',
} as const;
export type Decision = (typeof DECISION)[keyof typeof DECISION];

export interface AuthorizationDecision {
  decision: Decision;
  /** Why; `RBAC: allowed by ...` on allow, resolution errors (or '') otherwise. */
  reason: string;
}

/** A request on an API resource (`/api/v1/...`, `/apis/<group>/<version>/...`). */
export interface ResourceAttributes {
  resourceRequest: true;
  user: UserInfo;
  /** get list watch create update patch delete deletecollection, or impersonate, bind, escalate ... */
  verb: string;
  apiGroup: string;
  /** `*` when any version is meant (access reviews without a version). */
  apiVersion: string;
  resource: string;
  /** '' when the request is on the resource itself. */
  subresource: string;
  /** '' at the cluster scope. */
  namespace: string;
  /** '' for collections. */
  name: string;
}

/** Any other path (`/healthz`, `/version`, `/api`, `/openapi/v3`). */
export interface NonResourceAttributes {
  resourceRequest: false;
  user: UserInfo;
  /** The lower-cased HTTP method: get, post, put, patch, delete, head. */
  verb: string;
  path: string;
}

export type AuthorizationAttributes = ResourceAttributes | NonResourceAttributes;

export interface Authorizer {
  authorize(attributes: AuthorizationAttributes): AuthorizationDecision;
}

/** The URL prefixes under which a path names an API resource; only `api` has no group segment. */
const API_PREFIX = 'api';
const APIS_PREFIX = 'apis';
/** `/apis/<g>/<v>/watch/...` and `/proxy/...`: the verb is in the path (legacy forms). */
const PATH_VERBS = new Set(['watch', 'proxy']);
const PATH_VERBS_WITHOUT_SUBRESOURCES = new Set(['proxy']);
/** What may follow `/namespaces/<name>/` and still be about the namespace itself. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METADATA_NAME_FIELD = 'metadata.name';

const VERB_BY_METHOD: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** strconv.ParseBool's spellings. */
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // An undecodable escape stays as sent; the REST layer answers it with 400 later.
    return path;
  }
}

/**
 * Whether a list asks for a watch. A value that is not a boolean still means watch unless it is
 * `false` or `0`, as the real server decides when the list options fail to decode.
 */
function isWatch(query: URLSearchParams): boolean {
  const value = query.get('watch');
  if (value === null) return false;
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  return !['false', '0'].includes(value.toLowerCase());
}

/** path.IsValidPathSegmentName: what may be a name segment of a URL. */
export function pathSegmentNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errors: string[] = [];
  if (name.includes('/')) errors.push("may not contain '/'");
  if (name.includes('%')) errors.push("may not contain '%'");
  return errors;
}

/**
 * The name a field selector pins with `metadata.name=<x>` (or `==`), as RequiresExactMatch reads
 * it: the first such term of the conjunction. Escapes (`\,` `\=` `\\` `\!`) are undone.
 */
function exactNameInFieldSelector(selector: string): string | undefined {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i += 1) {
    const ch = selector[i] ?? '';
    if (ch === '\\' && i + 1 < selector.length) {
      current += ch + (selector[i + 1] ?? '');
      i += 1;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  for (const term of terms) {
    const match = /^([^=!]*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match || match[2] === '!=' || (match[1] ?? '').trim() !== METADATA_NAME_FIELD) continue;
    return (match[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return undefined;
}

/**
 * The attributes the real server authorizes a request by (RequestInfoFactory.NewRequestInfo):
 * `/api/v1/namespaces/team-a/pods/p/log` is `get` on `pods/log` named `p` in `team-a`; a GET
 * without a name is `list`, or `watch` with `watch=true`; a DELETE without a name is
 * `deletecollection`; a list pinned to one name by `fieldSelector=metadata.name=x` carries that
 * name, so a rule limited to resourceNames can allow it. Paths that name no resource (`/healthz`,
 * `/apis`, `/apis/batch/v1`) are non-resource requests whose verb is the lower-cased method.
 * `/api/v1/namespaces/x` is about namespace `x` in namespace `x`, as upstream.
 */
export function requestAttributes(request: { method: string; url: URL }, user: UserInfo): AuthorizationAttributes {
  const method = request.method.toUpperCase();
  const path = decodePath(request.url.pathname);
  const nonResource: NonResourceAttributes = { resourceRequest: false, user, verb: method.toLowerCase(), path };
  let parts = splitPath(path);
  if (parts.length < 3) return nonResource;
  const [prefix] = parts;
  if (prefix !== API_PREFIX && prefix !== APIS_PREFIX) return nonResource;
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === APIS_PREFIX) {
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] ?? '';
  parts = parts.slice(1);

  let verb: string;
  if (PATH_VERBS.has(parts[0] ?? '')) {
    // `/api/v1/watch` alone names nothing; the real server fails it before authorization.
    if (parts.length < 2) return nonResource;
    verb = parts[0] ?? '';
    parts = parts.slice(1);
  } else {
    verb = VERB_BY_METHOD[method] ?? '';
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }
  const resource = parts[0] ?? '';
  let name = parts.length >= 2 ? (parts[1] ?? '') : '';
  const subresource = parts.length >= 3 && !PATH_VERBS_WITHOUT_SUBRESOURCES.has(verb) ? (parts[2] ?? '') : '';

  if (name === '' && verb === 'get') {
    const query = request.url.searchParams;
    verb = isWatch(query) ? 'watch' : 'list';
    const selector = query.get('fieldSelector');
    const pinned = selector === null ? undefined : exactNameInFieldSelector(selector);
    if (pinned !== undefined && pathSegmentNameErrors(pinned).length === 0) name = pinned;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  return { resourceRequest: true, user, verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}

// ---- decisions ----

/** Allows members of any of `groups` outright (the real server's privileged-group authorizer). */
export function privilegedGroupsAuthorizer(groups: readonly string[] = [SYSTEM_MASTERS_GROUP]): Authorizer {
  const privileged = new Set(groups);
  return {
    authorize(attributes) {
      const member = attributes.user.groups.some((group) => privileged.has(group));
      return { decision: member ? DECISION.allow : DECISION.noOpinion, reason: '' };
    },
  };
}

/**
 * Asks each authorizer in turn; the first to allow or deny decides. When none does, the reasons
 * given on the way are joined with newlines, as the union authorizer upstream does.
 */
export function unionAuthorizer(authorizers: readonly Authorizer[]): Authorizer {
  return {
    authorize(attributes) {
      const reasons: string[] = [];
      for (const authorizer of authorizers) {
        const answer = authorizer.authorize(attributes);
        if (answer.decision !== DECISION.noOpinion) return answer;
        if (answer.reason !== '') reasons.push(answer.reason);
      }
      return { decision: DECISION.noOpinion, reason: reasons.join('\n') };
    },
  };
}

// ---- the 403 ----

/** Keeps a message from reading as HTML (the real server's sanitizer; quotes are left alone). */
function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Go's %q for the ASCII names that reach these messages. */
function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * `User "alice" cannot list resource "mpijobs" in API group "kubeflow.org" in the namespace
 * "team-b"`, `... at the cluster scope`, or `User "alice" cannot get path "/metrics"`.
 */
export function forbiddenMessage(attributes: AuthorizationAttributes): string {
  const username = quote(attributes.user.username);
  if (!attributes.resourceRequest) return `User ${username} cannot ${attributes.verb} path ${quote(attributes.path)}`;
  const resource = attributes.subresource === '' ? attributes.resource : `${attributes.resource}/${attributes.subresource}`;
  const where = attributes.namespace === '' ? 'at the cluster scope' : `in the namespace ${quote(attributes.namespace)}`;
  return `User ${username} cannot ${attributes.verb} resource ${quote(resource)} in API group ${quote(attributes.apiGroup)} ${where}`;
}

/**
 * The 403 the real server answers a refused request with: `<resource>[.<group>] ["<name>"] is
 * forbidden: <forbiddenMessage>[: <reason>]`, or `forbidden: ...` for a path; details name the
 * plural resource, its group and the object.
 */
export function forbiddenError(attributes: AuthorizationAttributes, reason = ''): StatusError {
  const why = sanitize(forbiddenMessage(attributes)) + (reason === '' ? '' : `: ${reason}`);
  const group = attributes.resourceRequest ? attributes.apiGroup : '';
  const resource = attributes.resourceRequest ? attributes.resource : '';
  const name = attributes.resourceRequest ? attributes.name : '';
  let message: string;
  if (group === '' && resource === '') message = `forbidden: ${why}`;
  else {
    const qualified = group === '' ? resource : `${resource}.${group}`;
    message = name === '' ? `${qualified} is forbidden: ${why}` : `${qualified} ${quote(name)} is forbidden: ${why}`;
  }
  const details: StatusDetails = {};
  if (name !== '') details.name = name;
  if (group !== '') details.group = group;
  if (resource !== '') details.kind = resource;
  return new StatusError(403, STATUS_REASON.forbidden, message, details);
}

/** Throws the real server's 403 unless the authorizer allows the request. */
export function authorize(authorizer: Authorizer, attributes: AuthorizationAttributes): void {
  const answer = authorizer.authorize(attributes);
  if (answer.decision !== DECISION.allow) throw forbiddenError(attributes, answer.reason);
}
