// The `token-file` strategy: static bearer tokens in the Kubernetes static token file format
// (kube-apiserver `--token-auth-file`): CSV records `token,user,uid[,"group1,group2"]`. Tokens are
// held only as SHA-256 digests. The file is re-read when it changes, so removing a line revokes
// a token without a restart (and a WebSocket holding it is refused at its next subscribe).

import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import type { Authenticator } from './authenticator.ts';
import { withAuthenticatedGroup, type Identity } from './identity.ts';

/** How often, at most, the file's size and modification time are compared with the loaded copy. */
export const TOKEN_FILE_RECHECK_MS = 1_000;

const MIN_COLUMNS = 3;
const GROUPS_COLUMN = 3;
const QUOTE = '"';
const SEPARATOR = ',';

export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

export interface StaticTokenEntry {
  token: string;
  identity: Identity;
}

/**
 * CSV as Go's encoding/csv reads it (the format's reference reader): empty lines skipped, a
 * field that opens with `"` is quoted (`""` is a quote; line breaks inside are kept), a quote
 * anywhere else is an error, nothing is trimmed.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const normalised = text.replace(/\r\n/g, '\n');
  let i = 0;
  let line = 1;
  while (i < normalised.length) {
    if (normalised[i] === '\n') {
      i += 1;
      line += 1;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (normalised[i] === QUOTE) {
        const startLine = line;
        i += 1;
        for (;;) {
          if (i >= normalised.length) throw new TokenFileError(`line ${startLine}: a quoted field is not closed`);
          const char = normalised[i];
          if (char === QUOTE) {
            if (normalised[i + 1] === QUOTE) {
              field += QUOTE;
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          if (char === '\n') line += 1;
          field += char;
          i += 1;
        }
        const after = normalised[i];
        if (after !== undefined && after !== SEPARATOR && after !== '\n') {
          throw new TokenFileError(`line ${line}: unexpected text after a quoted field`);
        }
      } else {
        while (i < normalised.length && normalised[i] !== SEPARATOR && normalised[i] !== '\n') {
          if (normalised[i] === QUOTE) throw new TokenFileError(`line ${line}: a quote inside an unquoted field`);
          field += normalised[i];
          i += 1;
        }
      }
      fields.push(field);
      if (normalised[i] === SEPARATOR) {
        i += 1;
        continue;
      }
      break;
    }
    records.push(fields);
  }
  return records;
}

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/**
 * The entries of a token file. As kube-apiserver: fewer than three columns is an error, an empty
 * token is skipped, a fourth column is split on commas into groups, later columns are ignored.
 * Error messages never quote a record, since records hold tokens.
 */
export function parseTokenFile(text: string): StaticTokenEntry[] {
  const entries: StaticTokenEntry[] = [];
  parseCsv(text).forEach((record, index) => {
    if (record.length < MIN_COLUMNS) {
      throw new TokenFileError(`record ${index + 1} has ${record.length} columns; a token file needs at least 3 (token, user name, user uid)`);
    }
    const [token = '', username = '', uid = ''] = record;
    if (token === '') return;
    const groupsColumn = record[GROUPS_COLUMN];
    const groups = groupsColumn === undefined || groupsColumn === '' ? [] : groupsColumn.split(SEPARATOR);
    entries.push({ token, identity: withAuthenticatedGroup({ username, ...(uid ? { uid } : {}), groups }) });
  });
  return entries;
}

export interface TokenFileAuthenticatorOptions {
  path: string;
  /** Default TOKEN_FILE_RECHECK_MS. */
  recheckMs?: number;
  /** Default Date.now. */
  now?: () => number;
  /** Told when a changed file cannot be read; every token is refused until it can. Default: nothing. */
  onReloadError?: (error: Error) => void;
}

interface Loaded {
  byDigest: Map<string, Identity>;
  mtimeMs: number;
  size: number;
}

function load(path: string, stats: Stats): Loaded {
  const byDigest = new Map<string, Identity>();
  // A repeated token maps to its last entry, as upstream.
  for (const entry of parseTokenFile(readFileSync(path, 'utf8'))) byDigest.set(digest(entry.token), entry.identity);
  return { byDigest, mtimeMs: stats.mtimeMs, size: stats.size };
}

/** Reads the file now (throws TokenFileError or a file-system error when it cannot), and again whenever it changes. */
export function createTokenFileAuthenticator(options: TokenFileAuthenticatorOptions): Authenticator {
  const { path } = options;
  const recheckMs = options.recheckMs ?? TOKEN_FILE_RECHECK_MS;
  const now = options.now ?? Date.now;
  let loaded: Loaded = load(path, statSync(path));
  let checkedAt = now();

  const refresh = (): void => {
    if (now() - checkedAt < recheckMs) return;
    checkedAt = now();
    try {
      const stats = statSync(path);
      if (stats.mtimeMs !== loaded.mtimeMs || stats.size !== loaded.size) loaded = load(path, stats);
    } catch (error) {
      // Fail closed: a file being rewritten or removed must not keep revoked tokens alive.
      loaded = { byDigest: new Map(), mtimeMs: Number.NaN, size: -1 };
      options.onReloadError?.(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    strategy: 'token-file',
    async authenticate(token) {
      if (token === '') return undefined;
      refresh();
      const identity = loaded.byDigest.get(digest(token));
      return identity ? { ...identity, groups: [...identity.groups] } : undefined;
    },
  };
}
