// Protections in front of the graph, shared by HTTP and WebSocket: limits on what one document
// may ask (tokens, depth, aliases, directives, estimated cost), the WebSocket origin allowlist,
// per-user caps on connections and subscriptions, and the syntax checks on names and label
// selectors users send, so nothing malformed reaches Kubernetes. Each refusal is a clear error
// with a code, never a crash or a hang.

import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { IMiddlewareFieldMap, IMiddlewareTypeMap } from 'graphql-middleware';
import { BadUserInputError } from '../errors.ts';
import { LabelSelectorError, parseLabelSelector } from '../kube/label-selector.ts';

// ---- document limits ----

/** Parser token limit (Apollo's `parseOptions.maxTokens`): a dashboard query is a few hundred. */
export const MAX_QUERY_TOKENS = 2_000;
/** Field nesting: `mpiJobs { edges { node { workers { edges { node { events { ... } } } } } } }` is 9. */
export const MAX_QUERY_DEPTH = 10;
/** Introspection queries nest `ofType` deeply by design; they get their own, higher bound. */
export const MAX_INTROSPECTION_DEPTH = 15;
export const MAX_ALIASES = 15;
export const MAX_DIRECTIVES = 50;
/**
 * Estimated cost: every field counts 1, times the page sizes of the connections above it. The
 * README's dashboard (100 jobs with their workers) is about 15,000.
 */
export const MAX_QUERY_COST = 100_000;
/** What a connection without `first` counts as in the estimate. */
export const DEFAULT_PAGE_ESTIMATE = 20;

/** Apollo's code for a document that fails validation; the limits below fail the same way. */
const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';
const HTTP_BAD_REQUEST = 400;
const PAGE_ARGUMENTS = ['first', 'last'];
const INTROSPECTION_PREFIX = '__';

export interface DocumentLimits {
  /** Default MAX_QUERY_DEPTH. */
  maxDepth?: number;
  /** Default MAX_ALIASES. */
  maxAliases?: number;
  /** Default MAX_DIRECTIVES. */
  maxDirectives?: number;
  /** Default MAX_QUERY_COST. */
  maxCost?: number;
}

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: VALIDATION_FAILED, http: { status: HTTP_BAD_REQUEST } } });
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) out.set(definition.name.value, definition);
  }
  return out;
}

/** Deepest field nesting under a selection set; fragments are followed once per path (cycles are another rule's error). */
function depthOf(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  introspection: { seen: boolean },
): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith(INTROSPECTION_PREFIX) && selection.selectionSet) introspection.seen = true;
      const below = selection.selectionSet ? depthOf(selection.selectionSet, fragments, visiting, introspection) : 0;
      deepest = Math.max(deepest, 1 + below);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, visiting, introspection));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, visiting, introspection));
      visiting.delete(name);
    }
  }
  return deepest;
}

export function depthLimitRule(maxDepth: number = MAX_QUERY_DEPTH): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const introspection = { seen: false };
      const depth = depthOf(node.selectionSet, fragmentsOf(context.getDocument()), new Set(), introspection);
      const limit = introspection.seen ? Math.max(maxDepth, MAX_INTROSPECTION_DEPTH) : maxDepth;
      if (depth > limit) {
        context.reportError(limitError(`the query is ${depth} levels deep; at most ${limit} are allowed`));
      }
    },
  });
}

export function aliasLimitRule(maxAliases: number = MAX_ALIASES): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias === undefined) return;
        aliases += 1;
        // Reported once, at the first alias past the limit.
        if (aliases === maxAliases + 1) context.reportError(limitError(`the query uses more than ${maxAliases} aliases`));
      },
    };
  };
}

export function directiveLimitRule(maxDirectives: number = MAX_DIRECTIVES): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let directives = 0;
    return {
      Directive() {
        directives += 1;
        if (directives === maxDirectives + 1) context.reportError(limitError(`the query uses more than ${maxDirectives} directives`));
      },
    };
  };
}

/** The validation rules added to GraphQL's own, for Apollo (`validationRules`) and for graphql-ws. */
export function hardeningValidationRules(limits: DocumentLimits = {}): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth), aliasLimitRule(limits.maxAliases), directiveLimitRule(limits.maxDirectives)];
}

// ---- cost ----

/** The variables of a request, and what a page size given by a variable not among them counts as. */
interface CostVariables {
  values: Readonly<Record<string, unknown>>;
  /** Default DEFAULT_PAGE_ESTIMATE; the WebSocket rule, which runs before variables are known, assumes the worst. */
  unknownPageSize?: number;
}

function numberValue(node: ValueNode, variables: CostVariables): number | undefined {
  if (node.kind === Kind.INT) return Number.parseInt(node.value, 10);
  if (node.kind === Kind.VARIABLE) {
    const value = variables.values[node.name.value];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    return variables.unknownPageSize;
  }
  return undefined;
}

