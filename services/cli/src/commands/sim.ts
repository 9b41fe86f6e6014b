import { PassageError } from '@passage/config';
import { simBuild } from '@passage/sim/build/index';
import { parseFlags } from '../args.ts';

export const help = `passage sim build <name> [--seed <n>] [--duration <s>] [--end <s>] [--out <dir>]
  Builds the SUMO ground-truth world <name> into infra/scenarios/<name>: network, demand, simulation,
  scenario.json with sensors, compact trajectories and agents. Worlds (synthetic street networks):
    chartres-centre  radial-concentric town centre at Chartres' coordinates, dense sensor layout
    dreux-grid       netgenerate grid town at Dreux's coordinates, medium layout, Saturday morning
    anet-rand        netgenerate random town near Anet, sparse layout, own detector convention;
                     held out of all training and tuning
    nogent-spider    netgenerate spider-web town at Nogent-le-Rotrou's coordinates, medium-to-sparse
                     layout, own detector convention; held out of all training and tuning
  Needs SUMO: apt-get install sumo sumo-tools. The same seed rebuilds the committed files bit for bit;
  regenerate truth/ afterwards (infra/scenarios/README.md).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('sim', argv, {
    seed: { type: 'string' },
    duration: { type: 'string' },
    end: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help || positionals[0] !== 'build' || !positionals[1]) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const num = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new PassageError('PASSAGE_CLI_USAGE', `--${name} must be a number ≥ 0.`);
    return n;
  };
  const t0 = performance.now();
  const report = await simBuild({
    name: positionals[1],
    outDir: values.out as string | undefined,
    seed: num(values.seed, 'seed'),
    durationS: num(values.duration, 'duration'),
    endS: num(values.end, 'end'),
  });
  console.log(`built scenario ${positionals[1]} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  void report;
  return 0;
}
