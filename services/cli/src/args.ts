import { parseArgs as nodeParseArgs } from 'node:util';
import { PassageError } from '@passage/config';

export type OptionSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
>;

/** Parses a command's flags; unknown flags are a clear error naming the command's help. */
export function parseFlags<O extends OptionSpec>(
  command: string,
  argv: string[],
  options: O,
): ReturnType<typeof nodeParseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      `${(e as Error).message}. Run \`passage ${command} --help\` for the options.`,
    );
  }
}

/** Flags shared by every command that touches the store or Kafka. */
export const COMMON = {
  data: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;
