// Static bearer tokens in the Kubernetes token file format (kube-apiserver --token-auth-file):
// CSV records `token,user,uid[,"group1,group2"]`, read as Go's encoding/csv reads them, and the
// authenticator over them. Tokens are kept only as SHA-256 digests, so a lookup takes the same
// path whatever the token shares with a valid one, and no token sits in memory as text.

import { createHash } from 'node:crypto';
import type { UserInfo } from './admission.ts';
import { ALL_AUTHENTICATED_GROUP } from './authorization.ts';

export interface StaticToken {
  token: string;
  user: UserInfo;
}

/** Columns before the optional groups column; fewer is an error, as upstream. */
const REQUIRED_COLUMNS = 3;
const GROUPS_COLUMN = 3;
const FIELD_SEPARATOR = ',';
const QUOTE = '"';

const ERR_BARE_QUOTE = 'bare " in non-quoted-field';
const ERR_QUOTE = 'extraneous or missing " in quoted-field';

/** A malformed token file; the message reads like kube-apiserver's when it refuses one. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

function parseError(startLine: number, line: number, column: number, cause: string): TokenFileError {
  const where = startLine === line ? '' : `record on line ${startLine}; `;
  return new TokenFileError(`${where}parse error on line ${line}, column ${column}: ${cause}`);
}

/** Lines with their terminator normalised to `\n` (`\r\n` and a final `\r` are read as Go reads them). */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end < 0) {
      lines.push(text.slice(start).replace(/\r$/, ''));
      break;
    }
    lines.push(`${text.slice(start, end).replace(/\r$/, '')}\n`);
    start = end + 1;
  }
  return lines;
}

/**
 * CSV records as Go's encoding/csv returns them with a variable field count: empty lines are
 * skipped, a field that starts with `"` is quoted (`""` is a quote, newlines are kept), a `"`
 * anywhere else in a field is an error, and nothing is trimmed.
 */
export function parseCsvRecords(text: string): string[][] {
  const lines = splitLines(text);
  const records: string[][] = [];
  let index = 0;
  while (index < lines.length) {
    let line = lines[index] ?? '';
    index += 1;
    const startLine = index;
    if (line === '\n' || line === '') continue;
    let lineNumber = startLine;
    let column = 1;
    const fields: string[] = [];
    for (;;) {
      if (!line.startsWith(QUOTE)) {
        const comma = line.indexOf(FIELD_SEPARATOR);
        const field = comma >= 0 ? line.slice(0, comma) : line.replace(/\n$/, '');
        const bare = field.indexOf(QUOTE);
        if (bare >= 0) throw parseError(startLine, lineNumber, column + bare, ERR_BARE_QUOTE);
        fields.push(field);
        if (comma < 0) break;
        line = line.slice(comma + 1);
        column += comma + 1;
        continue;
      }
      // A quoted field, possibly running over several lines.
      let field = '';
      line = line.slice(1);
      column += 1;
      let ended: 'field' | 'record' | undefined;
      while (ended === undefined) {
        const quote = line.indexOf(QUOTE);
        if (quote >= 0) {
          field += line.slice(0, quote);
          line = line.slice(quote + 1);
          column += quote + 1;
          const next = line[0];
          if (next === QUOTE) {
            field += QUOTE;
            line = line.slice(1);
            column += 1;
          } else if (next === FIELD_SEPARATOR) {
            line = line.slice(1);
            column += 1;
            ended = 'field';
          } else if (next === undefined || line === '\n') {
            ended = 'record';
          } else {
            // Reported at the closing quote, as Go does.
            throw parseError(startLine, lineNumber, column - 1, ERR_QUOTE);
          }
        } else if (line.length > 0 && index < lines.length) {
          field += line;
          line = lines[index] ?? '';
          index += 1;
          lineNumber = index;
          column = 1;
        } else {
          throw parseError(startLine, lineNumber, column + line.length, ERR_QUOTE);
        }
      }
      fields.push(field);
      if (ended === 'record') break;
    }
    records.push(fields);
  }
  return records;
}