function pageSize(field: FieldNode, definition: GraphQLField<unknown, unknown>, variables: CostVariables): number {
  const declares = definition.args.some((arg) => PAGE_ARGUMENTS.includes(arg.name));
  if (!declares) return 1;
  for (const argument of field.arguments ?? []) {
    if (!PAGE_ARGUMENTS.includes(argument.name.value)) continue;
    const value = numberValue(argument.value, variables);
    if (value !== undefined) return Math.max(1, value);
  }
  return DEFAULT_PAGE_ESTIMATE;
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined;
}

function costOf(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: CostVariables,
  visiting: Set<string>,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name.startsWith(INTROSPECTION_PREFIX)) {
        total += 1;
        continue;
      }
      const definition = fieldsOf(parent)?.[name];
      if (!definition) {
        total += 1;
        continue;
      }
      const child = getNamedType(getNullableType(definition.type));
      const below = selection.selectionSet ? costOf(schema, selection.selectionSet, child, fragments, variables, visiting) : 0;
      total += 1 + pageSize(selection, definition, variables) * below;
    } else {
      const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragments.get(selection.name.value)?.typeCondition;
      const typed = condition ? schema.getType(condition.name.value) : parent;
      const target = typed && !isUnionType(typed) ? typed : parent;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += costOf(schema, selection.selectionSet, target, fragments, variables, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        visiting.add(name);
        total += costOf(schema, fragment.selectionSet, target, fragments, variables, visiting);
        visiting.delete(name);
      }
    }
  }
  return total;
}

function selectedOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operationName) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((o) => o.name?.value === operationName);
}

/** The estimated cost of the operation that will run (literal and variable page sizes count). */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables: Readonly<Record<string, unknown>> = {},
): number {
  const operation = selectedOperation(document, operationName);
  if (!operation) return 0;
  return operationCost(schema, document, operation, { values: variables });
}

function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: CostVariables): number {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  return costOf(schema, operation.selectionSet, root, fragmentsOf(document), variables, new Set());
}

/** The largest page a variable may ask for, as the cost rule assumes before variables are known. */
export const ASSUMED_VARIABLE_PAGE_SIZE = 1_000;

/**
 * The cost limit as a validation rule, for servers that validate a document once whatever its
 * variables (graphql-ws): a page size given by a variable counts as ASSUMED_VARIABLE_PAGE_SIZE.
 */
export function costLimitRule(maxCost: number = MAX_QUERY_COST): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const cost = operationCost(context.getSchema(), context.getDocument(), node, { values: {}, unknownPageSize: ASSUMED_VARIABLE_PAGE_SIZE });
      if (cost > maxCost) context.reportError(limitError(`the operation's estimated cost is ${cost}; at most ${maxCost} is allowed (ask for smaller pages with \`first\`)`));
    },
  });
}

/** Every document limit as validation rules, for the WebSocket server (Apollo gets the cost plugin instead). */
export function webSocketValidationRules(limits: DocumentLimits = {}): ValidationRule[] {
  return [...hardeningValidationRules(limits), costLimitRule(limits.maxCost)];
}

/** A GraphQLError when the operation costs more than `maxCost`, else undefined. */
export function costLimitError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Readonly<Record<string, unknown>>,
  maxCost: number = MAX_QUERY_COST,
): GraphQLError | undefined {
  const cost = estimateCost(schema, document, operationName, variables);
  if (cost <= maxCost) return undefined;
  return limitError(`the query's estimated cost is ${cost}; at most ${maxCost} is allowed (ask for smaller pages with \`first\`)`);
}

/** Apollo plugin: the cost check needs the variables, so it runs once the operation is resolved. */
export function costLimitPlugin<T extends object>(maxCost: number = MAX_QUERY_COST): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const error = costLimitError(requestContext.schema, requestContext.document, requestContext.operationName, requestContext.request.variables ?? {}, maxCost);
          if (error) throw error;
        },
      };
    },
  };
}

// ---- names and selectors ----

/** DNS-1123 label: namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_MAX_LENGTH = 63;
/** DNS-1123 subdomain: object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MAX_LENGTH = 253;
/** Far above any real selector; a bound on the parser's work. */
export const MAX_LABEL_SELECTOR_LENGTH = 4_096;

/** Why `value` cannot be a namespace name, or undefined when it can. */
export function namespaceNameProblem(value: string): string | undefined {
  if (value.length > DNS_LABEL_MAX_LENGTH) return `must be no more than ${DNS_LABEL_MAX_LENGTH} characters`;
  if (!DNS_LABEL.test(value)) return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  return undefined;
}

