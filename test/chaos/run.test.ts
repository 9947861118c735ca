/** `npm run chaos` flags, including the ones npm keeps for itself when given before `--`. */
import { parseArgs } from '../../chaos/run';

describe('chaos flags', () => {
  it('replays one seed, runs several from a base, or only the fuzz', () => {
    expect(parseArgs(['--seed', '42', '--ops', '150'])).toMatchObject({ seeds: [42], ops: 150, fuzz: 0, store: 'embedded', build: true });
    expect(parseArgs(['--seeds', '3', '--seed=7'])).toMatchObject({ seeds: [7, 8, 9], ops: 200 });
    expect(parseArgs(['--fuzz'])).toMatchObject({ seeds: [], fuzz: 100_000 });
    expect(parseArgs(['--fuzz', '5000', '--seed', '1'])).toMatchObject({ seeds: [1], fuzz: 5000, fuzzSeed: 1 });
    expect(parseArgs(['--fuzz', '5000', '--seed', '9', '--seeds', '0', '--fuzz-kinds', 'replay,frames'])).toMatchObject({ seeds: [], fuzzSeed: 9, fuzzKinds: ['replay', 'frames'] });
    expect(parseArgs(['--quick'])).toMatchObject({ ops: 60, fuzz: 3000 });
    expect(parseArgs(['--quick']).seeds).toHaveLength(2);
    expect(parseArgs(['--seed', '1', '--store', 'mongodb', '--fault-rate', '0', '--no-build', '--verbose'])).toMatchObject({ store: 'mongodb', faultRate: 0, build: false, verbose: true });
  });

  it('reads npm_config_* for flags npm took before `--`', () => {
    expect(parseArgs([], { npm_config_fuzz: 'true' })).toMatchObject({ seeds: [], fuzz: 100_000 });
    expect(parseArgs([], { npm_config_seeds: '2', npm_config_seed: '10', npm_config_ops: '50' })).toMatchObject({ seeds: [10, 11], ops: 50 });
  });

  it('refuses what it does not know', () => {
    expect(() => parseArgs(['--sedes', '3'])).toThrow(/unknown flag --sedes/);
    expect(() => parseArgs(['--ops', 'many'])).toThrow(/--ops must be a whole number/);
    expect(() => parseArgs(['--store', 'redis'])).toThrow(/--store must be embedded or mongodb/);
    expect(() => parseArgs(['--fault-rate', '2'])).toThrow(/between 0 and 1/);
    expect(() => parseArgs(['seeds'])).toThrow(/unexpected argument/);
    expect(() => parseArgs(['--fuzz-kinds', 'replay,nope'])).toThrow(/unknown kind nope/);
  });
});
