// Regenerates the `replace` lines of test/k8s/go/kube/go.mod from the go.mod of the pinned
// k8s.io/kubernetes release. That go.mod requires its staging modules (k8s.io/api,
// k8s.io/apiserver, ...) at v0.0.0 and points them at ./staging/src/...; a module that depends on
// k8s.io/kubernetes must map each of them to the matching published v0.X.Y tag itself. The list
// changes between releases, so it is read from the release, never written by hand.
//
//   node test/k8s/generate-replaces.ts                      # regenerate for the pinned version
//   node test/k8s/generate-replaces.ts --kubernetes v1.34.5 # move the pin, then regenerate

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { downloadModule, goOutput, readGoMod, requiredVersion, type GoModJson } from './go-tool.ts';

export const KUBERNETES_MODULE = 'k8s.io/kubernetes';
export const KUBE_MODULE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'go', 'kube');
/** Where the kubernetes go.mod points each staging module (relative to its own root). */
const STAGING_PREFIX = './staging/src/';

export interface StagingReplace {
  module: string;
  version: string;
}

/** k8s.io/kubernetes v1.X.Y is published with its staging modules tagged v0.X.Y. */
export function stagingVersion(kubernetesVersion: string): string {
  const match = /^v1\.(\d+\.\d+.*)$/.exec(kubernetesVersion);
  if (!match?.[1]) throw new Error(`not a Kubernetes 1.x release version: ${kubernetesVersion}`);
  return `v0.${match[1]}`;
}

/** The staging modules the kubernetes go.mod redirects into its own tree, each at the matching tag. */
export function stagingReplaces(kubernetesGoMod: GoModJson, kubernetesVersion: string): StagingReplace[] {
  const version = stagingVersion(kubernetesVersion);
  return (kubernetesGoMod.Replace ?? [])
    .filter((entry) => entry.New.Path.startsWith(STAGING_PREFIX) && entry.New.Version === undefined)
    .map((entry) => ({ module: entry.Old.Path, version }))
    .sort((a, b) => a.module.localeCompare(b.module));
}

/** `go mod edit` flags that make `current`'s k8s.io replaces exactly `wanted`. */
export function replaceEditFlags(current: GoModJson, wanted: StagingReplace[]): string[] {
  const wantedModules = new Set(wanted.map((entry) => entry.module));
  const stale = (current.Replace ?? []).filter((entry) => entry.Old.Path.startsWith('k8s.io/') && !wantedModules.has(entry.Old.Path));
  return [
    ...stale.map((entry) => `-dropreplace=${entry.Old.Path}`),
    ...wanted.map((entry) => `-replace=${entry.module}=${entry.module}@${entry.version}`),
  ];
}

export function regenerateReplaces(options: { moduleDir?: string; kubernetesVersion?: string } = {}): StagingReplace[] {
  const moduleDir = options.moduleDir ?? KUBE_MODULE_DIR;
  const goModPath = join(moduleDir, 'go.mod');
  if (options.kubernetesVersion) {
    goOutput(['mod', 'edit', `-require=${KUBERNETES_MODULE}@${options.kubernetesVersion}`], { cwd: moduleDir });
  }
  const current = readGoMod(goModPath, moduleDir);
  const kubernetesVersion = requiredVersion(current, KUBERNETES_MODULE);
  const download = downloadModule(KUBERNETES_MODULE, kubernetesVersion, moduleDir);
  const wanted = stagingReplaces(readGoMod(download.GoMod, moduleDir), kubernetesVersion);
  if (wanted.length === 0) throw new Error(`${KUBERNETES_MODULE}@${kubernetesVersion} redirects no staging modules; has the layout changed?`);
  goOutput(['mod', 'edit', ...replaceEditFlags(current, wanted)], { cwd: moduleDir });
  goOutput(['mod', 'tidy'], { cwd: moduleDir });
  return wanted;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { kubernetes: { type: 'string' } } });
  const replaces = regenerateReplaces({ kubernetesVersion: values.kubernetes });
  process.stdout.write(`${replaces.length} staging modules replaced at ${replaces[0]?.version ?? '?'} in ${join(KUBE_MODULE_DIR, 'go.mod')}\n`);
}
