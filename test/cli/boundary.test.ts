// The clients talk GraphQL and nothing else: the SDK and the CLI import each other and a few npm
// packages, never the gateway's code or a Kubernetes client. That is also what lets them compile
// on their own into dist/ for the installed package.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './run-cli.ts';

const CLIENT_DIRS = ['src/sdk', 'src/cli'];
const ALLOWED_PACKAGES = new Set(['graphql', 'graphql-ws/client', '@graphql-typed-document-node/core', 'yaml']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the client sources', () => {
  it('import only each other, node builtins and the packages a GraphQL client needs', () => {
    const strays: string[] = [];
    for (const file of CLIENT_DIRS.flatMap((d) => sources(join(REPO_ROOT, d)))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^(?:import|export)[^'"]*?from\s+'([^']+)'/gm)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) {
          const target = relative(REPO_ROOT, resolve(dirname(file), specifier));
          if (!CLIENT_DIRS.some((d) => target.startsWith(`${d}/`))) strays.push(`${relative(REPO_ROOT, file)} -> ${target}`);
        } else if (!ALLOWED_PACKAGES.has(specifier)) {
          strays.push(`${relative(REPO_ROOT, file)} -> ${specifier}`);
        }
      }
    }
    expect(strays).toEqual([]);
  });
});
