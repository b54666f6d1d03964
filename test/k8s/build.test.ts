import { describe, expect, it } from 'vitest';
import { defaultCacheRoot, kubeVersionLdflags } from './build.ts';

describe('the control-plane build recipe', () => {
  it('sets the version variables of both component-base and client-go from the release tag', () => {
    const flags = kubeVersionLdflags('v1.34.4', '2026-02-10T12:53:36Z');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      expect(flags).toEqual(
        expect.arrayContaining([
          `-X ${pkg}.gitVersion=v1.34.4`,
          `-X ${pkg}.gitMajor=1`,
          `-X ${pkg}.gitMinor=34`,
          `-X ${pkg}.buildDate=2026-02-10T12:53:36Z`,
          `-X ${pkg}.gitTreeState=archive`,
          `-X ${pkg}.gitCommit=`,
        ]),
      );
    }
    expect(flags).toHaveLength(12);
  });

  it('refuses a version it cannot split into major and minor', () => {
    expect(() => kubeVersionLdflags('latest', '2026-02-10T12:53:36Z')).toThrow(/unexpected Kubernetes version/);
  });

  it('caches under XDG_CACHE_HOME when it is set', () => {
    const saved = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = '/var/cache/someone';
    try {
      expect(defaultCacheRoot()).toBe('/var/cache/someone/mpijob-gateway/k8s');
    } finally {
      if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = saved;
    }
  });
});
