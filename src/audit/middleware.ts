// The audit as graphql-middleware around every Mutation field (and the log subscriptions): it
// sits outside the permission rules, so it sees refusals as well as what the resolver did, and
// the field does not resolve until the record is written.

import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { IMiddlewareFieldMap, IMiddlewareTypeMap } from 'graphql-middleware';
import { mutationTarget } from '../auth/targets.ts';
import { ERROR_CODE } from '../errors.ts';
import type { GraphContext } from '../graph/context.ts';
import type { AuditDecision, AuditEntry } from './record.ts';
import type { AuditLog } from './sink.ts';

/** Codes that mean "you may not": the gateway's rules or the API server's RBAC said no. */
const DENIAL_CODES: ReadonlySet<string> = new Set([ERROR_CODE.forbidden, ERROR_CODE.unauthenticated]);

type Args = Record<string, unknown>;

function errorCode(error: unknown): string {
  if (error instanceof GraphQLError) {
    const code = error.extensions['code'];
    if (typeof code === 'string') return code;
  }
  return ERROR_CODE.internal;
}

/** The first user error of a mutation payload (`{ errors: [{ code }] }`), if any. */
function payloadErrorCode(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const errors = (result as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const code = (errors[0] as { code?: unknown }).code;
  return typeof code === 'string' ? code : ERROR_CODE.badUserInput;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export interface AuditTarget {
  namespace: string | null;
  name: string | null;
  dryRun: boolean;
}

function mutationAuditTarget(field: string, args: Args): AuditTarget {
  const target = mutationTarget(field, args);
  if (target) return { namespace: target.namespace ?? null, name: target.name ?? null, dryRun: target.dryRun };
  return { namespace: text(args['namespace']), name: text(args['name']), dryRun: args['dryRun'] === true };
}

/** A log stream names its pod (or job) and namespace in its arguments. */
function subscriptionAuditTarget(_field: string, args: Args): AuditTarget {
  return { namespace: text(args['namespace']), name: text(args['name']) ?? text(args['pod']) ?? text(args['job']), dryRun: false };
}

function entryFor(context: GraphContext, operation: string, target: AuditTarget, code: string | undefined): AuditEntry {
  const decision: AuditDecision = code !== undefined && DENIAL_CODES.has(code) ? 'deny' : 'allow';
  return {
    requestId: context.request.id,
    user: context.viewer.username ?? null,
    groups: [...context.viewer.groups],
    sourceAddress: context.request.sourceAddress ?? null,
    operation,
    ...target,
    decision,
    outcome: code === undefined ? 'success' : 'failure',
    errorCode: code ?? null,
  };
}

function audited(
  audit: AuditLog,
  targetOf: (field: string, args: Args) => AuditTarget,
  payloadCode: (result: unknown) => string | undefined,
): IMiddlewareFieldMap<unknown, GraphContext, Args>[string] {
  return async (resolve, parent, args, context, info) => {
    const target = targetOf(info.fieldName, args);
    let result: unknown;
    try {
      result = await resolve(parent, args, context, info);
    } catch (error) {
      await audit.record(entryFor(context, info.fieldName, target, errorCode(error)));
      throw error;
    }
    // graphql-shield answers a refusal with the error as the field's value.
    const code = result instanceof Error ? errorCode(result) : payloadCode(result);
    await audit.record(entryFor(context, info.fieldName, target, code));
    return result;
  };
}

/** The subscriptions that open log streams: each one opened is an audit record. */
export const LOG_SUBSCRIPTIONS: readonly string[] = ['jobLogs'];

export interface AuditMiddlewareOptions {
  audit: AuditLog;
  /** Subscription fields that open a log stream; each subscribe is recorded. Default none. */
  logSubscriptions?: readonly string[];
}

/** Middleware for every Mutation field of `schema`, and the named log subscriptions. */
export function auditMiddleware(schema: GraphQLSchema, options: AuditMiddlewareOptions): IMiddlewareTypeMap<unknown, GraphContext, Args> {
  const middleware: Record<string, IMiddlewareFieldMap<unknown, GraphContext, Args>> = {};
  const mutation = schema.getMutationType();
  if (mutation) {
    const fields: IMiddlewareFieldMap<unknown, GraphContext, Args> = {};
    for (const field of Object.keys(mutation.getFields())) fields[field] = audited(options.audit, mutationAuditTarget, payloadErrorCode);
    middleware[mutation.name] = fields;
  }
  const subscription = schema.getSubscriptionType();
  if (subscription) {
    const fields: IMiddlewareFieldMap<unknown, GraphContext, Args> = {};
    for (const field of options.logSubscriptions ?? []) {
      if (!(field in subscription.getFields())) throw new Error(`audit: Subscription.${field} is not in the schema`);
      fields[field] = audited(options.audit, subscriptionAuditTarget, () => undefined);
    }
    if (Object.keys(fields).length > 0) middleware[subscription.name] = fields;
  }
  return middleware;
}
