import { loadConfig, PassageError } from '@passage/config';
import { createLogger } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';

const log = createLogger({ level: 'silent' });
// The route reads the config only: a store that is never queried is enough.
const store = { client: {} as never, kind: 'none' };

async function uiConfig(env: Record<string, string>) {
  const app = await buildApp({ config: loadConfig({ env }), store, log, dashboardDir: false });
  try {
    const res = await app.inject({ method: 'GET', url: '/api/v1/ui-config' });
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    return { status: res.statusCode, body: res.json(), documented: '/api/v1/ui-config' in doc.paths };
  } finally {
    await app.close();
  }
}

describe('GET /api/v1/ui-config', () => {
  it('says "no style" by default (offline base map) and is public and documented', async () => {
    expect(await uiConfig({})).toEqual({ status: 200, body: { mapStyleUrl: null }, documented: true });
  });

  it('passes PASSAGE_MAP_STYLE_URL (api.mapStyleUrl) to the dashboard', async () => {
    const r = await uiConfig({ PASSAGE_MAP_STYLE_URL: 'https://tiles.example.org/styles/liberty.json' });
    expect(r.body).toEqual({ mapStyleUrl: 'https://tiles.example.org/styles/liberty.json' });
    expect((await uiConfig({ PASSAGE_MAP_STYLE_URL: '/styles/local.json' })).body.mapStyleUrl).toBe(
      '/styles/local.json',
    );
  });

  it('refuses a style URL that is neither http(s) nor a same-origin path at start', () => {
    expect(() => loadConfig({ env: { PASSAGE_MAP_STYLE_URL: 'javascript:alert(1)' } })).toThrow(PassageError);
  });
});
