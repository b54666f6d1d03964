// Authorization: Kubernetes RBAC is the source of truth, asked with SubjectAccessReview. Each
// request gets its own DataLoader (one question is asked once per request, however many fields
// ask it) over a shared cache of recent answers (short and bounded: a revoked binding stops
// counting within ACCESS_CACHE_TTL_MS). The viewer a request runs as is built here: which
// watched namespaces it may read, per kind, is settled before any resolver runs.

import DataLoader from 'dataloader';
import type { AccessReviewer, ResourceAttributes } from '../kube/reviews.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL } from '../kube/labels.ts';
import type { ReadableKind, Viewer } from '../viewer/viewer.ts';
import { ALL_AUTHENTICATED_GROUP, type Identity } from './identity.ts';
import { TtlCache } from './ttl-cache.ts';

/** How long an answer is reused across requests: longer is cheaper, shorter revokes sooner. */
export const ACCESS_CACHE_TTL_MS = 5_000;
/** Denials are kept shorter, so a binding just granted takes effect quickly. */
export const ACCESS_CACHE_DENIED_TTL_MS = 2_000;
export const ACCESS_CACHE_MAX_ENTRIES = 20_000;
/**
 * Reviews sent at once: a user new to a gateway watching many namespaces needs one per namespace
 * and kind, and the API server should see a steady trickle rather than a burst.
 */
export const MAX_REVIEWS_IN_FLIGHT = 32;

const CORE_GROUP = '';

/** The question behind each filtered cache: `list` for jobs and events, `get` for quotas. */
export const READ_ATTRIBUTES: Readonly<Record<ReadableKind, Omit<ResourceAttributes, 'namespace'>>> = {
  mpijobs: { verb: 'list', group: MPIJOB_GROUP, resource: MPIJOB_PLURAL },
  events: { verb: 'list', group: CORE_GROUP, resource: 'events' },
  resourcequotas: { verb: 'get', group: CORE_GROUP, resource: 'resourcequotas' },
};

const READABLE_KINDS = Object.keys(READ_ATTRIBUTES) as ReadableKind[];

/** The API group of the resources a caller may ask about (`viewer.can`). */
export const RESOURCE_GROUPS: Readonly<Record<string, string>> = {
  mpijobs: MPIJOB_GROUP,
  pods: CORE_GROUP,
  events: CORE_GROUP,
  resourcequotas: CORE_GROUP,
  namespaces: CORE_GROUP,
};

export const ACCESS_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);

function subjectKey(identity: Identity): string {
  return JSON.stringify([identity.username, identity.uid ?? '', [...identity.groups].sort()]);
}

function attributesKey(a: ResourceAttributes): string {
  return JSON.stringify([a.verb, a.group, a.resource, a.subresource ?? '', a.namespace, a.name ?? '']);
}

export interface AuthorizerOptions {
  reviewer: AccessReviewer;
  /** Default ACCESS_CACHE_TTL_MS. */
  ttlMs?: number;
  /** Default ACCESS_CACHE_DENIED_TTL_MS. */
  deniedTtlMs?: number;
  /** Default ACCESS_CACHE_MAX_ENTRIES. */
  maxEntries?: number;
  /** Default MAX_REVIEWS_IN_FLIGHT. */
  maxInFlight?: number;
  /** Default Date.now. */
  now?: () => number;
}

/** Shared by every request: the reviewer, the answer cache, and reviews in flight. */
export class Authorizer {
  private readonly reviewer: AccessReviewer;
  private readonly cache: TtlCache<boolean>;
  private readonly deniedTtlMs: number;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly maxInFlight: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: AuthorizerOptions) {
    this.reviewer = options.reviewer;
    this.maxInFlight = options.maxInFlight ?? MAX_REVIEWS_IN_FLIGHT;
    this.cache = new TtlCache({
      ttlMs: options.ttlMs ?? ACCESS_CACHE_TTL_MS,
      maxEntries: options.maxEntries ?? ACCESS_CACHE_MAX_ENTRIES,
      ...(options.now ? { now: options.now } : {}),
    });
    this.deniedTtlMs = options.deniedTtlMs ?? ACCESS_CACHE_DENIED_TTL_MS;
  }

  /** Per-request access for one identity. */
  forRequest(identity: Identity): RequestAccess {
    return new RequestAccess(identity, (attributes) => this.decide(identity, attributes));
  }

  /** Forgets every cached answer (after a change to RBAC the caller knows of). */
  flush(): void {
    this.cache.clear();
  }

  /** One review per distinct question in flight, whoever asks. */
  private decide(identity: Identity, attributes: ResourceAttributes): Promise<boolean> {
    const key = `${subjectKey(identity)}|${attributesKey(attributes)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.limited(() =>
        this.reviewer.accessReview({ user: identity.username, ...(identity.uid ? { uid: identity.uid } : {}), groups: identity.groups }, attributes),
      )
        .then((allowed) => {
          this.cache.set(key, allowed, allowed ? undefined : this.deniedTtlMs);
          return allowed;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Runs `call` once fewer than maxInFlight reviews are running. */
  private async limited<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await call();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class RequestAccess {
  readonly identity: Identity;
  private readonly loader: DataLoader<ResourceAttributes, boolean, string>;

  constructor(identity: Identity, decide: (attributes: ResourceAttributes) => Promise<boolean>) {
    this.identity = identity;
    this.loader = new DataLoader((batch) => Promise.all(batch.map(decide)), {
      cacheKeyFn: attributesKey,
    });
  }

  can(attributes: ResourceAttributes): Promise<boolean> {
    return this.loader.load(attributes);
  }

  /** Of `namespaces`, those where the identity may read `kind`: everything when allowed cluster-wide. */
  async readable(kind: ReadableKind, namespaces: readonly string[]): Promise<ReadonlySet<string>> {
    const question = READ_ATTRIBUTES[kind];
    if (await this.can({ ...question, namespace: '' })) return new Set(namespaces);
    const answers = await Promise.all(namespaces.map((namespace) => this.can({ ...question, namespace })));
    return new Set(namespaces.filter((_, i) => answers[i]));
  }
}

export interface CreateViewerOptions {
  access: RequestAccess;
  /** The namespaces the gateway watches and serves (reads outside them find nothing anyway). */
  namespaces: readonly string[];
}

/** The request's viewer: one SubjectAccessReview per kind and namespace, most of them cached. */
export async function createViewer(options: CreateViewerOptions): Promise<Viewer> {
  const { access } = options;
  const identity = access.identity;
  const sets = await Promise.all(READABLE_KINDS.map((kind) => access.readable(kind, options.namespaces)));
  const readable = new Map(READABLE_KINDS.map((kind, i) => [kind, sets[i] ?? new Set<string>()]));
  return {
    username: identity.username,
    groups: identity.groups,
    canRead: (namespace, kind = 'mpijobs') => readable.get(kind)?.has(namespace) ?? false,
    can: (attributes) => access.can(attributes),
    // The API server adds system:authenticated to every impersonated user itself.
    impersonation: { user: identity.username, groups: identity.groups.filter((g) => g !== ALL_AUTHENTICATED_GROUP) },
  };
}
