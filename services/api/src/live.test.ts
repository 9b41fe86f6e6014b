import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillFixture } from './fixtures/aggregates.ts';
import { type RunningApi, startApi } from './start.ts';

const KEY = 'traffic-key-0123456789abcdef';
let store: Store;
let api: RunningApi;
let end: number;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  end = (await fillFixture(store.client, { hours: 1 })).end;
  const config = loadConfig({ env: {}, overrides: { api: { keys: [`traffic:${KEY}`] } } });
  api = await startApi({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    port: 0,
    buildDashboard: false,
    livePollMs: 200,
  });
});
afterAll(async () => {
  await api?.close();
  await store?.close();
});

/** Reads SSE events from the live route until `until` says stop (or a timeout). */
async function readEvents(
  until: (events: { event: string; data: string }[]) => boolean,
  onOpen?: () => Promise<void>,
  timeoutMs = 8000,
): Promise<{ event: string; data: string }[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const res = await fetch(`${api.url}/api/v1/live?recent=2`, { headers: { 'x-api-key': KEY }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { event: string; data: string }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let opened = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push({ event: ev, data });
        i = buf.indexOf('\n\n');
      }
      if (!opened && events.length && onOpen) {
        opened = true;
        await onOpen();
      }
      if (until(events)) break;
    }
  } catch (e) {
    if (!ctrl.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

describe('live route (SSE)', () => {
  it('sends the recent minutes, then each new minute as it is stored', async () => {
    const newMinute = end;
    const events = await readEvents(
      (ev) => ev.some((e) => e.event === 'minute' && JSON.parse(e.data).minute === newMinute),
      async () => {
        await store.client.insert({
          table: 'line_counts_1m',
          format: 'JSONEachRow',
          values: [
            {
              site_id: 'site-r3a0',
              camera_id: 'cam-bd-nord',
              line_id: 'cam-bd-nord:l-n',
              direction: 'in',
              mode: 'car',
              minute: Math.floor(newMinute / 1000),
              count: 7,
              speed_sum: 0,
              speed_count: 0,
              _src: 'test',
              _offset: 1,
            },
          ],
        });
      },
    );
    expect(events[0].event).toBe('hello');
    const minutes = events.filter((e) => e.event === 'minute').map((e) => JSON.parse(e.data));
    expect(minutes.length).toBeGreaterThanOrEqual(3);
    expect(minutes[0].minute).toBe(end - 120_000);
    const last = minutes[minutes.length - 1];
    expect(last.minute).toBe(newMinute);
    expect(last.sites).toEqual([{ siteId: 'site-r3a0', count: 7, byMode: { car: 7 } }]);
  });

  it('forwards minutes published in-process (the demo path)', async () => {
    const m = { minute: end + 10 * 60_000, sites: [{ siteId: 'site-c', count: 3, byMode: { pedestrian: 3 } }] };
    const events = await readEvents(
      (ev) => ev.some((e) => e.event === 'minute' && JSON.parse(e.data).minute === m.minute),
      async () => {
        api.app.live.publish(m);
      },
    );
    expect(events.filter((e) => e.event === 'minute').map((e) => JSON.parse(e.data))).toContainEqual(m);
  });
});
