// vitest globalSetup for the comparison suite: one real control plane for the whole run (it
// takes seconds to start and the test files share it through unique namespaces), handed to the
// test files through `provide`. Builds the binaries first if the cache has none.

import type { TestProject } from 'vitest/node';
import { ensureControlPlaneBinaries } from './build.ts';
import { startControlPlane, TEST_USERS, type ControlPlane, type TestUser } from './control-plane.ts';
import { selectedBackends } from './suite-context.ts';

/** K8S_SIMULATED_CONTROLLERS=0 runs the real server without the project's simulated controllers. */
function simulatedControllersWanted(): boolean {
  return process.env['K8S_SIMULATED_CONTROLLERS'] !== '0';
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!selectedBackends().includes('kube-apiserver')) {
    project.provide('realControlPlane', null);
    return async () => undefined;
  }
  const log = (line: string): void => void process.stderr.write(`[k8s] ${line}\n`);
  const binaries = await ensureControlPlaneBinaries({ log });
  const controlPlane: ControlPlane = await startControlPlane({
    binaries,
    log,
    simulatedControllers: simulatedControllersWanted() ? { timeScale: 60 } : false,
  });
  project.provide('realControlPlane', {
    url: controlPlane.url,
    caPem: controlPlane.caPem,
    tokens: Object.fromEntries((Object.keys(TEST_USERS) as TestUser[]).map((user) => [user, controlPlane.tokenFor(user)])) as Record<TestUser, string>,
    kubernetesVersion: controlPlane.kubernetesVersion,
    logDir: controlPlane.logDir,
  });
  return () => controlPlane.stop();
}
