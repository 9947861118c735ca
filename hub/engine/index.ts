export { Engine, HUB_VERSION, type Copy, type EngineDeps, type EngineStats, type MasterPosition, type TerminalState } from './engine';
export { translateSymbol, autoCandidates, baseSymbol, type Translation } from './translate';
export { sizeVolume, closeVolume, floorToStep, roundToStep, type Sizing, type SizingInput } from './sizing';
export { checkSlippage, normalizePrice, type Quote, type SlippageVerdict } from './slippage';
export { masterTag, copyComment, parseCopyComment } from './tag';
