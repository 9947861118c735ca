/**
 * When new copies may be made: wall-clock time in an IANA zone (Intl.DateTimeFormat, no tables
 * of our own), trading windows, blackout windows around news, and the age limit of a master
 * event. Pure: every function takes the time it decides for.
 *
 * Wall times that do not exist (the hour skipped when clocks go forward) resolve to the same
 * wall time shifted by the gap (02:30 on a spring-forward night at 02:00 is 03:30); wall times
 * that exist twice (the hour repeated when clocks go back) resolve to the earlier instant. That
 * is what Temporal calls "compatible".
 */

export interface Wall {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 Sunday .. 6 Saturday */
  weekday: number;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(zone, f);
  }
  return f;
}

/** True when the runtime knows this IANA zone name (e.g. Europe/Prague, America/New_York, UTC). */
export function isZone(zone: string): boolean {
  try {
    format(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at `ms`, and the zone's offset from UTC then (ms). */
function wallAndOffset(ms: number, zone: string): { wall: Wall; offset: number } {
  const p: Record<string, string> = {};
  for (const part of format(zone).formatToParts(new Date(ms))) p[part.type] = part.value;
  const wall: Wall = {
    year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute),
    weekday: WEEKDAYS.indexOf(p.weekday.toLowerCase() as (typeof WEEKDAYS)[number]),
  };
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, Number(p.second));
  return { wall, offset: asUtc - (ms - (((ms % 1000) + 1000) % 1000)) };
}

export function wallTime(ms: number, zone: string): Wall {
  return wallAndOffset(ms, zone).wall;
}

/** The instant a wall time (date, hour, minute) happens in `zone` (see the file comment for gaps and repeats). */
export function zonedInstant(w: Pick<Wall, 'year' | 'month' | 'day' | 'hour' | 'minute'>, zone: string): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  // One transition at most within a day of any wall time, in every zone there is.
  const before = naive - wallAndOffset(naive - DAY_MS, zone).offset;
  const after = naive - wallAndOffset(naive + DAY_MS, zone).offset;
  const valid = [before, after].filter((t) => t + wallAndOffset(t, zone).offset === naive);
  return valid.length ? Math.min(...valid) : before;
}

/** Minutes after midnight of "HH:MM" (00:00 to 24:00), or undefined when it is not one. */
export function parseClock(s: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min > 0)) return undefined;
  return h * 60 + min;
}

const shiftDay = (w: Pick<Wall, 'year' | 'month' | 'day'>, days: number) => {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
};

/**
 * The latest daily reset at or before `now`: `clock` (minutes after midnight) in `zone`. On a
 * day whose reset time is skipped by a clock change it happens once the clock has moved on.
 */
export function lastReset(now: number, clock: number, zone: string): number {
  const today = wallTime(now, zone);
  const at = (d: Pick<Wall, 'year' | 'month' | 'day'>) => zonedInstant({ ...d, hour: Math.floor(clock / 60), minute: clock % 60 }, zone);
  const t = at(today);
  return t <= now ? t : at(shiftDay(today, -1));
}

/** The first daily reset after `now`. */
export function nextReset(now: number, clock: number, zone: string): number {
  const last = lastReset(now, clock, zone);
  // A day is 23 to 25 hours: 26 hours on is in the next day, whatever the clocks did.
  return lastReset(last + 26 * 3_600_000, clock, zone);
}

// ---------------------------------------------------------------- trading windows

/** A weekly window: on these weekdays (of its start), from one wall time to another; past midnight when to <= from. */
export interface TradingWindow {
  days: ReadonlySet<number>;
  from: number;
  to: number;
  text: string;
}

const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/**
 * "mon-fri 08:00-17:00", "mon,wed,fri 22:00-02:00" (past midnight: belongs to the day it starts),
 * "daily 00:00-24:00". Throws an Error whose message says what is wrong.
 */
export function parseWindow(text: string): TradingWindow {
  const m = /^\s*([a-z,\-*]+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/i.exec(text);
  if (!m) throw new Error(`window "${text}" is not DAYS HH:MM-HH:MM (e.g. "mon-fri 08:00-17:00")`);
  const days = new Set<number>();
  for (const part of m[1].toLowerCase().split(',')) {
    if (part === 'daily' || part === '*') {
      for (let d = 0; d < 7; d++) days.add(d);
      continue;
    }
    const [a, b] = part.split('-');
    if (!(a in DAY_NAMES) || (b !== undefined && !(b in DAY_NAMES))) {
      throw new Error(`window "${text}": "${part}" is not a day or a range of days (sun, mon, tue, wed, thu, fri, sat, daily)`);
    }
    for (let d = DAY_NAMES[a]; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === DAY_NAMES[b ?? a]) break;
    }
  }
  const from = parseClock(m[2]);
  const to = parseClock(m[3]);
  if (from === undefined || to === undefined || from >= 1440) throw new Error(`window "${text}": times must be 00:00 to 23:59 (the end may be 24:00)`);
  if (from === to) throw new Error(`window "${text}" starts when it ends; for a whole day write 00:00-24:00`);
  return { days, from, to, text: text.trim() };
}

