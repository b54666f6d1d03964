// The fenced code blocks of one README section, so tests can run what the README tells people to
// run, word for word.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const README_PATH = resolve(import.meta.dirname, '../../README.md');

/** The blocks fenced with ```<language> inside `## <section>` (up to the next `## `). */
export function readmeBlocks(section: string, language: string): string[] {
  const text = readFileSync(README_PATH, 'utf8');
  const start = text.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${section}"`);
  const next = text.indexOf('\n## ', start + 1);
  const body = text.slice(start, next < 0 ? undefined : next);
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm');
  return [...body.matchAll(fence)].map((m) => m[1] ?? '');
}
