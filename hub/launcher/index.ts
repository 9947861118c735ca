export { Launcher, type LaunchedTerminal, type LauncherOptions, type LauncherStatus, type TerminalState } from './supervisor';
export { hubAddress } from './plan';
