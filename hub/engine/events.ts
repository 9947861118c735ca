/**
 * What the engine tells listeners (the dashboard, notifiers) as it happens: every decision, a
 * terminal connecting, coming back or going offline, and every command result. Read-only: a
 * listener learns of state, it never reaches into it.
 */
import type { ResultMsg } from '../protocol';
import type { Command } from './commands';
import type { Level } from './journal';

export interface DecisionEvent {
  type: 'decision';
  time: number;
  /** copy, refuse, miss, expire, close, skip, wait, defer, modify, close_by, reverse, operator. */
  kind: string;
  account: string;
  masterTicket: string;
  message: string;
  level: Level;
}

export interface TerminalEvent {
  type: 'terminal';
  time: number;
  name: string;
  online: boolean;
  what: 'connected' | 'back' | 'offline';
  message: string;
}

export interface ResultEvent {
  type: 'result';
  time: number;
  slave: string;
  master: string;
  masterPosition: string;
  command: Command['type'];
  status: ResultMsg['status'];
  ok: boolean;
  /** From the master event that caused the command to this result. */
  latencyMs: number;
  /** Of a first open that succeeded, when the slave's symbol point is known. */
  slippagePoints?: number;
  message: string;
}

export type EngineEvent = DecisionEvent | TerminalEvent | ResultEvent;
