// The create-only review kinds, answered the way the real server's REST storage answers them:
// TokenReview and SelfSubjectReview (authentication.k8s.io/v1); SubjectAccessReview,
// SelfSubjectAccessReview, LocalSubjectAccessReview and SelfSubjectRulesReview
// (authorization.k8s.io/v1). Each is a pure function of the posted body and the caller; nothing
// is stored. The response is the posted object re-encoded (unknown fields dropped, empty ones
// omitted, as Go's encoder does) with its status filled in; the REST layer answers it with 201.

import type { UserInfo } from './admission.ts';
import { DECISION, type AuthorizationAttributes, type Authorizer } from './authorization.ts';
import { aggregateMessage, type PolicyRule, type RuleResolver } from './rbac.ts';
import { groupVersion, type ResourceInfo } from './resources.ts';
import { badRequest, invalid, type StatusCause } from './status.ts';
import type { TokenAuthenticator } from './tokens.ts';
import { isRecord } from './types.ts';
import { invalidCause, requiredCause } from './admission/field.ts';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

/**
 * The audiences the API server's own tokens are for, when a TokenReview names none (kubeadm's
 * default issuer). A static token is valid for these and only these.
 */
/** What the bearer-token authenticator says when no token authenticator knows the token. */
export const INVALID_TOKEN_ERROR = 'invalid bearer token';

export const DEFAULT_API_AUDIENCES: readonly string[] = ['https://kubernetes.default.svc.cluster.local'];

/** Version of an access review without one: any version. */
const ANY_VERSION = '*';

export interface ReviewContext {
  authorizer: Authorizer;
  /** Answers SelfSubjectRulesReview. */
  rules: RuleResolver;
  /** Answers TokenReview: the same authenticator the API server uses for bearer tokens. */
  authenticate: TokenAuthenticator;
  /** See DEFAULT_API_AUDIENCES; default that. */
  apiAudiences?: readonly string[];
  /** Clock for SelfSubjectReview's creationTimestamp; default Date.now. */
  now?: () => number;
}

export interface ReviewRequest {
  info: ResourceInfo;
  /** The URL's namespace (LocalSubjectAccessReview only). */
  namespace: string | undefined;
  body: unknown;
  /** The effective caller, after impersonation. */
  user: UserInfo;
}

export interface ReviewHandler {
  /** Whether `info` is one of the review kinds this answers. */
  serves(info: ResourceInfo): boolean;
  /** The object to answer a POST with (status 201). Throws StatusError: 400 bad body, 422 invalid spec. */
  create(request: ReviewRequest): Record<string, unknown>;
}

// ---- decoding (what Go's JSON decoder would accept, with its error wording) ----

type Json = Record<string, unknown>;

class BodyDecoder {
  readonly kind: string;
  readonly apiVersion: string;

  constructor(kind: string, apiVersion: string) {
    this.kind = kind;
    this.apiVersion = apiVersion;
  }

  private get version(): string {
    return this.apiVersion.slice(this.apiVersion.indexOf('/') + 1);
  }

  /** 400 worded as the real server words a body Go's decoder refuses. */
  private fail(struct: string, path: string, value: unknown, goType: string): never {
    const jsonType = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value === 'object' ? 'object' : typeof value;
    throw badRequest(
      `${this.kind} in version "${this.version}" cannot be handled as a ${this.kind}: json: cannot unmarshal ${jsonType} into Go struct field ${struct}.${path} of type ${goType}`,
    );
  }

