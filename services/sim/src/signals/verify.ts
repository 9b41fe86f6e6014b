/**
 * Closed-loop check of signal plans in SUMO: the world's network and demand (its routes, as simulated) run with
 * the current plans, with Passage's proposal, with SUMO's own Webster tool `tlsCycleAdaptation.py` fed with the
 * true routes, and with actuated control, for several seeds and demand scales. Reported per variant: mean vehicle
 * time loss over trips (tripinfo), mean waiting count (stops), arrived vehicles (throughput), and the time loss
 * on the approaches of the junctions under study (edgeData on their incoming edges).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassageError } from '@passage/core';
import { XMLParser } from 'fast-xml-parser';
import { type CommandRecord, requireSumo, runTool } from '../build/sumo.ts';
import { median } from '../eval/metrics.ts';
import { readSumoNet, type SumoNet, tlLogicXml } from './sumo-tls.ts';

export type Variant = 'current' | 'proposed' | 'tlsCycleAdaptation' | 'actuated';

export interface RunResult {
  variant: Variant;
  seed: number;
  scale: number;
  vehicles: number;
  meanTimeLossS: number;
  meanWaitingCount: number;
  /** Sum of time loss on the incoming edges of the studied junctions, per junction, seconds. */
  approachTimeLossS: Record<string, number>;
  /** Per studied junction: what its approaches saw (edgeData and lane-area detectors on every approach lane). */
  perJunction: Record<string, JunctionRun>;
  seconds: number;
}

export interface JunctionRun {
  /** Time loss on its approaches, seconds (= `approachTimeLossS`). */
  timeLossS: number;
  /** Vehicles that left its approaches (throughput). */
  vehicles: number;
  /** Halts started on its approach lanes. */
  stops: number;
  /** Queue: its worst approach lane's largest jam per quarter hour, mean over the quarter hours, metres. */
  queueM: number;
}

export interface VerifyOptions {
  scenarioDir: string;
  net: SumoNet;
  /** Junctions (tls ids) whose approaches are measured. */
  junctions: readonly string[];
  /** Passage's proposal: a tlLogic additional file. */
  planFile: string;
  seeds?: readonly number[];
  scales?: readonly number[];
  /** Simulation end, seconds (default: the config's). */
  endS?: number;
  variants?: readonly Variant[];
  /** Route files replacing the world's demand (the screen's measured demand, `screen.ts`); default: the world's. */
  demandFiles?: readonly string[];
  log?: (msg: string) => void;
}

const SUMO_HOME_DEFAULT = '/usr/share/sumo';

