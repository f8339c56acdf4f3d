// `npm run generate`: writes the CRDs, the TypeScript types and docs/api.md from the schema.
// Run it after every change to operator/api/*/schema.ts; a unit test fails until you do.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from './render.js';
import { v1alpha1 } from './v1alpha1/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

for (const file of await renderAll(v1alpha1)) {
  const target = join(root, file.path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.content);
  console.log(`wrote ${file.path}`);
}
