/** The `hub` command run in-process, with what it prints captured. */
import { main } from '../../hub/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `hub ARGS` in this process. Lines the CLI writes through its Io and what yargs prints with
 * console.log/console.error (help, version) are both captured; the exit code it set is reset so
 * that a refused command does not fail the test run.
 */
export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    process.exitCode = 0;
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
