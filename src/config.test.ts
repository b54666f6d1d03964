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
      auth: { strategy: 'token-file', tokenFile: undefined },
      production: false,
      auditLog: '.mpijob-gateway/audit.log',
      allowedOrigins: [],
      maxConnectionsPerUser: 20,
      maxSubscriptionsPerUser: 100,
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

  it('authenticates with the demo token file on the embedded cluster and with TokenReview on any other', () => {
    expect(config([]).auth).toEqual({ strategy: 'token-file', tokenFile: undefined });
    expect(config(['--kubeconfig', '/k'], {}, ['/k']).auth).toEqual({ strategy: 'kubernetes', audiences: [] });
    expect(config(['--kubeconfig', '/k', '--token-file', '/t'], {}, ['/k', '/t']).auth).toEqual({ strategy: 'token-file', tokenFile: '/t' });
    expect(config(['--auth', 'kubernetes', '--token-audiences', 'a,b'], {}).auth).toEqual({ strategy: 'kubernetes', audiences: ['a', 'b'] });
  });

  it('reads the OIDC settings with their claim defaults, and refuses an issuer over plain HTTP off loopback', () => {
    const c = config(['--auth', 'oidc', '--oidc-issuer-url', 'https://id.example.com', '--oidc-client-id', 'gateway'], { MPIJOB_GATEWAY_OIDC_GROUPS_CLAIM: 'roles' });
    expect(c.auth).toEqual({
      strategy: 'oidc',
      issuer: 'https://id.example.com',
      audiences: ['gateway'],
      usernameClaim: 'sub',
      groupsClaim: 'roles',
      usernamePrefix: '',
      groupsPrefix: '',
      jwksUrl: undefined,
    });
    expect(() => config(['--auth', 'oidc', '--oidc-issuer-url', 'http://id.example.com', '--oidc-client-id', 'g'])).toThrow(/--oidc-issuer-url/);
    expect(() => config(['--auth', 'oidc', '--oidc-issuer-url', 'https://id.example.com'])).toThrow(/--oidc-client-id .*client id/);
    expect(config(['--auth', 'oidc', '--oidc-issuer-url', 'http://127.0.0.1:5556', '--oidc-client-id', 'g']).auth).toMatchObject({ issuer: 'http://127.0.0.1:5556' });
  });

  it('refuses a token-file strategy without a file outside the embedded cluster, and an unknown strategy', () => {
    expect(() => config(['--kubeconfig', '/k', '--auth', 'token-file'], {}, ['/k'])).toThrow(/--token-file .*needs a file/);
    expect(() => config(['--token-file', '/missing'])).toThrow(/no file at \/missing/);
    expect(() => config(['--auth', 'none'])).toThrow(/--auth \(env MPIJOB_GATEWAY_AUTH\)/);
  });

  it('turns production mode on from the flag, its variable or NODE_ENV, and validates origins and caps', () => {
    expect(config(['--production']).production).toBe(true);
    expect(config([], { NODE_ENV: 'production' }).production).toBe(true);
    expect(config([], { MPIJOB_GATEWAY_PRODUCTION: 'false', NODE_ENV: 'production' }).production).toBe(false);
    expect(config([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, [SERVICE_ACCOUNT_TOKEN_PATH]).production, 'in a pod').toBe(true);
    expect(config([], { KUBERNETES_SERVICE_HOST: '10.0.0.1', MPIJOB_GATEWAY_PRODUCTION: 'false' }, [SERVICE_ACCOUNT_TOKEN_PATH]).production).toBe(false);
    expect(config(['--kubeconfig', '/k'], {}, ['/k']).production).toBe(false);
    expect(config(['--allowed-origins', 'https://ui.example.com, http://localhost:3000']).allowedOrigins).toEqual(['https://ui.example.com', 'http://localhost:3000']);
    expect(() => config(['--allowed-origins', 'https://ui.example.com/path'])).toThrow(/--allowed-origins/);
    expect(() => config(['--max-subscriptions-per-user', '0'])).toThrow(/--max-subscriptions-per-user/);
    expect(config(['--audit-log', '/var/log/gw.log']).auditLog).toBe('/var/log/gw.log');
  });

  it('reports --help without building a configuration', () => {
    expect(loadConfig({ argv: ['--help'], env: {} })).toEqual({ help: true });
  });
});