function actuatedXml(net: SumoNet, junctions: readonly string[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<additional>'];
  for (const t of net.tls) {
    if (!junctions.includes(t.controller.id)) continue;
    lines.push(`    <tlLogic id="${t.controller.id}" type="actuated" programID="passage-actuated" offset="0">`);
    for (const p of t.controller.phases) {
      const amber = /[yY]/.test(p.state);
      const bounds = amber ? '' : ` minDur="${Math.min(5, p.durationS)}" maxDur="${Math.max(p.durationS, 50)}"`;
      lines.push(`        <phase duration="${p.durationS}" state="${p.state}"${bounds}/>`);
    }
    lines.push('    </tlLogic>');
  }
  lines.push('</additional>', '');
  return lines.join('\n');
}

/** Runs every variant × seed × scale; SUMO must be installed. */
export async function verifyPlans(opts: VerifyOptions): Promise<RunResult[]> {
  requireSumo();
  const sumoDir = resolve(opts.scenarioDir, 'sumo');
  const tmp = mkdtempSync(join(tmpdir(), 'passage-signals-'));
  const log: CommandRecord[] = [];
  const say = opts.log ?? (() => {});
  try {
    const incoming = new Map<string, string[]>();
    for (const t of opts.net.tls)
      if (opts.junctions.includes(t.controller.id)) incoming.set(t.controller.id, t.incoming);
    const edges = [...new Set([...incoming.values()].flat())];
    // Every vehicle lane approaching a studied junction, for the lane-area detectors (stops, queues).
    const lanesOf = new Map<string, string[]>();
    for (const t of opts.net.tls) {
      if (!opts.junctions.includes(t.controller.id)) continue;
      lanesOf.set(t.controller.id, [...new Set(t.controller.links.filter((l) => !l.pedestrian).map((l) => l.lane))]);
    }
    const edgeDataFile = join(tmp, 'edgedata.add.xml');
    const variantFiles: Record<Variant, string | null> = {
      current: null,
      proposed: resolve(opts.planFile),
      tlsCycleAdaptation: join(tmp, 'tca.add.xml'),
      actuated: join(tmp, 'actuated.add.xml'),
    };
    writeFileSync(variantFiles.actuated as string, actuatedXml(opts.net, opts.junctions));
    const variants = opts.variants ?? ['current', 'proposed', 'tlsCycleAdaptation', 'actuated'];
    if (variants.includes('tlsCycleAdaptation')) {
      const home = process.env.SUMO_HOME ?? SUMO_HOME_DEFAULT;
      await runTool(
        'python3',
        [
          join(home, 'tools', 'tlsCycleAdaptation.py'),
          '-n',
          join(sumoDir, 'net.xml.gz'),
          '-r',
          join(sumoDir, 'routes.rou.xml.gz'),
          '-o',
          join(tmp, 'tca-all.add.xml'),
        ],
        tmp,
        log,
        'tmp',
      );
      // Keep SUMO's proposal for the junctions under study only, so both proposals retime the same junctions.
      const tca = readSumoNet(readFileSync(join(tmp, 'tca-all.add.xml'), 'utf8'));
      writeFileSync(
        variantFiles.tlsCycleAdaptation as string,
        tlLogicXml(
          tca.tls
            .filter((t) => opts.junctions.includes(t.controller.id))
            .map((t) => ({ id: t.controller.id, programId: t.programId, phases: t.controller.phases })),
        ),
      );
    }
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: false });
    const results: RunResult[] = [];
    for (const scale of opts.scales ?? [1]) {
      for (const seed of opts.seeds ?? [1, 2, 3]) {
        for (const variant of variants) {
          const started = performance.now();
          const tag = `${variant}-${seed}-${scale}`;
          const trip = join(tmp, `trip-${tag}.xml`);
          const edgeOut = join(tmp, `edge-${tag}.xml`);
          const e2Out = join(tmp, `e2-${tag}.xml`);
          const detectors = [...lanesOf].flatMap(([j, lanes]) =>
            lanes.map(
              (l) =>
                `<laneAreaDetector id="${j}|${l}" lane="${l}" pos="0" endPos="-0.1" friendlyPos="true" period="900" file="${e2Out}"/>`,
            ),
          );
          writeFileSync(
            edgeDataFile,
            `<additional><edgeData id="passage" file="${edgeOut}" excludeEmpty="true" edges="${edges.join(' ')}"/>${detectors.join('')}</additional>\n`,
          );
          const adds = [join(sumoDir, 'busstops.add.xml'), edgeDataFile];
          const v = variantFiles[variant];
          if (v) adds.splice(1, 0, v);
          const args = [
            '-c',
            join(sumoDir, 'scenario.sumocfg'),
            '-a',
            adds.join(','),
            '--tripinfo-output',
            trip,
            '--seed',
            String(seed),
            '--scale',
            String(scale),
            '--no-step-log',
            'true',
            '--no-warnings',
            'true',
            '--duration-log.statistics',
            'false',
          ];
          if (opts.endS) args.push('--end', String(opts.endS));
          if (opts.demandFiles) args.push('--route-files', opts.demandFiles.map((f) => resolve(f)).join(','));
          await runTool('sumo', args, tmp, log, 'tmp');
          const tripDoc = parser.parse(readFileSync(trip, 'utf8')) as {
            tripinfos?: { tripinfo?: Record<string, string> | Record<string, string>[] };
          };
          const trips = [tripDoc.tripinfos?.tripinfo ?? []].flat();
          const vehicles = trips.length;
          const meanTimeLossS = vehicles ? trips.reduce((a, t) => a + Number(t.timeLoss), 0) / vehicles : 0;
          const meanWaitingCount = vehicles ? trips.reduce((a, t) => a + Number(t.waitingCount), 0) / vehicles : 0;
          const edgeDoc = parser.parse(readFileSync(edgeOut, 'utf8')) as {
            meandata?: { interval?: { edge?: Record<string, string> | Record<string, string>[] } | object[] };
          };
          const intervals = [edgeDoc.meandata?.interval ?? []].flat() as { edge?: unknown }[];
          const lossByEdge = new Map<string, number>();
          const leftByEdge = new Map<string, number>();
          for (const iv of intervals) {
            for (const e of [iv.edge ?? []].flat() as Record<string, string>[]) {
              lossByEdge.set(e.id, (lossByEdge.get(e.id) ?? 0) + Number(e.timeLoss ?? 0));
              leftByEdge.set(e.id, (leftByEdge.get(e.id) ?? 0) + Number(e.left ?? 0));
            }
          }
          const approachTimeLossS: Record<string, number> = {};
          for (const [j, es] of incoming) approachTimeLossS[j] = es.reduce((a, e) => a + (lossByEdge.get(e) ?? 0), 0);
          const lanes = laneDetectorTotals(
            [
              (parser.parse(readFileSync(e2Out, 'utf8')) as { detector?: { interval?: unknown } }).detector?.interval ??
                [],
            ].flat() as Record<string, string>[],
          );
          const perJunction: Record<string, JunctionRun> = {};
          for (const [j, es] of incoming) {
            const mine = (lanesOf.get(j) ?? []).map((l) => lanes.get(`${j}|${l}`) ?? { stops: 0, queueM: 0 });
            perJunction[j] = {
              timeLossS: approachTimeLossS[j],
              vehicles: es.reduce((a, e) => a + (leftByEdge.get(e) ?? 0), 0),
              stops: mine.reduce((a, l) => a + l.stops, 0),
              queueM: Math.max(0, ...mine.map((l) => l.queueM)),
            };
          }
          const r: RunResult = {
            variant,
            seed,
            scale,
            vehicles,
            meanTimeLossS,
            meanWaitingCount,
            approachTimeLossS,
            perJunction,
            seconds: (performance.now() - started) / 1000,
          };
          say(
            `${variant.padEnd(18)} seed ${seed} scale ${scale}: ${vehicles} vehicles, mean time loss ${meanTimeLossS.toFixed(1)} s (${r.seconds.toFixed(0)} s)`,
          );
          results.push(r);
        }
      }
    }
    return results;
  } catch (e) {
    if (e instanceof PassageError) throw e;
    throw new PassageError(
      'PASSAGE_SIGNALS_VERIFY_FAILED',
      `The SUMO closed-loop check failed: ${(e as Error).message}`,
      {
        cause: e,
        domain: 'external',
      },
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Per lane-area detector (`<junction>|<lane>`), from its 15-minute intervals: halts started, and the mean over the
 * intervals of each interval's largest jam (metres).
 */
export function laneDetectorTotals(
  intervals: readonly Record<string, string>[],
): Map<string, { stops: number; queueM: number }> {
  const acc = new Map<string, { stops: number; jam: number; n: number }>();
  for (const iv of intervals) {
    const a = acc.get(iv.id) ?? { stops: 0, jam: 0, n: 0 };
    a.stops += Number(iv.startedHalts ?? 0);
    a.jam += Number(iv.maxJamLengthInMeters ?? 0);
    a.n++;
    acc.set(iv.id, a);
  }
  return new Map([...acc].map(([id, a]) => [id, { stops: a.stops, queueM: a.n > 0 ? a.jam / a.n : 0 }]));
}

export interface VariantSummary {
  variant: Variant;
  scale: number;
  /** Medians over seeds. */
  meanTimeLossS: number;
  approachTimeLossS: number;
  /**
   * With `cameraJunctions` given to `summarise`: the same sum over those junctions only (the acceptance's
   * "approaches of the junctions under cameras" when the plan also retimes junctions planned from estimates).
   */
  cameraApproachTimeLossS?: number;
  perJunction: Record<string, number>;
  /** Medians over seeds per junction: time loss, throughput, stops and queue (`JunctionRun`). */
  junctions: Record<string, JunctionRun>;
  vehicles: number;
  meanWaitingCount: number;
}

/** Medians over seeds per variant and scale (`cameraJunctions`: see `VariantSummary.cameraApproachTimeLossS`). */
export function summarise(results: readonly RunResult[], cameraJunctions?: readonly string[]): VariantSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${r.variant}|${r.scale}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const junctions = Object.keys(rs[0].approachTimeLossS);
    const perJunction = Object.fromEntries(junctions.map((j) => [j, median(rs.map((r) => r.approachTimeLossS[j]))]));
    return {
      variant: rs[0].variant,
      scale: rs[0].scale,
      meanTimeLossS: median(rs.map((r) => r.meanTimeLossS)),
      approachTimeLossS: median(rs.map((r) => Object.values(r.approachTimeLossS).reduce((a, b) => a + b, 0))),
      ...(cameraJunctions
        ? {
            cameraApproachTimeLossS: median(
              rs.map((r) => cameraJunctions.reduce((a, j) => a + (r.approachTimeLossS[j] ?? 0), 0)),
            ),
          }
        : {}),
      perJunction,
      junctions: Object.fromEntries(
        junctions.map((j) => {
          const m = (k: keyof JunctionRun) => median(rs.map((r) => r.perJunction[j]?.[k] ?? 0));
          return [j, { timeLossS: m('timeLossS'), vehicles: m('vehicles'), stops: m('stops'), queueM: m('queueM') }];
        }),
      ),
      vehicles: median(rs.map((r) => r.vehicles)),
      meanWaitingCount: median(rs.map((r) => r.meanWaitingCount)),
    };
  });
}

