// The executable schema: the SDL files of schema/ plus each domain's resolvers.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { eventSubscriptionResolvers } from '../event/subscriptions.ts';
import { logSubscriptionResolvers } from '../logs/subscriptions.ts';
import { mpiJobResolvers } from '../mpijob/resolvers.ts';
import { mpiJobSubscriptionResolvers } from '../mpijob/subscriptions.ts';
import { nodeResolvers } from '../node/resolvers.ts';
import { quotaResolvers } from '../quota/resolvers.ts';
import { statusResolvers } from '../status/resolvers.ts';
import { viewerResolvers } from '../viewer/resolvers.ts';
import { workerResolvers } from '../worker/resolvers.ts';
import { workerSubscriptionResolvers } from '../worker/subscriptions.ts';
import { DateTimeScalar } from './scalars.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** The SDL files, in name order so the printed schema is stable. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

/** Merges per-domain resolver maps; a field defined twice is a programming error. */
export function mergeResolvers(maps: readonly Resolvers[]): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      const target = (merged[typeName] ??= {});
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`resolver ${typeName}.${field} is defined twice`);
        target[field] = resolver;
      }
    }
  }
  return merged as Resolvers;
}

export const RESOLVERS: readonly Resolvers[] = [
  mpiJobResolvers,
  workerResolvers,
  quotaResolvers,
  nodeResolvers,
  viewerResolvers,
  mpiJobSubscriptionResolvers,
  workerSubscriptionResolvers,
  eventSubscriptionResolvers,
  logSubscriptionResolvers,
  statusResolvers,
];

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: { ...mergeResolvers(RESOLVERS), DateTime: DateTimeScalar },
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
