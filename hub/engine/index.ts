export { Engine } from './engine';
export type { EngineDeps, EngineStats } from './context';
export type { DecisionEvent, EngineEvent, ResultEvent, TerminalEvent } from './events';
export type { ManualClose } from './operator';
export type { CommandStatus, CopyStatus, EngineStatus, MasterPositionStatus, TerminalStatus } from './status';
/** The hub's version under the name code imported it by before hub/version.ts. */
export { VERSION as HUB_VERSION } from '../version';
export { translateSymbol, autoCandidates, baseSymbol, type Translation } from './translate';
export { sizeVolume, closeVolume, floorToStep, roundToStep, type Sizing, type SizingInput } from './sizing';
export { checkSlippage, normalizePrice, type Quote, type SlippageVerdict } from './slippage';
export { masterTag, copyComment, parseCopyComment } from './tag';
