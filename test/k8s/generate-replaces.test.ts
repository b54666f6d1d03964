import { describe, expect, it } from 'vitest';
import { replaceEditFlags, stagingReplaces, stagingVersion } from './generate-replaces.ts';
import type { GoModJson } from './go-tool.ts';

function goMod(replace: GoModJson['Replace']): GoModJson {
  return { Module: { Path: 'example/module' }, Require: [], Replace: replace };
}

describe('the staging module replaces generated from the kubernetes go.mod', () => {
  it('maps a Kubernetes release to the v0 tag of its staging modules', () => {
    expect(stagingVersion('v1.34.4')).toBe('v0.34.4');
    expect(stagingVersion('v1.35.0-rc.1')).toBe('v0.35.0-rc.1');
  });

  it('refuses a version that is not a Kubernetes 1.x release', () => {
    expect(() => stagingVersion('v0.34.4')).toThrow(/not a Kubernetes 1.x release/);
    expect(() => stagingVersion('1.34.4')).toThrow(/not a Kubernetes 1.x release/);
  });

  it('takes exactly the modules redirected into ./staging, sorted, at the matching tag', () => {
    const kubernetes = goMod([
      { Old: { Path: 'k8s.io/client-go' }, New: { Path: './staging/src/k8s.io/client-go' } },
      { Old: { Path: 'k8s.io/api' }, New: { Path: './staging/src/k8s.io/api' } },
      // A pin to a published version is not a staging redirect.
      { Old: { Path: 'github.com/example/pinned' }, New: { Path: 'github.com/example/pinned', Version: 'v1.2.3' } },
    ]);
    expect(stagingReplaces(kubernetes, 'v1.34.4')).toEqual([
      { module: 'k8s.io/api', version: 'v0.34.4' },
      { module: 'k8s.io/client-go', version: 'v0.34.4' },
    ]);
  });

  it('drops k8s.io replaces the new release no longer has and leaves other replaces alone', () => {
    const current = goMod([
      { Old: { Path: 'k8s.io/gone' }, New: { Path: 'k8s.io/gone', Version: 'v0.33.0' } },
      { Old: { Path: 'k8s.io/api' }, New: { Path: 'k8s.io/api', Version: 'v0.33.0' } },
      { Old: { Path: 'github.com/example/mine' }, New: { Path: '../mine' } },
    ]);
    expect(replaceEditFlags(current, [{ module: 'k8s.io/api', version: 'v0.34.4' }])).toEqual([
      '-dropreplace=k8s.io/gone',
      '-replace=k8s.io/api=k8s.io/api@v0.34.4',
    ]);
  });
});
