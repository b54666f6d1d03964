import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenFileAuthenticator, parseCsv, parseTokenFile, TokenFileError } from './token-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
  dirs.push(dir);
  const path = join(dir, 'tokens.csv');
  writeFileSync(path, content);
  return path;
}

describe('the static token file format', () => {
  it('reads quoted fields, escaped quotes, CRLF line ends and skips blank lines as Go does', () => {
    expect(parseCsv('a,b,c\r\n\n"x,y","say ""hi""",z\n')).toEqual([
      ['a', 'b', 'c'],
      ['x,y', 'say "hi"', 'z'],
    ]);
  });

  it('refuses a stray quote and an unterminated quoted field without quoting the record', () => {
    expect(() => parseCsv('secret-token,al"ice,1\n')).toThrow(TokenFileError);
    expect(() => parseCsv('secret-token,alice,1,"g1,g2\n')).toThrow(/not closed/);
    let message = '';
    try {
      parseTokenFile('secret-token,alice\n');
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/columns/);
    expect(message).not.toContain('secret-token');
  });

  it('maps token, user, uid and a quoted groups column, adding system:authenticated', () => {
    expect(parseTokenFile('t1,alice,u-1,"team-a,ml"\nt2,bob,,\n,nobody,u-3\n')).toEqual([
      { token: 't1', identity: { username: 'alice', uid: 'u-1', groups: ['team-a', 'ml', 'system:authenticated'] } },
      { token: 't2', identity: { username: 'bob', groups: ['system:authenticated'] } },
    ]);
  });

  it('refuses a record with fewer than three columns', () => {
    expect(() => parseTokenFile('t1,alice\n')).toThrow(/at least 3/);
  });
});

describe('the token-file authenticator', () => {
  it('accepts listed tokens, refuses others, and the last entry of a repeated token wins', async () => {
    const auth = createTokenFileAuthenticator({ path: tempFile('t1,alice,u1\nt2,bob,u2\nt1,carol,u3\n') });
    expect(await auth.authenticate('t2')).toEqual({ username: 'bob', uid: 'u2', groups: ['system:authenticated'] });
    expect((await auth.authenticate('t1'))?.username).toBe('carol');
    expect(await auth.authenticate('t3')).toBeUndefined();
    expect(await auth.authenticate('')).toBeUndefined();
  });

  it('picks up a removed token once the recheck interval has passed', async () => {
    const path = tempFile('t1,alice,u1\nt2,bob,u2\n');
    let clock = 0;
    const auth = createTokenFileAuthenticator({ path, recheckMs: 1000, now: () => clock });
    expect(await auth.authenticate('t1')).toBeDefined();
    writeFileSync(path, 't2,bob,u2\n');
    clock = 500;
    expect(await auth.authenticate('t1'), 'still inside the recheck interval').toBeDefined();
    clock = 1500;
    expect(await auth.authenticate('t1')).toBeUndefined();
    expect(await auth.authenticate('t2')).toBeDefined();
  });

  it('refuses every token while the file is missing or malformed (fails closed)', async () => {
    const path = tempFile('t1,alice,u1\n');
    let clock = 0;
    const errors: Error[] = [];
    const auth = createTokenFileAuthenticator({ path, recheckMs: 10, now: () => clock, onReloadError: (e) => errors.push(e) });
    unlinkSync(path);
    clock = 100;
    expect(await auth.authenticate('t1')).toBeUndefined();
    writeFileSync(path, 't1,alice\n');
    clock = 200;
    expect(await auth.authenticate('t1')).toBeUndefined();
    expect(errors).toHaveLength(2);
    writeFileSync(path, 't1,alice,u1,admins\n');
    clock = 300;
    expect((await auth.authenticate('t1'))?.groups).toEqual(['admins', 'system:authenticated']);
  });

  it('refuses to start on a file that does not parse', () => {
    expect(() => createTokenFileAuthenticator({ path: tempFile('t1\n') })).toThrow(TokenFileError);
  });
});