/** True when `now` falls in one of the windows (wall clock in `zone`). */
export function inWindows(now: number, windows: readonly TradingWindow[], zone: string): boolean {
  const w = wallTime(now, zone);
  const minute = w.hour * 60 + w.minute;
  const yesterday = (w.weekday + 6) % 7;
  return windows.some((win) =>
    win.from < win.to
      ? win.days.has(w.weekday) && minute >= win.from && minute < win.to
      : (win.days.has(w.weekday) && minute >= win.from) || (win.days.has(yesterday) && minute < win.to),
  );
}

// ---------------------------------------------------------------- blackouts

/** A time around an event (news) when new copies of the named symbols or currencies are refused. */
export interface Blackout {
  /** First and last refused instant (ms). */
  start: number;
  end: number;
  /** Currencies (3 letters: any symbol containing them), symbol names, or "*" for all. */
  targets: readonly string[];
  title: string;
  /** Where it was written, for the refusal reason. */
  source: string;
}

/** Minutes before and after an iCalendar event without X-COPYBRIDGE-BEFORE/-AFTER (FTMO's news window). */
export const DEFAULT_BLACKOUT_MINUTES = 2;

/** Whether a blackout target names this symbol (the master's or the slave's name). */
export function targets(target: string, symbols: readonly string[]): boolean {
  const t = target.toUpperCase();
  if (t === '*') return true;
  return symbols.some((s) => (/^[A-Z]{3}$/.test(t) ? s.toUpperCase().includes(t) : s.toUpperCase() === t));
}

/** The blackout in force at `now` for a symbol, if any. */
export function blackoutAt(list: readonly Blackout[], now: number, symbols: readonly string[]): Blackout | undefined {
  return list.find((b) => now >= b.start && now <= b.end && b.targets.some((t) => targets(t, symbols)));
}

export function describeBlackout(b: Blackout): string {
  return `${b.title || 'event'} (${b.targets.join(' ')}) blackout ${new Date(b.start).toISOString()} to ${new Date(b.end).toISOString()} (${b.source})`;
}

/** An error in a blackout file: the line and what to write instead. */
export class BlackoutParseError extends Error {}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d{1,3})?))?(Z|[+-]\d{2}:?\d{2})?$/;

/** An instant from ISO 8601 with Z or an offset, or a local time with a zone. */
function instant(text: string, zone: string | undefined, where: string): number {
  const m = ISO.exec(text.trim());
  if (!m) throw new BlackoutParseError(`${where}: time "${text}" is not YYYY-MM-DDTHH:MM with Z, an offset or a zone column (e.g. 2026-12-04T13:30Z)`);
  const [, y, mo, d, h, mi, s, off] = m;
  if (off) {
    const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${off.length === 5 ? off.slice(0, 3) + ':' + off.slice(3) : off}`);
    if (Number.isNaN(t)) throw new BlackoutParseError(`${where}: time "${text}" is not a valid date`);
    return t;
  }
  if (!zone) throw new BlackoutParseError(`${where}: time "${text}" has no zone: end it with Z or an offset (+01:00), or give a zone column (e.g. Europe/Prague)`);
  if (!isZone(zone)) throw new BlackoutParseError(`${where}: "${zone}" is not an IANA time zone (e.g. America/New_York)`);
  return zonedInstant({ year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi) }, zone) + Number(s ?? 0) * 1000;
}

function minutes(text: string | undefined, fallback: number | undefined, what: string, where: string): number {
  if ((text === undefined || text.trim() === '') && fallback !== undefined) return fallback;
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1440) {
    throw new BlackoutParseError(`${where}: ${what} must be a number of minutes from 0 to 1440, got ${JSON.stringify(text ?? '')}`);
  }
  return n;
}

function targetList(text: string, where: string): string[] {
  const list = text.split(/[\s;|,]+/).filter(Boolean);
  if (!list.length) throw new BlackoutParseError(`${where}: name the symbols or currencies (e.g. USD;EURUSD), or * for all`);
  return list;
}

/** Splits one CSV line; double quotes may hold commas ("" is a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * CSV, one event a line: time, targets, minutes before, minutes after[, title[, zone]]. Targets
 * are separated by ";" or spaces. A first line starting with "time" is a header; "#" starts a comment.
 */
function parseCsv(text: string, file: string): Blackout[] {
  const out: Blackout[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file} line ${i + 1}`;
    if (!line || line.startsWith('#') || (out.length === 0 && /^time\s*,/i.test(line))) return;
    const f = csvFields(line);
    if (f.length < 4) throw new BlackoutParseError(`${where}: expected time,targets,minutes_before,minutes_after[,title[,zone]], got ${f.length} fields`);
    const at = instant(f[0], f[5] || undefined, where);
    const before = minutes(f[2], undefined, 'minutes_before', where);
    const after = minutes(f[3], undefined, 'minutes_after', where);
    out.push({ start: at - before * 60_000, end: at + after * 60_000, targets: targetList(f[1], where), title: f[4] ?? '', source: where });
  });
  return out;
}

