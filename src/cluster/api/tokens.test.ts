import { describe, expect, it } from 'vitest';
import { createTokenAuthenticator, parseCsvRecords, parseTokenFile, renderTokenFile, TokenFileError, type StaticToken } from './tokens.ts';

describe('parseCsvRecords', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and skips empty lines', () => {
    expect(parseCsvRecords('a,b,"c,d"\r\n\n"x""y",,"multi\nline"\n')).toEqual([
      ['a', 'b', 'c,d'],
      ['x"y', '', 'multi\nline'],
    ]);
  });

  it('keeps spaces and reads a last line without a line break', () => {
    expect(parseCsvRecords(' a , b ,c')).toEqual([[' a ', ' b ', 'c']]);
  });

  it('refuses a quote inside an unquoted field, with its line and column', () => {
    expect(() => parseCsvRecords('ok,ok,ok\nab"c,d,e\n')).toThrow('parse error on line 2, column 3: bare " in non-quoted-field');
  });

  it('refuses text after a closing quote and an unterminated quote', () => {
    expect(() => parseCsvRecords('"a"b,c,d\n')).toThrow('parse error on line 1, column 3: extraneous or missing " in quoted-field');
    expect(() => parseCsvRecords('t,u,"open\nstill open\n')).toThrow('record on line 1; parse error on line 2, column 12: extraneous or missing " in quoted-field');
  });
});

describe('parseTokenFile', () => {
  it('reads token, user, uid and a quoted list of groups', () => {
    expect(parseTokenFile('tok-1,alice,uid-1,"team-a,mpijob-users"\ntok-2,bob,uid-2\n')).toEqual([
      { token: 'tok-1', user: { username: 'alice', uid: 'uid-1', groups: ['team-a', 'mpijob-users'] } },
      { token: 'tok-2', user: { username: 'bob', uid: 'uid-2', groups: [] } },
    ]);
  });

  it('takes one unquoted group, ignores columns after the groups, and leaves an empty uid out', () => {
    expect(parseTokenFile('tok,carol,,admins,ignored\n')).toEqual([{ token: 'tok', user: { username: 'carol', groups: ['admins'] } }]);
  });

  it('skips records with an empty token', () => {
    expect(parseTokenFile(',ghost,uid\ntok,dave,uid\n').map((e) => e.user.username)).toEqual(['dave']);
  });

  it('refuses a record with fewer than three columns, naming the file', () => {
    expect(() => parseTokenFile('tok,alice\n', { path: '/data/tokens.csv' })).toThrow(
      new TokenFileError("token file '/data/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2"),
    );
  });
});

describe('renderTokenFile', () => {
  const entries: StaticToken[] = [
    { token: 'aaa', user: { username: 'admin', uid: 'u-1', groups: [] } },
    { token: 'bbb', user: { username: 'alice', uid: 'u-2', groups: ['team-a'] } },
    { token: 'ccc', user: { username: 'Bob "the builder"', groups: ['g1', 'g2'] } },
  ];

  it('writes the Kubernetes format, quoting only what needs it', () => {
    expect(renderTokenFile(entries)).toBe('aaa,admin,u-1\nbbb,alice,u-2,team-a\nccc,"Bob ""the builder""",,"g1,g2"\n');
  });

  it('reads back to the same entries', () => {
    expect(parseTokenFile(renderTokenFile(entries))).toEqual(entries);
  });

  it('refuses entries that cannot be written faithfully', () => {
    expect(() => renderTokenFile([{ token: '', user: { username: 'x', groups: [] } }])).toThrow(TokenFileError);
    expect(() => renderTokenFile([{ token: 't', user: { username: '', groups: [] } }])).toThrow(TokenFileError);
    expect(() => renderTokenFile([{ token: 't', user: { username: 'x', groups: ['a,b'] } }])).toThrow('group names cannot contain a comma');
  });
});

describe('createTokenAuthenticator', () => {
  const tokens = parseTokenFile('tok-a,alice,uid-a,"team-a"\ntok-b,bob,uid-b,"system:authenticated,team-b"\ntok-a,mallory,uid-m\n');
  const authenticate = createTokenAuthenticator({
    tokens,
    extra: [{ token: 'admin-token', user: { username: 'embedded-admin', groups: ['system:masters'] } }],
  });

  it('answers the user of a known token, in system:authenticated exactly once', () => {
    expect(authenticate('tok-b')).toEqual({ username: 'bob', uid: 'uid-b', groups: ['system:authenticated', 'team-b'] });
    expect(authenticate('admin-token')).toEqual({ username: 'embedded-admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('lets the later entry of a repeated token win, as kube-apiserver does', () => {
    expect(authenticate('tok-a')?.username).toBe('mallory');
  });

  it('knows no unknown, empty or near-miss token', () => {
    expect(authenticate('nope')).toBeUndefined();
    expect(authenticate('')).toBeUndefined();
    expect(authenticate('tok-b ')).toBeUndefined();
    expect(authenticate('TOK-B')).toBeUndefined();
  });

  it('hands out copies, so a caller cannot change the next answer', () => {
    const first = authenticate('tok-b');
    first?.groups.push('system:masters');
    expect(authenticate('tok-b')?.groups).not.toContain('system:masters');
  });
});
