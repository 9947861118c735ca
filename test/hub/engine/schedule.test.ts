import {
  blackoutAt, DEFAULT_BLACKOUT_MINUTES, inWindows, isZone, lastReset, nextReset, parseBlackouts, parseClock, parseWindow, tooOld, wallTime, zonedInstant,
} from '../../../hub/engine/schedule';

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const MIDNIGHT = 0;
const FIVE_PM = 17 * 60;

describe('wall time in a zone', () => {
  it('knows zones, and reads the wall clock and weekday', () => {
    expect(isZone('Europe/Prague')).toBe(true);
    expect(isZone('Mars/Olympus')).toBe(false);
    expect(wallTime(T('2026-07-15T22:30:00Z'), 'Europe/Prague')).toEqual({ year: 2026, month: 7, day: 16, hour: 0, minute: 30, weekday: 4 });
    expect(wallTime(T('2026-01-15T22:30:00Z'), 'Europe/Prague')).toEqual({ year: 2026, month: 1, day: 15, hour: 23, minute: 30, weekday: 4 });
  });

  it('finds the instant of a wall time; a skipped one moves on by the gap, a repeated one is the earlier', () => {
    expect(iso(zonedInstant({ year: 2026, month: 1, day: 15, hour: 0, minute: 0 }, 'Europe/Prague'))).toBe('2026-01-14T23:00:00.000Z');
    expect(iso(zonedInstant({ year: 2026, month: 7, day: 15, hour: 0, minute: 0 }, 'Europe/Prague'))).toBe('2026-07-14T22:00:00.000Z');
    // 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist.
    expect(iso(zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Prague'))).toBe('2026-03-29T01:30:00.000Z');
    // 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens at 00:30Z and at 01:30Z.
    expect(iso(zonedInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Prague'))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('parses HH:MM, 24:00 included, and nothing else', () => {
    expect(parseClock('17:00')).toBe(1020);
    expect(parseClock('0:05')).toBe(5);
    expect(parseClock('24:00')).toBe(1440);
    for (const bad of ['24:01', '12:60', '1700', '5pm', '']) expect(parseClock(bad)).toBeUndefined();
  });
});

describe('daily resets', () => {
  it('is midnight Europe/Prague in winter and summer, the boundary instant belonging to the new day', () => {
    expect(iso(lastReset(T('2026-01-15T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-01-14T23:00:00.000Z');
    expect(iso(lastReset(T('2026-07-15T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-07-14T22:00:00.000Z');
    expect(iso(lastReset(T('2026-01-14T23:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-01-14T23:00:00.000Z');
    expect(iso(lastReset(T('2026-01-14T22:59:59.999Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-01-13T23:00:00.000Z');
  });

  it('follows the spring and autumn clock changes of Europe/Prague', () => {
    expect(iso(lastReset(T('2026-03-29T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(nextReset(T('2026-03-29T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(lastReset(T('2026-10-25T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(nextReset(T('2026-10-25T12:00:00Z'), MIDNIGHT, 'Europe/Prague'))).toBe('2026-10-25T23:00:00.000Z');
  });

  it('is 17:00 America/New_York over its 23- and 25-hour days', () => {
    expect(iso(nextReset(T('2026-03-07T22:00:00Z'), FIVE_PM, 'America/New_York'))).toBe('2026-03-08T21:00:00.000Z');
    expect(iso(lastReset(T('2026-03-08T20:59:59Z'), FIVE_PM, 'America/New_York'))).toBe('2026-03-07T22:00:00.000Z');
    expect(iso(nextReset(T('2026-10-31T21:00:00Z'), FIVE_PM, 'America/New_York'))).toBe('2026-11-01T22:00:00.000Z');
    expect(iso(lastReset(T('2026-11-01T21:59:00Z'), FIVE_PM, 'America/New_York'))).toBe('2026-10-31T21:00:00.000Z');
  });

  it('happens once on a night whose reset time is skipped (02:30 on the spring-forward night) or repeated', () => {
    const at = 150;
    expect(iso(lastReset(T('2026-03-29T01:29:00Z'), at, 'Europe/Prague'))).toBe('2026-03-28T01:30:00.000Z');
    expect(iso(lastReset(T('2026-03-29T01:30:00Z'), at, 'Europe/Prague'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(lastReset(T('2026-10-25T01:45:00Z'), at, 'Europe/Prague'))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('works in UTC and fixed-offset zones', () => {
    expect(iso(lastReset(T('2026-06-01T00:29:00Z'), 30, 'UTC'))).toBe('2026-05-31T00:30:00.000Z');
    expect(iso(lastReset(T('2026-06-01T12:00:00Z'), MIDNIGHT, 'Etc/GMT-2'))).toBe('2026-05-31T22:00:00.000Z');
  });
});

describe('trading windows', () => {
  const london = [parseWindow('mon-fri 08:00-17:00')];

  it('parses days, ranges (also across the week end) and times, and says what is wrong', () => {
    expect([...parseWindow('fri-mon 01:00-02:00').days].sort()).toEqual([0, 1, 5, 6]);
    expect([...parseWindow('daily 00:00-24:00').days]).toHaveLength(7);
    expect(() => parseWindow('weekdays 8-17')).toThrow('window "weekdays 8-17" is not DAYS HH:MM-HH:MM (e.g. "mon-fri 08:00-17:00")');
    expect(() => parseWindow('mon-fry 08:00-17:00')).toThrow('"mon-fry" is not a day or a range of days');
    expect(() => parseWindow('mon 08:00-08:00')).toThrow('starts when it ends; for a whole day write 00:00-24:00');
    expect(() => parseWindow('mon 24:00-08:00')).toThrow('times must be 00:00 to 23:59');
  });

  it('is in from the start minute and out at the end minute, on the wall clock through a clock change', () => {
    expect(inWindows(T('2026-01-12T07:59:00Z'), london, 'Europe/London')).toBe(false);
    expect(inWindows(T('2026-01-12T08:00:00Z'), london, 'Europe/London')).toBe(true);
    expect(inWindows(T('2026-01-12T16:59:00Z'), london, 'Europe/London')).toBe(true);
    expect(inWindows(T('2026-01-12T17:00:00Z'), london, 'Europe/London')).toBe(false);
    // Summer time: 08:00 London is 07:00Z.
    expect(inWindows(T('2026-07-13T07:00:00Z'), london, 'Europe/London')).toBe(true);
    expect(inWindows(T('2026-07-13T16:00:00Z'), london, 'Europe/London')).toBe(false);
    // Monday 2026-03-30, the first workday after the change.
    expect(inWindows(T('2026-03-30T07:00:00Z'), london, 'Europe/London')).toBe(true);
    expect(inWindows(T('2026-01-17T12:00:00Z'), london, 'Europe/London')).toBe(false); // Saturday
  });

  it('runs past midnight for the day it starts on', () => {
    const night = [parseWindow('thu 22:00-02:00')];
    expect(inWindows(T('2026-01-15T22:00:00Z'), night, 'UTC')).toBe(true); // Thursday
    expect(inWindows(T('2026-01-16T01:59:00Z'), night, 'UTC')).toBe(true); // Friday morning
    expect(inWindows(T('2026-01-16T02:00:00Z'), night, 'UTC')).toBe(false);
    expect(inWindows(T('2026-01-15T01:00:00Z'), night, 'UTC')).toBe(false); // Thursday morning: Wednesday's night
  });
});

describe('blackout files', () => {
  const csv = [
    'time,targets,minutes_before,minutes_after,title,zone',
    '# US jobs report',
    '2026-12-04T13:30:00Z,USD,2,2,Non-Farm Payrolls',
    '2026-12-10 14:00,EURUSD;GER40,5,10,"ECB rate decision, press",Europe/Berlin',
    '2026-12-11T09:00+01:00,*,0,1,Everything',
  ].join('\n');

  it('reads CSV: UTC, offsets, local times with a zone, quoted titles, several targets', () => {
    const list = parseBlackouts(csv, 'news.csv');
    expect(list.map((b) => [iso(b.start), iso(b.end), b.targets, b.title])).toEqual([
      ['2026-12-04T13:28:00.000Z', '2026-12-04T13:32:00.000Z', ['USD'], 'Non-Farm Payrolls'],
      ['2026-12-10T12:55:00.000Z', '2026-12-10T13:10:00.000Z', ['EURUSD', 'GER40'], 'ECB rate decision, press'],
      ['2026-12-11T08:00:00.000Z', '2026-12-11T08:01:00.000Z', ['*'], 'Everything'],
    ]);
    expect(list[0].source).toBe('news.csv line 3');
    expect(iso(parseBlackouts('2026-12-04T13:30:15.250Z,USD,0,0', 'n.csv')[0].start)).toBe('2026-12-04T13:30:15.250Z');
  });

  it('matches currencies inside symbol names, symbols by name (master or slave), * everything, from first to last instant', () => {
    const list = parseBlackouts(csv, 'news.csv');
    const at = T('2026-12-04T13:28:00Z');
    expect(blackoutAt(list, at, ['EURUSD', 'EURUSD.c'])?.title).toBe('Non-Farm Payrolls');
    expect(blackoutAt(list, at, ['XAUUSD'])?.title).toBe('Non-Farm Payrolls');
    expect(blackoutAt(list, at, ['EURGBP'])).toBeUndefined();
    expect(blackoutAt(list, at - 1, ['EURUSD'])).toBeUndefined();
    expect(blackoutAt(list, T('2026-12-04T13:32:00Z'), ['EURUSD'])).toBeDefined();
    expect(blackoutAt(list, T('2026-12-04T13:32:00.001Z'), ['EURUSD'])).toBeUndefined();
    const ecb = T('2026-12-10T13:00:00Z');
    expect(blackoutAt(list, ecb, ['GER40', 'DE40.c'])?.title).toMatch(/ECB/);
    expect(blackoutAt(list, ecb, ['ger40'])?.title).toMatch(/ECB/);
    expect(blackoutAt(list, ecb, ['GER40.cash'])).toBeUndefined();
    expect(blackoutAt(list, T('2026-12-11T08:00:30Z'), ['US30'])?.title).toBe('Everything');
  });

  it('says which line is wrong and how to write it', () => {
    expect(() => parseBlackouts('2026-12-04 13:30,USD,2,2', 'n.csv')).toThrow('n.csv line 1: time "2026-12-04 13:30" has no zone: end it with Z or an offset (+01:00), or give a zone column (e.g. Europe/Prague)');
    expect(() => parseBlackouts('time,targets\n2026-12-04T13:30Z,USD,2', 'n.csv')).toThrow('n.csv line 2: expected time,targets,minutes_before,minutes_after[,title[,zone]], got 3 fields');
    expect(() => parseBlackouts('2026-12-04T13:30Z,USD,-2,2', 'n.csv')).toThrow('minutes_before must be a number of minutes from 0 to 1440, got "-2"');
    expect(() => parseBlackouts('2026-12-04T13:30Z,,2,2', 'n.csv')).toThrow('name the symbols or currencies (e.g. USD;EURUSD), or * for all');
    expect(() => parseBlackouts('4 Dec 2026,USD,2,2', 'n.csv')).toThrow('is not YYYY-MM-DDTHH:MM');
    expect(() => parseBlackouts('2026-12-04 13:30,USD,2,2,x,Mars/Base', 'n.csv')).toThrow('"Mars/Base" is not an IANA time zone');
  });

  it('reads iCalendar: UTC and TZID start, DTEND, categories, minutes, folded lines; defaults to 2 minutes and every symbol', () => {
    const ics = [
      'BEGIN:VCALENDAR', 'VERSION:2.0',
      'BEGIN:VEVENT', 'DTSTART:20261204T133000Z', 'SUMMARY:Non-Farm', ' Payrolls', 'CATEGORIES:USD,XAUUSD', 'X-COPYBRIDGE-BEFORE:5', 'X-COPYBRIDGE-AFTER:3', 'END:VEVENT',
      'BEGIN:VEVENT', 'DTSTART;TZID=America/New_York:20261216T140000', 'DTEND;TZID=America/New_York:20261216T143000', 'SUMMARY:FOMC\\, statement', 'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const [nfp, fomc] = parseBlackouts(ics, 'cal.ics');
    expect([iso(nfp.start), iso(nfp.end), nfp.targets, nfp.title]).toEqual(['2026-12-04T13:25:00.000Z', '2026-12-04T13:33:00.000Z', ['USD', 'XAUUSD'], 'Non-FarmPayrolls']);
    expect(DEFAULT_BLACKOUT_MINUTES).toBe(2);
    expect([iso(fomc.start), iso(fomc.end), fomc.targets, fomc.title]).toEqual(['2026-12-16T18:58:00.000Z', '2026-12-16T19:32:00.000Z', ['*'], 'FOMC, statement']);
    expect(() => parseBlackouts('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261204\nEND:VEVENT', 'c.ics')).toThrow('c.ics event at line 2: "20261204" is not a date-time like 20261204T133000Z (all-day events are not supported: give a time)');
    expect(() => parseBlackouts('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261204T133000\nEND:VEVENT', 'c.ics')).toThrow('has no zone');
    expect(() => parseBlackouts('BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT', 'c.ics')).toThrow('c.ics event at line 2: the event has no DTSTART');
  });
});

describe('max delay', () => {
  it('refuses only what is older than the limit, naming the age', () => {
    expect(tooOld('master event', 60_000, 60_000)).toBeUndefined();
    expect(tooOld('master event', 60_001, 60_000)).toBe('master event 60001 ms ago, more than max_delay_ms 60000');
  });
});