  object(body: unknown): Json {
    if (!isRecord(body)) throw badRequest(`the body of the request must be a ${this.kind} object`);
    if (body.apiVersion !== undefined && body.apiVersion !== this.apiVersion) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${this.apiVersion})`);
    }
    if (body.kind !== undefined && body.kind !== this.kind) {
      const kind = String(body.kind);
      throw badRequest(
        `${kind} in version "${this.version}" cannot be handled as a ${this.kind}: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(this.apiVersion)} in scheme "pkg/runtime/scheme.go:110"`,
      );
    }
    return body;
  }

  /** `parent[key]` as an object; `struct` is the Go type holding it, `path` its JSON path ('' at the top). */
  record(parent: Json, key: string, struct: string, path: string, goType: string): Json | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) this.fail(struct, joinPath(path, key), value, goType);
    return value;
  }

  list(parent: Json, key: string, struct: string, path: string, goType: string): unknown[] {
    const value = parent[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(struct, joinPath(path, key), value, goType);
    return value;
  }

  string(parent: Json, key: string, struct: string, path: string): string {
    const value = parent[key];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') this.fail(struct, joinPath(path, key), value, 'string');
    return value;
  }

  strings(parent: Json, key: string, struct: string, path: string): string[] {
    return this.list(parent, key, struct, path, '[]string').map((item) => {
      if (typeof item !== 'string') this.fail(struct, joinPath(path, key), item, 'string');
      return item;
    });
  }

  extra(parent: Json, key: string, struct: string, path: string): Record<string, string[]> {
    const map = this.record(parent, key, struct, path, 'map[string]v1.ExtraValue') ?? {};
    const out: Record<string, string[]> = {};
    for (const name of Object.keys(map)) out[name] = this.strings(map, name, struct, joinPath(path, key));
    return out;
  }
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Drops what Go's `omitempty` would: '', empty lists and maps, undefined. */
function compact(record: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (isRecord(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** ObjectMeta fields a review may carry: none (but what clients send empty), or a namespace. */
function metadataIsEmpty(metadata: Json | undefined, allowNamespace: boolean): boolean {
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === 'managedFields' || (allowNamespace && key === 'namespace')) continue;
    if (value === null || value === '' || value === 0) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (isRecord(value) && Object.keys(value).length === 0) continue;
    return false;
  }
  return true;
}

// ---- access review specs ----

interface SelectorAttributes {
  rawSelector: string;
  requirements: unknown[];
}

interface ResourceAttributesSpec {
  namespace: string;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  name: string;
  fieldSelector: SelectorAttributes | undefined;
  labelSelector: SelectorAttributes | undefined;
}

interface NonResourceAttributesSpec {
  path: string;
  verb: string;
}

interface AccessReviewSpec {
  resourceAttributes: ResourceAttributesSpec | undefined;
  nonResourceAttributes: NonResourceAttributesSpec | undefined;
  user: string;
  groups: string[];
  extra: Record<string, string[]>;
  uid: string;
}

const RESOURCE_ATTRIBUTES_PATH = 'spec.resourceAttributes';

function decodeSelector(decoder: BodyDecoder, parent: Json, key: string, struct: string): SelectorAttributes | undefined {
  const record = decoder.record(parent, key, 'ResourceAttributes', RESOURCE_ATTRIBUTES_PATH, `*v1.${struct}`);
  if (!record) return undefined;
  const path = joinPath(RESOURCE_ATTRIBUTES_PATH, key);
  return {
    rawSelector: decoder.string(record, 'rawSelector', struct, path),
    requirements: decoder.list(record, 'requirements', struct, path, '[]v1.Requirement'),
  };
}

function decodeSpec(decoder: BodyDecoder, body: Json, withSubject: boolean): AccessReviewSpec {
  const specType = withSubject ? 'SubjectAccessReviewSpec' : 'SelfSubjectAccessReviewSpec';
  const spec = decoder.record(body, 'spec', decoder.kind, '', `v1.${specType}`) ?? {};
  const resource = decoder.record(spec, 'resourceAttributes', specType, 'spec', '*v1.ResourceAttributes');
  const nonResource = decoder.record(spec, 'nonResourceAttributes', specType, 'spec', '*v1.NonResourceAttributes');
  const attribute = (key: string) => decoder.string(resource ?? {}, key, 'ResourceAttributes', RESOURCE_ATTRIBUTES_PATH);
  return {
    resourceAttributes: resource && {
      namespace: attribute('namespace'),
      verb: attribute('verb'),
      group: attribute('group'),
      version: attribute('version'),
      resource: attribute('resource'),
      subresource: attribute('subresource'),
      name: attribute('name'),
      fieldSelector: decodeSelector(decoder, resource, 'fieldSelector', 'FieldSelectorAttributes'),
      labelSelector: decodeSelector(decoder, resource, 'labelSelector', 'LabelSelectorAttributes'),
    },
    nonResourceAttributes: nonResource && {
      path: decoder.string(nonResource, 'path', 'NonResourceAttributes', 'spec.nonResourceAttributes'),
      verb: decoder.string(nonResource, 'verb', 'NonResourceAttributes', 'spec.nonResourceAttributes'),
    },
    user: withSubject ? decoder.string(spec, 'user', specType, 'spec') : '',
    groups: withSubject ? decoder.strings(spec, 'groups', specType, 'spec') : [],
    extra: withSubject ? decoder.extra(spec, 'extra', specType, 'spec') : {},
    uid: withSubject ? decoder.string(spec, 'uid', specType, 'spec') : '',
  };
}

function selectorCauses(selector: SelectorAttributes | undefined, name: string): StatusCause[] {
  if (!selector) return [];
  const path = joinPath(RESOURCE_ATTRIBUTES_PATH, name);
  const causes: StatusCause[] = [];
  if (selector.rawSelector !== '' && selector.requirements.length > 0) {
    causes.push(invalidCause(`${path}.rawSelector`, selector.rawSelector, 'may not specified at the same time as requirements'));
  }
  if (selector.rawSelector === '' && selector.requirements.length === 0) {
    causes.push(requiredCause(`${path}.requirements`, `when ${path} is specified, requirements or rawSelector is required`));
  }
  return causes;
}

/** The bad value as upstream prints it: its internal Go struct, which has no JSON names. */
function internalNonResource(attributes: NonResourceAttributesSpec): Json {
  return { Path: attributes.path, Verb: attributes.verb };
}

/** ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec. */
function specCauses(spec: AccessReviewSpec, withSubject: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    causes.push(invalidCause('spec.nonResourceAttributes', internalNonResource(spec.nonResourceAttributes), 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    causes.push(invalidCause('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  if (withSubject && spec.user === '' && spec.groups.length === 0) {
    causes.push(invalidCause('spec.user', spec.user, 'at least one of user or group must be specified'));
  }
  causes.push(...selectorCauses(spec.resourceAttributes?.fieldSelector, 'fieldSelector'));
  causes.push(...selectorCauses(spec.resourceAttributes?.labelSelector, 'labelSelector'));
  return causes;
}

function attributesFor(user: UserInfo, spec: AccessReviewSpec): AuthorizationAttributes {
  const resource = spec.resourceAttributes;
  if (resource) {
    return {
      resourceRequest: true,
      user,
      verb: resource.verb,
      apiGroup: resource.group,
      apiVersion: resource.version === '' ? ANY_VERSION : resource.version,
      resource: resource.resource,
      subresource: resource.subresource,
      namespace: resource.namespace,
      name: resource.name,
    };
  }
  return { resourceRequest: false, user, verb: spec.nonResourceAttributes?.verb ?? '', path: spec.nonResourceAttributes?.path ?? '' };
}

function encodeSelector(selector: SelectorAttributes | undefined): Json | undefined {
  return selector && compact({ rawSelector: selector.rawSelector, requirements: selector.requirements });
}

function encodeSpec(spec: AccessReviewSpec, withSubject: boolean): Json {
  const resource = spec.resourceAttributes;
  return compact({
    resourceAttributes: resource && compact({ ...resource, fieldSelector: encodeSelector(resource.fieldSelector), labelSelector: encodeSelector(resource.labelSelector) }),
    nonResourceAttributes: spec.nonResourceAttributes && compact({ ...spec.nonResourceAttributes }),
    ...(withSubject ? { user: spec.user, groups: spec.groups, extra: spec.extra, uid: spec.uid } : {}),
  });
}

/** SubjectAccessReviewStatus: `allowed` always, the rest only when set. */
function accessStatus(authorizer: Authorizer, attributes: AuthorizationAttributes): Json {
  const answer = authorizer.authorize(attributes);
  return {
    allowed: answer.decision === DECISION.allow,
    ...(answer.decision === DECISION.deny ? { denied: true } : {}),
    ...(answer.reason !== '' ? { reason: answer.reason } : {}),
  };
}

/** An unstored object's metadata: nothing but what the request placed (a namespace). */
function unstoredMetadata(extra: Json = {}): Json {
  return { ...extra };
}

// ---- the handlers ----

const SUBJECT_ACCESS_REVIEW = 'SubjectAccessReview';
const SELF_SUBJECT_ACCESS_REVIEW = 'SelfSubjectAccessReview';
const LOCAL_SUBJECT_ACCESS_REVIEW = 'LocalSubjectAccessReview';
const SELF_SUBJECT_RULES_REVIEW = 'SelfSubjectRulesReview';
const TOKEN_REVIEW = 'TokenReview';
const SELF_SUBJECT_REVIEW = 'SelfSubjectReview';

const AUTHORIZATION_API_VERSION = `${AUTHORIZATION_GROUP}/v1`;

/**
 * The real server names the kind of an invalid access review from the decoded object, whose kind
 * is empty by then: its 422 reads `.authorization.k8s.io "" is invalid: ...`.
 */
const UNSET_KIND = '';
const AUTHENTICATION_API_VERSION = `${AUTHENTICATION_GROUP}/v1`;

function reviewObject(kind: string, apiVersion: string, metadata: Json, rest: Json): Json {
  return { kind, apiVersion, metadata, ...rest };
}

/**
 * SubjectAccessReview: may `spec.user` (in exactly `spec.groups`, which are NOT completed with
 * system:authenticated) do this? Pass the groups a TokenReview returned to ask for a real caller.
 */
export function subjectAccessReview(body: unknown, context: Pick<ReviewContext, 'authorizer'>): Json {
  const decoder = new BodyDecoder(SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION);
  const object = decoder.object(body);
  const metadata = decoder.record(object, 'metadata', SUBJECT_ACCESS_REVIEW, '', 'v1.ObjectMeta');
  const spec = decodeSpec(decoder, object, true);
  const causes = specCauses(spec, true);
  if (!metadataIsEmpty(metadata, false)) causes.push(invalidCause('metadata', metadata, 'must be empty'));
  if (causes.length > 0) throw invalid(UNSET_KIND, AUTHORIZATION_GROUP, '', causes);
  const user: UserInfo = { username: spec.user, groups: spec.groups, ...(spec.uid !== '' ? { uid: spec.uid } : {}) };
  return reviewObject(SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION, unstoredMetadata(), {
    spec: encodeSpec(spec, true),
    status: accessStatus(context.authorizer, attributesFor(user, spec)),
  });
}

/** SelfSubjectAccessReview: may the caller do this? (`kubectl auth can-i`) */
export function selfSubjectAccessReview(body: unknown, caller: UserInfo, context: Pick<ReviewContext, 'authorizer'>): Json {
  const decoder = new BodyDecoder(SELF_SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION);
  const object = decoder.object(body);
  const metadata = decoder.record(object, 'metadata', SELF_SUBJECT_ACCESS_REVIEW, '', 'v1.ObjectMeta');
  const spec = decodeSpec(decoder, object, false);
  const causes = specCauses(spec, false);
  if (!metadataIsEmpty(metadata, false)) causes.push(invalidCause('metadata', metadata, 'must be empty'));
  if (causes.length > 0) throw invalid(UNSET_KIND, AUTHORIZATION_GROUP, '', causes);
  return reviewObject(SELF_SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION, unstoredMetadata(), {
    spec: encodeSpec(spec, false),
    status: accessStatus(context.authorizer, attributesFor(caller, spec)),
  });
}

/**
 * LocalSubjectAccessReview, posted to `/apis/authorization.k8s.io/v1/namespaces/<ns>/...`: a
 * SubjectAccessReview limited to that namespace (resource attributes only, in that namespace).
 */
export function localSubjectAccessReview(body: unknown, namespace: string | undefined, context: Pick<ReviewContext, 'authorizer'>): Json {
  const decoder = new BodyDecoder(LOCAL_SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION);
  const object = decoder.object(body);
  const metadata = decoder.record(object, 'metadata', LOCAL_SUBJECT_ACCESS_REVIEW, '', 'v1.ObjectMeta') ?? {};
  const urlNamespace = namespace ?? '';
  const given = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  // The REST layer's own rule for every namespaced create.
  if (given !== '' && given !== urlNamespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const objectNamespace = given || urlNamespace;
  const spec = decodeSpec(decoder, object, true);
  const causes = specCauses(spec, true);
  if (!metadataIsEmpty(metadata, true)) causes.push(invalidCause('metadata', metadata, 'must be empty except for namespace'));
  if (spec.resourceAttributes && spec.resourceAttributes.namespace !== objectNamespace) {
    causes.push(invalidCause('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace, 'must match metadata.namespace'));
  }
  if (spec.nonResourceAttributes) {
    causes.push(invalidCause('spec.nonResourceAttributes', internalNonResource(spec.nonResourceAttributes), 'disallowed on this kind of request'));
  }
  if (causes.length > 0) throw invalid(UNSET_KIND, AUTHORIZATION_GROUP, '', causes);
  if (urlNamespace === '') throw badRequest(`namespace is required on this type: ${urlNamespace}`);
  const user: UserInfo = { username: spec.user, groups: spec.groups, ...(spec.uid !== '' ? { uid: spec.uid } : {}) };
  return reviewObject(LOCAL_SUBJECT_ACCESS_REVIEW, AUTHORIZATION_API_VERSION, unstoredMetadata({ namespace: objectNamespace }), {
    spec: encodeSpec(spec, true),
    status: accessStatus(context.authorizer, attributesFor(user, spec)),
  });
}

function resourceRule(rule: PolicyRule): Json {
  return { verbs: rule.verbs, ...compact({ apiGroups: rule.apiGroups, resources: rule.resources, resourceNames: rule.resourceNames }) };
}

/**
 * SelfSubjectRulesReview: everything the caller may do in `spec.namespace` (`kubectl auth can-i
 * --list`). Bindings whose role is missing are reported in evaluationError.
 */
export function selfSubjectRulesReview(body: unknown, caller: UserInfo, context: Pick<ReviewContext, 'rules'>): Json {
  const decoder = new BodyDecoder(SELF_SUBJECT_RULES_REVIEW, AUTHORIZATION_API_VERSION);
  const object = decoder.object(body);
  const spec = decoder.record(object, 'spec', SELF_SUBJECT_RULES_REVIEW, '', 'v1.SelfSubjectRulesReviewSpec') ?? {};
  const namespace = decoder.string(spec, 'namespace', 'SelfSubjectRulesReviewSpec', 'spec');
  if (namespace === '') throw badRequest('no namespace on request');
  const { rules, errors } = context.rules.rulesFor(caller, namespace);
  return reviewObject(SELF_SUBJECT_RULES_REVIEW, AUTHORIZATION_API_VERSION, unstoredMetadata(), {
    spec: {},
    status: {
      resourceRules: rules.filter((rule) => (rule.resources ?? []).length > 0).map(resourceRule),
      nonResourceRules: rules
        .filter((rule) => (rule.nonResourceURLs ?? []).length > 0)
        .map((rule) => ({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs })),
      incomplete: false,
      ...(errors.length > 0 ? { evaluationError: aggregateMessage(errors) } : {}),
    },
  });
}

function userInfoJson(user: UserInfo): Json {
  return compact({ username: user.username, uid: user.uid, groups: user.groups });
}

/**
 * TokenReview: who is this bearer token? A static token is only valid for the API server's
 * audiences, so a review naming other audiences is unauthenticated. An unauthenticated answer
 * carries no `authenticated` field at all (Go omits the false): an empty user and the error.
 */
export function tokenReview(body: unknown, context: Pick<ReviewContext, 'authenticate' | 'apiAudiences'>): Json {
  const decoder = new BodyDecoder(TOKEN_REVIEW, AUTHENTICATION_API_VERSION);
  const object = decoder.object(body);
  const spec = decoder.record(object, 'spec', TOKEN_REVIEW, '', 'v1.TokenReviewSpec') ?? {};
  const token = decoder.string(spec, 'token', 'TokenReviewSpec', 'spec');
  const audiences = decoder.strings(spec, 'audiences', 'TokenReviewSpec', 'spec');
  if (token === '') throw badRequest('token is required for TokenReview in authentication');
  const apiAudiences = context.apiAudiences ?? DEFAULT_API_AUDIENCES;
  const wanted = audiences.length > 0 ? audiences : apiAudiences;
  const granted = wanted.length > 0 ? apiAudiences.filter((audience) => wanted.includes(audience)) : [];
  const user = wanted.length > 0 && granted.length === 0 ? undefined : context.authenticate(token);
  const status: Json = user ? { authenticated: true, user: userInfoJson(user), ...compact({ audiences: granted }) } : { user: {}, error: INVALID_TOKEN_ERROR };
  return reviewObject(TOKEN_REVIEW, AUTHENTICATION_API_VERSION, unstoredMetadata(), { spec: compact({ token, audiences }), status });
}

/** SelfSubjectReview: who am I? (`kubectl auth whoami`) */
export function selfSubjectReview(body: unknown, caller: UserInfo, context: Pick<ReviewContext, 'now'>): Json {
  new BodyDecoder(SELF_SUBJECT_REVIEW, AUTHENTICATION_API_VERSION).object(body);
  const created = new Date(Math.floor((context.now ?? Date.now)() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return reviewObject(SELF_SUBJECT_REVIEW, AUTHENTICATION_API_VERSION, { creationTimestamp: created }, { status: { userInfo: userInfoJson(caller) } });
}

/** All six, dispatched on the posted kind; for the REST layer's POST on a `virtual` resource. */
export function createReviewHandler(context: ReviewContext): ReviewHandler {
  const handlers: Record<string, (request: ReviewRequest) => Json> = {
    [`${AUTHORIZATION_API_VERSION}/subjectaccessreviews`]: (r) => subjectAccessReview(r.body, context),
    [`${AUTHORIZATION_API_VERSION}/selfsubjectaccessreviews`]: (r) => selfSubjectAccessReview(r.body, r.user, context),
    [`${AUTHORIZATION_API_VERSION}/localsubjectaccessreviews`]: (r) => localSubjectAccessReview(r.body, r.namespace, context),
    [`${AUTHORIZATION_API_VERSION}/selfsubjectrulesreviews`]: (r) => selfSubjectRulesReview(r.body, r.user, context),
    [`${AUTHENTICATION_API_VERSION}/tokenreviews`]: (r) => tokenReview(r.body, context),
    [`${AUTHENTICATION_API_VERSION}/selfsubjectreviews`]: (r) => selfSubjectReview(r.body, r.user, context),
  };
  const keyOf = (info: ResourceInfo) => `${groupVersion(info)}/${info.resource}`;
  return {
    serves: (info) => keyOf(info) in handlers,
    create(request) {
      const handler = handlers[keyOf(request.info)];
      if (!handler) throw new Error(`no review handler for ${keyOf(request.info)}`);
      return handler(request);
    },
  };
}
