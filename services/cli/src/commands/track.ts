import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config';
import { trackMotFile } from '@passage/core';
import { parseFlags } from '../args.ts';

export const help = `passage track --mot <det.txt> --fps <n> [--scores auto|none]
  Runs Passage's tracker (ByteTrack family) on MOTChallenge detections and writes a MOTChallenge hypothesis
  file (frame,id,left,top,width,height,conf,-1,-1,-1) to stdout. Progress and a summary go to stderr.
  --scores auto   rescale detection scores to [0,1] when the file's scores fall outside it (default).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('track', argv, {
    mot: { type: 'string' },
    fps: { type: 'string' },
    scores: { type: 'string', default: 'auto' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help || !values.mot || !values.fps) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const fps = Number(values.fps);
  if (!(fps > 0)) throw new PassageError('PASSAGE_CLI_USAGE', `--fps must be a positive number, got ${values.fps}.`);
  let text: string;
  try {
    text = readFileSync(values.mot as string, 'utf8');
  } catch (cause) {
    throw new PassageError('PASSAGE_FILE_NOT_FOUND', `Cannot read ${values.mot}: check the path.`, { cause });
  }
  const t0 = performance.now();
  const r = trackMotFile(text, { fps, scores: values.scores as 'auto' | 'none' });
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(r.text);
  console.error(
    `tracked ${r.detections} detections in ${r.frames} frames → ${r.tracks} tracks in ${s.toFixed(3)} s ` +
      `(${Math.round(r.detections / s)} detections/s)`,
  );
  return 0;
}
