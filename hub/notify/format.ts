/** Bodies of notifications: generic JSON, a Telegram bot's sendMessage, a Discord webhook, the EA's notify message. Pure. */
import type { NotifyEvent, NotifyFormat } from '../config';
import { NOTIFY_TEXT_MAX, type Body, type NotifyMsg } from '../protocol';

export interface Note {
  event: NotifyEvent;
  time: number;
  account?: string;
  message: string;
}

/** What a rate window held back, sent as one message when it ends. */
export interface Digest {
  count: number;
  byEvent: Partial<Record<NotifyEvent, number>>;
  /** The first notes held, as examples. */
  first: Note[];
  windowMs: number;
}

/** Discord's limit on a message; Telegram's is 4096. */
const TEXT_MAX = 2000;

export function noteText(n: Note): string {
  return `CopyBridge ${n.event}${n.account ? ` ${n.account}` : ''}: ${n.message}`;
}

function digestHead(d: Digest): string {
  const kinds = Object.entries(d.byEvent).map(([k, v]) => `${k} ${v}`).join(', ');
  return `CopyBridge: ${d.count} more notifications in the last ${Math.round(d.windowMs / 1000)} s (${kinds})`;
}

export function digestText(d: Digest): string {
  const head = digestHead(d);
  const lines = d.first.map((n) => `- ${noteText(n)}`);
  return [head, ...lines, ...(d.count > d.first.length ? [`- … and ${d.count - d.first.length} more`] : [])].join('\n');
}

export function body(format: NotifyFormat, chat: string, what: Note | Digest): Record<string, unknown> {
  const isDigest = 'count' in what;
  const text = (isDigest ? digestText(what) : noteText(what)).slice(0, TEXT_MAX);
  switch (format) {
    case 'telegram':
      return { chat_id: chat, text, disable_web_page_preview: true };
    case 'discord':
      // No pings: an account name or a broker's message must not mention @everyone.
      return { content: text, allowed_mentions: { parse: [] } };
    case 'json':
      if (isDigest) {
        return { source: 'copybridge', event: 'digest', time: new Date().toISOString(), count: what.count, by_event: what.byEvent, window_ms: what.windowMs, first: what.first.map(jsonNote), text };
      }
      return { source: 'copybridge', ...jsonNote(what), text };
  }
}

function jsonNote(n: Note): Record<string, unknown> {
  return { event: n.event, time: new Date(n.time).toISOString(), account: n.account, message: n.message };
}

/** One line within SendNotification's limit: a digest keeps its head and its first example. */
export function phoneText(what: Note | Digest): string {
  const text = 'count' in what ? [digestHead(what), ...what.first.slice(0, 1).map(noteText)].join('; first: ') : noteText(what);
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length <= NOTIFY_TEXT_MAX ? line : `${line.slice(0, NOTIFY_TEXT_MAX - 1)}…`;
}

/** The notify message that carries a notification to the EA of notifyTerminal. */
export function notifyMessage(what: Note | Digest): Body<NotifyMsg> {
  return { type: 'notify', event: 'count' in what ? 'digest' : what.event, text: phoneText(what) };
}
