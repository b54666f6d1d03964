import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SERVICE_ACCOUNT_TOKEN_PATH, type GatewayConfig } from './config.ts';

function config(argv: string[], env: Record<string, string> = {}, files: string[] = []): GatewayConfig {
  const loaded = loadConfig({ argv, env, fileExists: (p) => files.includes(p) });
  if (loaded.help) throw new Error('unexpected help');
  return loaded.config;
}

describe('loadConfig', () => {
  it('defaults to port 4000 on loopback, all namespaces and an embedded cluster', () => {
    expect(config([])).toEqual({
      port: 4000,
      host: '127.0.0.1',
      dataDir: './.mpijob-gateway',
      cluster: { kind: 'embedded', ephemeral: false, timeScale: 1 },
      namespaces: 'all',
      logLevel: 'info',
    });
  });

  it('prefers flags over environment variables', () => {
    const c = config(['--port', '0', '--namespaces', 'team-a, team-b,team-a', '--ephemeral', '--time-scale', '60'], {
      PORT: '8080',
      MPIJOB_GATEWAY_NAMESPACES: 'x',
    });
    expect(c.port).toBe(0);
    expect(c.namespaces).toEqual(['team-a', 'team-b']);
    expect(c.cluster).toEqual({ kind: 'embedded', ephemeral: true, timeScale: 60 });
    expect(config([], { PORT: '8080', MPIJOB_GATEWAY_EPHEMERAL: 'true' })).toMatchObject({ port: 8080, cluster: { ephemeral: true } });
  });

  it('uses a kubeconfig from the flag or KUBECONFIG, and the service account inside a pod', () => {
    expect(config(['--kubeconfig', '/k'], {}, ['/k']).cluster).toEqual({ kind: 'kubeconfig', path: '/k' });
    expect(config([], { KUBECONFIG: '/a:/b' }, ['/a']).cluster).toEqual({ kind: 'kubeconfig', path: '/a' });
    expect(config([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, [SERVICE_ACCOUNT_TOKEN_PATH]).cluster).toEqual({ kind: 'in-cluster' });
    expect(config([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).cluster.kind).toBe('embedded');
  });

  it('explains invalid values naming the flag and the variable', () => {
    expect(() => config([], { PORT: 'http' })).toThrow(ConfigError);
    expect(() => config([], { PORT: '70000' })).toThrow(/--port \(env PORT\)/);
    expect(() => config(['--namespaces', 'Team_A'])).toThrow(/"Team_A" is not a valid namespace name/);
    expect(() => config(['--time-scale=-1'])).toThrow(/--time-scale \(env MPIJOB_GATEWAY_TIME_SCALE\)/);
    expect(() => config(['--kubeconfig', '/missing'])).toThrow(/no file at \/missing/);
    expect(() => config(['--bogus'])).toThrow(/Unknown option '--bogus'/);
  });

  it('reports --help without building a configuration', () => {
    expect(loadConfig({ argv: ['--help'], env: {} })).toEqual({ help: true });
  });
});