export interface ParseTokenFileOptions {
  /** Named in error messages; default `tokens.csv`. */
  path?: string;
}

/**
 * The entries of a token file, in file order. Records with an empty token are skipped; a token
 * listed twice is kept twice and the later one wins in the authenticator, as upstream. A fourth
 * column is split on commas into groups (so several groups need quotes); later columns are
 * ignored. Throws TokenFileError on malformed CSV or a record with fewer than three columns.
 */
export function parseTokenFile(text: string, options: ParseTokenFileOptions = {}): StaticToken[] {
  const path = options.path ?? 'tokens.csv';
  const entries: StaticToken[] = [];
  for (const record of parseCsvRecords(text)) {
    if (record.length < REQUIRED_COLUMNS) {
      throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`);
    }
    const [token = '', username = '', uid = ''] = record;
    if (token === '') continue;
    const groupsColumn = record[GROUPS_COLUMN];
    const user: UserInfo = { username, groups: groupsColumn === undefined ? [] : groupsColumn.split(FIELD_SEPARATOR) };
    if (uid !== '') user.uid = uid;
    entries.push({ token, user });
  }
  return entries;
}

/** Go's csv.Writer rule: quote a field with a separator, quote or line break, or a leading space. */
function csvField(field: string): string {
  if (field === '') return field;
  const needsQuotes = /[",\r\n]/.test(field) || /^\s/.test(field) || field === '\\.';
  return needsQuotes ? `${QUOTE}${field.replaceAll(QUOTE, QUOTE + QUOTE)}${QUOTE}` : field;
}

/**
 * A token file kube-apiserver (and parseTokenFile) reads back to the same entries: one record per
 * entry, the groups column only when there are groups, quoted when it holds several. Throws on
 * an entry without a token or username, or a group name containing a comma (it would split).
 */
export function renderTokenFile(entries: readonly StaticToken[]): string {
  return entries
    .map(({ token, user }) => {
      if (token === '') throw new TokenFileError(`the entry of user "${user.username}" has an empty token`);
      if (user.username === '') throw new TokenFileError('every entry needs a user name');
      const bad = user.groups.find((group) => group.includes(FIELD_SEPARATOR));
      if (bad !== undefined) throw new TokenFileError(`group names cannot contain a comma in a token file: ${JSON.stringify(bad)}`);
      const fields = [token, user.username, user.uid ?? ''];
      if (user.groups.length > 0) fields.push(user.groups.join(FIELD_SEPARATOR));
      return `${fields.map(csvField).join(FIELD_SEPARATOR)}\n`;
    })
    .join('');
}

export type TokenAuthenticator = (token: string) => UserInfo | undefined;

export interface TokenAuthenticatorOptions {
  /** The token file's entries; a repeated token maps to its last entry. */
  tokens: readonly StaticToken[];
  /** Further credentials, such as the cluster's own admin token; they win over a file entry with the same token. Default none. */
  extra?: readonly StaticToken[];
}

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/**
 * Bearer token -> user, or undefined for an unknown token. Every user it returns is in
 * `system:authenticated` (added when the entry does not list it), as the real server's
 * authenticator chain does; each answer is a fresh object the caller may keep.
 */
export function createTokenAuthenticator(options: TokenAuthenticatorOptions): TokenAuthenticator {
  const users = new Map<string, UserInfo>();
  for (const { token, user } of [...options.tokens, ...(options.extra ?? [])]) {
    if (token === '') continue;
    const groups = user.groups.includes(ALL_AUTHENTICATED_GROUP) ? [...user.groups] : [...user.groups, ALL_AUTHENTICATED_GROUP];
    users.set(digest(token), { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups });
  }
  return (token) => {
    if (token === '') return undefined;
    const user = users.get(digest(token));
    return user ? { ...user, groups: [...user.groups] } : undefined;
  };
}