/** iCalendar date-time: 20261204T133000Z, or local with a TZID parameter. */
function icalInstant(value: string, params: Record<string, string>, where: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(value);
  if (!m) throw new BlackoutParseError(`${where}: "${value}" is not a date-time like 20261204T133000Z (all-day events are not supported: give a time)`);
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7]}`;
  return instant(iso, params.TZID, where);
}

/**
 * iCalendar VEVENTs: DTSTART (UTC or TZID), DTEND (optional), SUMMARY, CATEGORIES (symbols or
 * currencies; none: all), X-COPYBRIDGE-BEFORE and X-COPYBRIDGE-AFTER (minutes, default 2).
 */
function parseIcal(text: string, file: string): Blackout[] {
  const lines: { text: string; no: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (/^[ \t]/.test(l) && lines.length) lines[lines.length - 1].text += l.slice(1);
    else if (l.trim()) lines.push({ text: l, no: i + 1 });
  });
  const out: Blackout[] = [];
  let ev: { props: Map<string, { value: string; params: Record<string, string> }>; no: number } | undefined;
  for (const { text: l, no } of lines) {
    const colon = l.indexOf(':');
    if (colon < 0) continue;
    const [name, ...paramParts] = l.slice(0, colon).split(';');
    const value = l.slice(colon + 1).trim();
    const key = name.toUpperCase();
    if (key === 'BEGIN' && value.toUpperCase() === 'VEVENT') ev = { props: new Map(), no };
    else if (key === 'END' && value.toUpperCase() === 'VEVENT' && ev) {
      out.push(icalEvent(ev.props, `${file} event at line ${ev.no}`));
      ev = undefined;
    } else if (ev) {
      const params: Record<string, string> = {};
      for (const p of paramParts) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
      }
      ev.props.set(key, { value, params });
    }
  }
  return out;
}

function icalEvent(props: Map<string, { value: string; params: Record<string, string> }>, where: string): Blackout {
  const start = props.get('DTSTART');
  if (!start) throw new BlackoutParseError(`${where}: the event has no DTSTART`);
  const at = icalInstant(start.value, start.params, where);
  const endProp = props.get('DTEND');
  const end = endProp ? icalInstant(endProp.value, endProp.params, where) : at;
  const before = minutes(props.get('X-COPYBRIDGE-BEFORE')?.value, DEFAULT_BLACKOUT_MINUTES, 'X-COPYBRIDGE-BEFORE', where);
  const after = minutes(props.get('X-COPYBRIDGE-AFTER')?.value, DEFAULT_BLACKOUT_MINUTES, 'X-COPYBRIDGE-AFTER', where);
  const cats = props.get('CATEGORIES')?.value;
  const summary = (props.get('SUMMARY')?.value ?? '').replace(/\\([,;\\])/g, '$1').replace(/\\n/gi, ' ');
  return { start: at - before * 60_000, end: Math.max(at, end) + after * 60_000, targets: cats ? targetList(cats, where) : ['*'], title: summary, source: where };
}

/** A blackout file's events, CSV or iCalendar (BEGIN:VCALENDAR); throws BlackoutParseError naming the line. */
export function parseBlackouts(text: string, file: string): Blackout[] {
  const body = text.replace(/^\uFEFF/, '');
  return /^\s*BEGIN:VCALENDAR/i.test(body) ? parseIcal(body, file) : parseCsv(body, file);
}

// ---------------------------------------------------------------- age of a master event

/** Why a master event `age` ms old is too old for a slave that accepts `maxDelay` ms; undefined when it is not. */
export function tooOld(what: string, age: number, maxDelay: number): string | undefined {
  return age > maxDelay ? `${what} ${age} ms ago, more than max_delay_ms ${maxDelay}` : undefined;
}
