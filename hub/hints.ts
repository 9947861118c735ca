/**
 * Commands the hub suggests to the operator, in one place: when the CLI changes, the hints in
 * log lines and in error messages to terminals change with it.
 */
export const CLI = 'npx hub';

export const hints = {
  /** Registers the account a terminal names itself by. */
  addAccount: (name: string) => `${CLI} accounts add ${name} --type SLAVE   (or --type MASTER)`,
  /** Registers an account, for when no name is known yet. */
  addAnyAccount: `${CLI} accounts add NAME --type MASTER|SLAVE`,
  /** Maps a master symbol to a slave's name for it; worded without `npx`, as refusal reasons always were. */
  mapSymbol: (slave: string, base: string, target: string) => `hub accounts set ${slave} --map ${base}=${target}`,
  /** Allows reverse copying between two prop-firm accounts for one link. */
  allowPropReverse: (slave: string, master: string) => `hub accounts set ${slave} --for-master ${master} --allow-prop-reverse true`,
} as const;
