/**
 * Dead letters of the video-flows role (detections.v1: frames whose objects may carry plates) never carry an
 * identifier: not in the excerpt of a truncated frame, not in the JSON parser's message (V8 quotes the input),
 * not under a key spelled `Plate`, `PLATE` or `licensePlate`, not as a MAC cut by the excerpt's length limit.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@passage/config';
import {
  createLogger,
  type DeadLetter,
  ProcessorTask,
  redactedExcerpt,
  redactedMessage,
  StreamMetrics,
} from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { videoFlowsRole } from './video-flows.ts';

const SITES = fileURLToPath(new URL('../../../../infra/scenarios/chartres-centre/scenario.json', import.meta.url));
const T0 = Date.parse('2026-03-10T06:00:00Z');
const PLATES = ['AB-123-CD', 'EF-456-GH', 'JK-789-LM', 'NP-246-QR', 'ST-135-VW', 'XY-864-ZA', 'BC-975-DE'];
const MAC = '3c:22:fb:9a:41:07';
const obj = (extra: string) => `{"bbox":[10,20,30,40],"cls":"car","score":0.9${extra}}`;

async function deadLetters(payloads: string[]): Promise<DeadLetter[]> {
  const config = loadConfig({ env: {}, overrides: { sitesFile: SITES } });
  const task = new ProcessorTask(videoFlowsRole(config), {
    log: createLogger({ level: 'silent' }),
    metrics: new StreamMetrics(),
    allowedLatenessMs: 0,
  });
  await task.start();
  const out = await task.processBatch(
    config.topics.detections,
    0,
    payloads.map((p, i) => ({ key: 'cam-1', value: Buffer.from(p), offset: String(i), timestamp: String(T0) })),
  );
  return out.filter((o) => o.stream === 'dlq').map((o) => o.value as DeadLetter);
}

/** Every plate, also without separators, and every MAC fragment of 2+ octets. */
function leaks(text: string): string[] {
  const needles = PLATES.flatMap((p) => [p, p.replace(/-/g, ''), p.slice(0, 5), p.slice(0, 6), p.slice(3)]);
  const macParts = MAC.split(':');
  for (let i = 0; i + 2 <= macParts.length; i++) needles.push(macParts.slice(i, i + 3).join(':'));
  return needles.filter((n) => text.includes(n) || text.includes(n.toLowerCase()));
}

describe('dead letters of camera frames', () => {
  it('redact a plate cut in the middle by a truncated frame', async () => {
    const frame = `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"plate":"${PLATES[0]}"`)},${obj(`,"plate":"${PLATES[1]}"`)}]}`;
    const cut = frame.indexOf(PLATES[1]) + 6; // ends inside the second plate: "EF-456
    const dl = await deadLetters([frame.slice(0, cut)]);
    expect(dl.map((d) => d.reason)).toEqual(['BAD_JSON']);
    expect(leaks(JSON.stringify(dl))).toEqual([]);
    expect(dl[0].excerpt).toContain('"cameraId":"cam-1"'); // still useful for debugging
  });

  it('keep the JSON parser message free of the input it quotes', async () => {
    const dl = await deadLetters([
      `{"cameraId":"cam-1","ts":${T0},"objects":[{"plate": ${PLATES[2]}}]}`,
      `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"x":"${PLATES[3]}"}`)}]}x`,
    ]);
    expect(dl.map((d) => d.reason)).toEqual(['BAD_JSON', 'BAD_JSON']);
    expect(leaks(dl.map((d) => d.message).join('\n'))).toEqual([]);
    expect(leaks(JSON.stringify(dl))).toEqual([]);
  });

  it('keep version values and schema paths (a key that is a plate) out of the message', async () => {
    const dl = await deadLetters([
      `{"v":"${PLATES[0]}","cameraId":"cam-1","ts":${T0},"objects":[]}`,
      `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"${PLATES[1]}":1`)}]}`,
    ]);
    expect(dl.map((d) => d.reason)).toEqual(['UNKNOWN_VERSION', 'SCHEMA']);
    expect(leaks(JSON.stringify(dl))).toEqual([]);
  });

  it('redact identifier keys whatever their spelling', async () => {
    const dl = await deadLetters([
      `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"Plate":"${PLATES[4]}"`)}]}`,
      `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"PLATE":"${PLATES[5]}","licensePlate":"${PLATES[6]}"`)}]}`,
      `{"cameraId":"cam-1","ts":${T0},"objects":[${obj(`,"MAC_address":"${MAC}"`)}]}`,
    ]);
    expect(dl.map((d) => d.reason)).toEqual(['SCHEMA', 'SCHEMA', 'SCHEMA']);
    expect(leaks(JSON.stringify(dl))).toEqual([]);
  });
});

describe('redactedExcerpt', () => {
  it('masks identifier keys in any spelling, keeps the rest', () => {
    const e = redactedExcerpt(
      `{"siteId":"wifi-a","ts":1,"kind":"anpr","ID":"${PLATES[0]}","Device_Id":42,"macAddr":"${MAC}","emb":[0.1,0.2]}`,
    );
    expect(leaks(e)).toEqual([]);
    expect(e).toContain('"siteId":"wifi-a"');
    expect(e).toContain('"kind":"anpr"');
    expect(e).not.toContain('0.1');
  });

  it('masks plate- and MAC-shaped values under any key, and escaped key names', () => {
    const e = redactedExcerpt(
      `{"note":"seen ${PLATES[1]} at 08:00","k":"${PLATES[2].replace(/-/g, ' ')}","pl\\u0061te":"${PLATES[3]}","x":"${MAC.toUpperCase()}"}`,
    );
    expect(leaks(e)).toEqual([]);
    expect(e).toContain('08:00');
  });

  it('masks a MAC cut by the excerpt window and identifiers in non-JSON text', () => {
    const pad = 'a'.repeat(30);
    const text = `{"pad":"${pad}","other":"${MAC}"}`;
    for (let cut = 10; cut < text.length; cut++) {
      const e = redactedExcerpt(text.slice(0, cut));
      expect(leaks(e), `cut at ${cut}: ${e}`).toEqual([]);
    }
    expect(leaks(redactedExcerpt(`plate=${PLATES[4]};mac=${MAC}`))).toEqual([]);
    // Redacting long values shifts later text into the window: what is cut there is masked too.
    const long = `{"emb":[${Array(200).fill('0.123456').join(',')}],"p":"${PLATES[5]}"}`;
    for (const max of [40, 60, 80]) expect(leaks(redactedExcerpt(long, max))).toEqual([]);
  });

  it('redactedMessage drops the input V8 quotes in JSON.parse errors', () => {
    let msg = '';
    try {
      JSON.parse(`{"plate": ${PLATES[6]}}`);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain(PLATES[6]); // what today's dead letters carried
    expect(leaks(redactedMessage(msg))).toEqual([]);
  });
});
