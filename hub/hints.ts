/**
 * Commands the hub suggests to the operator, in one place: when the CLI changes, the hints in
 * log lines and in error messages to terminals change with it.
 */
export const CLI = 'npm run hub --';
/** `hub start` as the README gives it (npx keeps a cache an interrupted first run can break). */
export const START = 'npm start';

export const hints = {
  /** Registers the account a terminal names itself by. */
  addAccount: (name: string) => `${CLI} accounts add ${name} --type SLAVE   (or --type MASTER)`,
  /** Registers an account, for when no name is known yet. */
  addAnyAccount: `${CLI} accounts add NAME --type MASTER|SLAVE`,
  /** Maps a master symbol to a slave's name for it; worded as the bare command, as refusal reasons always were. */
  mapSymbol: (slave: string, base: string, target: string) => `hub accounts set ${slave} --map ${base}=${target}`,
  /** Allows reverse copying between two prop-firm accounts for one link. */
  allowPropReverse: (slave: string, master: string) => `hub accounts set ${slave} --for-master ${master} --allow-prop-reverse true`,
  /** CURVE keys (docs/remote.md). */
  issueKey: (name: string) => `${CLI} keys issue ${name}`,
  showKey: `${CLI} keys show`,
  listKeys: `${CLI} keys list`,
  revokeKey: (name: string, key: string) => `${CLI} keys revoke ${name} --key ${key}`,
} as const;

/** Edit distance (insert, delete, substitute), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** The candidate a mistyped name most likely meant ("did you mean"), or undefined when none is close. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}
