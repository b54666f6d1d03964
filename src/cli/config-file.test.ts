import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigFileError, configPath, readConfig, resolveConnection, writeConfig } from './config-file.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mpijob-cli-config-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('configPath', () => {
  it('prefers MPIJOB_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ MPIJOB_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg' }, 'linux')).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }, 'linux')).toBe('/xdg/mpijob/config.json');
    expect(configPath({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.config/mpijob/config.json');
  });

  it('uses APPDATA on Windows', () => {
    expect(configPath({ APPDATA: 'C:/Users/u/AppData/Roaming', HOME: '/h' }, 'win32')).toBe(join('C:/Users/u/AppData/Roaming', 'mpijob', 'config.json'));
  });
});

describe('the config file', () => {
  it('is written readable by its owner only, in a private directory', () => {
    const path = join(tempDir(), 'nested', 'mpijob', 'config.json');
    writeConfig(path, { server: 'http://gw/graphql', token: 'secret', namespace: 'team-a' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(readConfig(path)).toEqual({ server: 'http://gw/graphql', token: 'secret', namespace: 'team-a' });
  });

  it('tightens the mode of a file that existed with wider permissions', () => {
    const path = join(tempDir(), 'config.json');
    writeFileSync(path, '{}', { mode: 0o644 });
    writeConfig(path, { token: 't' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ token: 't' });
  });

  it('reads as empty when there is none, and says which file is broken when it is', () => {
    const dir = tempDir();
    expect(readConfig(join(dir, 'missing.json'))).toEqual({});
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(() => readConfig(broken)).toThrow(ConfigFileError);
    expect(() => readConfig(broken)).toThrow(broken);
  });
});

describe('resolveConnection', () => {
  it('lets MPIJOB_SERVER and MPIJOB_TOKEN override the file, and defaults the namespace', () => {
    const fromFile = { server: 'http://file/graphql', token: 'file-token' };
    expect(resolveConnection(fromFile, {})).toEqual({ server: 'http://file/graphql', token: 'file-token', namespace: 'default' });
    expect(resolveConnection({ ...fromFile, namespace: 'team-a' }, { MPIJOB_SERVER: 'http://env/graphql', MPIJOB_TOKEN: 'env-token' })).toEqual({
      server: 'http://env/graphql',
      token: 'env-token',
      namespace: 'team-a',
    });
  });
});