/**
 * The closed-loop report: per variant and scale the mean vehicle time loss and the approaches' time loss against
 * the current plans, then per junction time loss, throughput, stops per vehicle and queue (medians over seeds).
 */
export function verifyReport(summary: readonly VariantSummary[], junctions: readonly string[]): string {
  const camera = summary.some((s) => s.cameraApproachTimeLossS !== undefined);
  const lines = [
    `junctions: ${junctions.join(', ')} (median over seeds)`,
    `variant             scale  mean time loss (s)  approach time loss (veh·h)  vs current${camera ? '  junctions under cameras (veh·h)  vs current' : ''}`,
  ];
  const current = (scale: number) => summary.find((x) => x.variant === 'current' && x.scale === scale);
  const pct = (v: number, ref: number | undefined) =>
    ref ? `${v >= ref ? '+' : ''}${(((v - ref) / ref) * 100).toFixed(1)} %` : '–';
  for (const s of summary) {
    lines.push(
      `${s.variant.padEnd(18)}  ${String(s.scale).padStart(5)}  ${s.meanTimeLossS.toFixed(1).padStart(18)}  ${(s.approachTimeLossS / 3600).toFixed(1).padStart(26)}  ${pct(s.approachTimeLossS, current(s.scale)?.approachTimeLossS).padStart(10)}` +
        (s.cameraApproachTimeLossS !== undefined
          ? `  ${(s.cameraApproachTimeLossS / 3600).toFixed(1).padStart(32)}  ${pct(s.cameraApproachTimeLossS, current(s.scale)?.cameraApproachTimeLossS).padStart(10)}`
          : ''),
    );
  }
  lines.push('', 'junction  variant             scale  time loss (veh·h)  vs current  vehicles  stops/veh  queue (m)');
  for (const j of junctions) {
    for (const s of summary) {
      const r = s.junctions[j];
      if (!r) continue;
      lines.push(
        `${j.padEnd(8)}  ${s.variant.padEnd(18)}  ${String(s.scale).padStart(5)}  ${(r.timeLossS / 3600).toFixed(2).padStart(17)}  ${pct(r.timeLossS, current(s.scale)?.junctions[j]?.timeLossS).padStart(10)}  ${String(Math.round(r.vehicles)).padStart(8)}  ${(r.vehicles > 0 ? r.stops / r.vehicles : 0).toFixed(2).padStart(9)}  ${r.queueM.toFixed(0).padStart(9)}`,
      );
    }
  }
  return lines.join('\n');
}
