// Copies the dashboard's static files (HTML, CSS, a plain ES module: no build step) from
// src/admin/dashboard/ into dist/admin/dashboard/, where the built admin module reads them.
// Run by `npm run build` after tsc, which copies only TypeScript's output.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src', 'admin', 'dashboard');
const to = path.join(root, 'dist', 'admin', 'dashboard');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) cpSync(path.join(from, name), path.join(to, name));
