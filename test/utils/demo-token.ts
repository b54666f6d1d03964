// A demo user's bearer token from an embedded cluster's token file (`token,user,uid,"groups"`),
// for clients that run outside the test harness's own GraphQL helpers (the SDK, the CLI).

import { readFileSync } from 'node:fs';

export function demoToken(tokenFilePath: string, user: string): string {
  for (const line of readFileSync(tokenFilePath, 'utf8').split('\n')) {
    const [token, name] = line.split(',');
    if (name === user && token) return token;
  }
  throw new Error(`no token for ${user} in ${tokenFilePath}`);
}
