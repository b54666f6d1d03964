// TokenReview and SubjectAccessReview: how the gateway asks Kubernetes who a caller is and what
// they may do. The gateway's own identity needs `create` on both (system:auth-delegator).
// TokenReview bodies carry the caller's token: they are never logged, and errors quote no body.

import type { KubeClient } from './client.ts';
import { mapKubeError } from './errors.ts';

const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
}

export interface TokenReviewResult {
  authenticated: boolean;
  user: ReviewedUser | undefined;
  /** The audiences the token is valid for, when the server says. */
  audiences: string[] | undefined;
}

export interface ResourceAttributes {
  /** Empty for a cluster-wide question. */
  namespace: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
}

export interface AccessReviewSubject {
  user: string;
  uid?: string;
  groups: readonly string[];
}

export interface AccessReviewer {
  /** Whether the subject may do it; throws a gateway error when the cluster cannot answer. */
  accessReview(subject: AccessReviewSubject, attributes: ResourceAttributes): Promise<boolean>;
}

export interface TokenReviewer {
  /** Throws a gateway error when the cluster cannot answer. */
  tokenReview(token: string, audiences?: readonly string[]): Promise<TokenReviewResult>;
}

interface TokenReviewBody {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[] }; audiences?: string[] };
}

interface SubjectAccessReviewBody {
  status?: { allowed?: boolean; denied?: boolean };
}

export class KubeReviews implements AccessReviewer, TokenReviewer {
  private readonly client: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  async tokenReview(token: string, audiences?: readonly string[]): Promise<TokenReviewResult> {
    let body: TokenReviewBody;
    try {
      body = await this.client.request<TokenReviewBody>({
        method: 'POST',
        path: TOKEN_REVIEW_PATH,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, ...(audiences && audiences.length > 0 ? { audiences: [...audiences] } : {}) },
        },
      });
    } catch (error) {
      throw mapKubeError(error);
    }
    const status = body.status ?? {};
    const user = status.user;
    return {
      authenticated: status.authenticated === true && typeof user?.username === 'string' && user.username !== '',
      user: user?.username ? { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups ?? [] } : undefined,
      audiences: status.audiences,
    };
  }

  async accessReview(subject: AccessReviewSubject, attributes: ResourceAttributes): Promise<boolean> {
    let body: SubjectAccessReviewBody;
    try {
      body = await this.client.request<SubjectAccessReviewBody>({
        method: 'POST',
        path: SUBJECT_ACCESS_REVIEW_PATH,
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: subject.user,
            ...(subject.uid ? { uid: subject.uid } : {}),
            groups: [...subject.groups],
            resourceAttributes: {
              ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
              verb: attributes.verb,
              group: attributes.group,
              resource: attributes.resource,
              ...(attributes.subresource ? { subresource: attributes.subresource } : {}),
              ...(attributes.name ? { name: attributes.name } : {}),
            },
          },
        },
      });
    } catch (error) {
      throw mapKubeError(error);
    }
    return body.status?.allowed === true && body.status.denied !== true;
  }
}
