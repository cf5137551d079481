/**
 * The dashboard's files: plain HTML, CSS and an ES module in `dashboard/` beside this module
 * (copied into dist by `scripts/copy-dashboard.mjs`), read once when a mount is made and served
 * from memory. No build step, no CDN; the page's Content-Security-Policy allows nothing but
 * this origin's own files, so even a job name that slipped into the page as HTML could not run.
 * @module
 */
import { readFileSync } from 'node:fs';

/** A file of the dashboard, as served. */
export interface DashboardFile {
  contentType: string;
  body: Buffer;
}

/** Path under the mount → file name in `dashboard/`, with its content type. */
const FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard.js': ['dashboard.js', 'text/javascript; charset=utf-8'],
  '/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
};

/** The paths the dashboard's files are served at, under the mount. */
export const DASHBOARD_FILES = Object.keys(FILES);

/** Headers of every dashboard file. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

let cached: Map<string, DashboardFile> | undefined;

/** The dashboard's files, read on first use. */
export function loadDashboard(): Map<string, DashboardFile> {
  if (cached) return cached;
  const files = new Map<string, DashboardFile>();
  for (const [path, [name, contentType]] of Object.entries(FILES)) {
    files.set(path, { contentType, body: readFileSync(new URL(`./dashboard/${name}`, import.meta.url)) });
  }
  cached = files;
  return files;
}
