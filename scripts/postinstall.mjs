// `postinstall`: applies patches/ (graphql-shield's fix for Node >= 23) with patch-package in a
// checkout. Where the package is installed as a dependency (for the mpijob CLI and the SDK),
// neither patches/ nor patch-package (a devDependency) is there, and nothing needs patching:
// the clients do not load graphql-shield. Plain JavaScript: it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../patches/', import.meta.url))) process.exit(0);
const result = spawnSync('patch-package', [], { stdio: 'inherit', shell: true });
process.exit(result.status ?? 1);