/** Why `value` cannot be an object name, or undefined when it can. */
export function objectNameProblem(value: string): string | undefined {
  if (value.length > DNS_SUBDOMAIN_MAX_LENGTH) return `must be no more than ${DNS_SUBDOMAIN_MAX_LENGTH} characters`;
  if (!DNS_SUBDOMAIN.test(value)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

export function labelSelectorProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL_SELECTOR_LENGTH) return `must be no more than ${MAX_LABEL_SELECTOR_LENGTH} characters`;
  try {
    parseLabelSelector(value);
    return undefined;
  } catch (error) {
    if (error instanceof LabelSelectorError) return error.message;
    throw error;
  }
}

/** Top-level arguments checked on every root field that has them, by argument name. */
const ARGUMENT_CHECKS: Readonly<Record<string, (value: string) => string | undefined>> = {
  namespace: namespaceNameProblem,
  name: objectNameProblem,
  jobName: objectNameProblem,
  labelSelector: labelSelectorProblem,
};

/** Throws BAD_USER_INPUT naming the first argument of `field` that fails its check. */
export function checkArguments(field: string, args: Readonly<Record<string, unknown>>): void {
  for (const [argument, check] of Object.entries(ARGUMENT_CHECKS)) {
    const value = args[argument];
    if (typeof value !== 'string') continue;
    const problem = check(value);
    if (problem) throw new BadUserInputError(`${argument}: Invalid value: ${JSON.stringify(value.slice(0, 80))}: ${problem}`, [{ path: [field, argument], message: problem }]);
  }
}

/**
 * graphql-middleware for the root fields taking `namespace`, `name` or `labelSelector`: a
 * malformed value is refused before any rule, loader or Kubernetes call sees it.
 */
export function argumentValidationMiddleware(schema: GraphQLSchema): IMiddlewareTypeMap<unknown, unknown, Record<string, unknown>> {
  const middleware: Record<string, IMiddlewareFieldMap<unknown, unknown, Record<string, unknown>>> = {};
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      if (!field.args.some((arg) => arg.name in ARGUMENT_CHECKS)) continue;
      (middleware[root.name] ??= {})[field.name] = async (resolve, parent, args, context, info) => {
        checkArguments(field.name, args);
        return resolve(parent, args, context, info);
      };
    }
  }
  return middleware;
}

// ---- WebSocket origins and per-user caps ----

/**
 * Whether a WebSocket upgrade may proceed. Browsers always send `Origin`; without one the client
 * is not a browser (CLI, SDK) and cannot be a cross-site page. With one, it must be the gateway's
 * own origin (same host) or in the allowlist.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowlist: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowlist.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Per-user counters with a ceiling: WebSocket connections, or subscriptions, per username. */
export class PerUserLimit {
  private readonly max: number;
  private readonly counts = new Map<string, number>();

  constructor(max: number) {
    this.max = max;
  }

  /** Takes one slot for `user`; undefined when the user is at the ceiling, else the function that gives it back (idempotent). */
  acquire(user: string): (() => void) | undefined {
    const current = this.counts.get(user) ?? 0;
    if (current >= this.max) return undefined;
    this.counts.set(user, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(user) ?? 1) - 1;
      if (left <= 0) this.counts.delete(user);
      else this.counts.set(user, left);
    };
  }

  count(user: string): number {
    return this.counts.get(user) ?? 0;
  }
}

/** Default ceilings: a dashboard uses a handful of each; a flood stops here. */
export const MAX_CONNECTIONS_PER_USER = 20;
export const MAX_SUBSCRIPTIONS_PER_USER = 100;

export interface WebSocketLimitOptions {
  /** Browser origins allowed besides the gateway's own; default none. */
  allowedOrigins?: readonly string[];
  /** Default MAX_CONNECTIONS_PER_USER. */
  maxConnectionsPerUser?: number;
  /** Default MAX_SUBSCRIPTIONS_PER_USER. */
  maxSubscriptionsPerUser?: number;
}

/** The subscription server's origin check and per-user admissions (its hooks of the same names). */
export function webSocketLimits(options: WebSocketLimitOptions = {}) {
  const allowlist = options.allowedOrigins ?? [];
  const connections = new PerUserLimit(options.maxConnectionsPerUser ?? MAX_CONNECTIONS_PER_USER);
  const subscriptions = new PerUserLimit(options.maxSubscriptionsPerUser ?? MAX_SUBSCRIPTIONS_PER_USER);
  return {
    checkOrigin: (origin: string | undefined, request: IncomingMessage): boolean => isOriginAllowed(origin, request.headers.host, allowlist),
    admitConnection: (viewer: { username: string | undefined }) => connections.acquire(viewer.username ?? ''),
    admitSubscription: (viewer: { username: string | undefined }) => subscriptions.acquire(viewer.username ?? ''),
  };
}
