import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard folder (index.html, vite.config.ts) and its build output. */
export const DASHBOARD_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_DIST = resolve(DASHBOARD_ROOT, 'dist');

/** `vite build` of the dashboard into dashboards/dist (used by the API start when dist is missing, and tests). */
export async function buildDashboard(): Promise<string> {
  const { build } = await import('vite');
  await build({ root: DASHBOARD_ROOT, configFile: resolve(DASHBOARD_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  return DASHBOARD_DIST;
}
