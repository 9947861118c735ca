/**
 * The latency chart, without a browser or native packages: a tiny raster canvas with a 5x7 bitmap
 * font, encoded as PNG with node:zlib; and the same chart as SVG.
 */
import { deflateSync } from 'zlib';

// Classic 5x7 glyphs for ' ' (0x20) to 'Z' (0x5A): 5 columns each, bit 0 at the top.
const FONT = [
  0x00,0x00,0x00,0x00,0x00, 0x00,0x00,0x5f,0x00,0x00, 0x00,0x07,0x00,0x07,0x00, 0x14,0x7f,0x14,0x7f,0x14,
  0x24,0x2a,0x7f,0x2a,0x12, 0x23,0x13,0x08,0x64,0x62, 0x36,0x49,0x55,0x22,0x50, 0x00,0x05,0x03,0x00,0x00,
  0x00,0x1c,0x22,0x41,0x00, 0x00,0x41,0x22,0x1c,0x00, 0x08,0x2a,0x1c,0x2a,0x08, 0x08,0x08,0x3e,0x08,0x08,
  0x00,0x50,0x30,0x00,0x00, 0x08,0x08,0x08,0x08,0x08, 0x00,0x60,0x60,0x00,0x00, 0x20,0x10,0x08,0x04,0x02,
  0x3e,0x51,0x49,0x45,0x3e, 0x00,0x42,0x7f,0x40,0x00, 0x42,0x61,0x51,0x49,0x46, 0x21,0x41,0x45,0x4b,0x31,
  0x18,0x14,0x12,0x7f,0x10, 0x27,0x45,0x45,0x45,0x39, 0x3c,0x4a,0x49,0x49,0x30, 0x01,0x71,0x09,0x05,0x03,
  0x36,0x49,0x49,0x49,0x36, 0x06,0x49,0x49,0x29,0x1e, 0x00,0x36,0x36,0x00,0x00, 0x00,0x56,0x36,0x00,0x00,
  0x00,0x08,0x14,0x22,0x41, 0x14,0x14,0x14,0x14,0x14, 0x41,0x22,0x14,0x08,0x00, 0x02,0x01,0x51,0x09,0x06,
  0x32,0x49,0x79,0x41,0x3e, 0x7e,0x11,0x11,0x11,0x7e, 0x7f,0x49,0x49,0x49,0x36, 0x3e,0x41,0x41,0x41,0x22,
  0x7f,0x41,0x41,0x22,0x1c, 0x7f,0x49,0x49,0x49,0x41, 0x7f,0x09,0x09,0x01,0x01, 0x3e,0x41,0x41,0x51,0x32,
  0x7f,0x08,0x08,0x08,0x7f, 0x00,0x41,0x7f,0x41,0x00, 0x20,0x40,0x41,0x3f,0x01, 0x7f,0x08,0x14,0x22,0x41,
  0x7f,0x40,0x40,0x40,0x40, 0x7f,0x02,0x04,0x02,0x7f, 0x7f,0x04,0x08,0x10,0x7f, 0x3e,0x41,0x41,0x41,0x3e,
  0x7f,0x09,0x09,0x09,0x06, 0x3e,0x41,0x51,0x21,0x5e, 0x7f,0x09,0x19,0x29,0x46, 0x46,0x49,0x49,0x49,0x31,
  0x01,0x01,0x7f,0x01,0x01, 0x3f,0x40,0x40,0x40,0x3f, 0x1f,0x20,0x40,0x20,0x1f, 0x7f,0x20,0x18,0x20,0x7f,
  0x63,0x14,0x08,0x14,0x63, 0x03,0x04,0x78,0x04,0x03, 0x61,0x51,0x49,0x45,0x43,
];

export type RGB = [number, number, number];

export class Canvas {
  readonly px: Uint8Array;

  constructor(
    readonly w: number,
    readonly h: number,
    bg: RGB = [255, 255, 255],
  ) {
    this.px = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) this.px.set(bg, i * 3);
  }

  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    this.px.set(c, (y * this.w + x) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = Math.round(y); j < Math.round(y + h); j++) for (let i = Math.round(x); i < Math.round(x + w); i++) this.set(i, j, c);
  }

  /** A line of the given width; dash = [on, off] in pixels along the line. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, width = 1, dash?: [number, number]): void {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(len * 2));
    const r = (width - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const d = (s / steps) * len;
      if (dash && d % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      if (r <= 0) this.set(x, y, c);
      else for (let j = -r; j <= r; j++) for (let i = -r; i <= r; i++) this.set(x + i, y + j, c);
    }
  }

  dot(cx: number, cy: number, radius: number, c: RGB): void {
    for (let j = -radius; j <= radius; j++) for (let i = -radius; i <= radius; i++) if (i * i + j * j <= radius * radius) this.set(cx + i, cy + j, c);
  }

  /** Upper-case text with the 5x7 font; returns the width drawn. */
  text(x: number, y: number, s: string, c: RGB, scale = 2): number {
    let cx = Math.round(x);
    for (const ch of s.toUpperCase()) {
      let code = ch.charCodeAt(0);
      if (code < 0x20 || code > 0x5a) code = 0x3f;
      const g = (code - 0x20) * 5;
      for (let col = 0; col < 5; col++) {
        const bits = FONT[g + col];
        for (let row = 0; row < 7; row++) if (bits & (1 << row)) this.rect(cx + col * scale, y + row * scale, scale, scale, c);
      }
      cx += 6 * scale;
    }
    return cx - Math.round(x);
  }

  static textWidth(s: string, scale = 2): number {
    return s.length * 6 * scale;
  }

  png(): Buffer {
    const raw = Buffer.alloc((this.w * 3 + 1) * this.h);
    for (let y = 0; y < this.h; y++) {
      raw[y * (this.w * 3 + 1)] = 0;
      Buffer.from(this.px.buffer, this.px.byteOffset + y * this.w * 3, this.w * 3).copy(raw, y * (this.w * 3 + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.w, 0);
    ihdr.writeUInt32BE(this.h, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
  }
}

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// ---------------------------------------------------------------- the latency chart

export interface Series {
  label: string;
  color: RGB;
  dash?: boolean;
  /** One value (in the chart's unit) per category; NaN for none. */
  values: number[];
}

export interface LatencyChart {
  title: string;
  subtitle: string;
  /** X categories (slave counts). */
  categories: string[];
  xLabel: string;
  series: Series[];
  /** Horizontal reference lines, e.g. a target. */
  marks?: { value: number; label: string; color: RGB }[];
  /** Unit of the values, on the y axis; default ms. */
  unit?: string;
}

const W = 1000;
const H = 600;
const PAD = { l: 110, r: 30, t: 105, b: 80 };

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function scale(chart: LatencyChart) {
  const all = chart.series.flatMap((s) => s.values).concat((chart.marks ?? []).map((m) => m.value)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const n = chart.categories.length;
  const x = (i: number) => PAD.l + (pw * (i + 0.5)) / n;
  const y = (v: number) => PAD.t + ph - (ph * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  return { lo, hi, x, y, pw, ph, ticks: logTicks(lo, hi) };
}

const tickLabel = (v: number) => (v >= 1 ? String(v) : v.toFixed(Math.max(0, -Math.floor(Math.log10(v)))));

export function renderPng(chart: LatencyChart): Buffer {
  const c = new Canvas(W, H);
  const s = scale(chart);
  const ink: RGB = [30, 30, 30];
  const grid: RGB = [225, 225, 225];
  c.text(PAD.l, 20, chart.title, ink, 3);
  c.text(PAD.l, 52, chart.subtitle, [90, 90, 90], 2);
  for (const v of s.ticks) {
    const y = s.y(v);
    c.line(PAD.l, y, W - PAD.r, y, grid);
    const label = tickLabel(v);
    c.text(PAD.l - 10 - Canvas.textWidth(label), y - 7, label, ink);
  }
  c.line(PAD.l, PAD.t, PAD.l, PAD.t + s.ph, ink, 2);
  c.line(PAD.l, PAD.t + s.ph, W - PAD.r, PAD.t + s.ph, ink, 2);
  chart.categories.forEach((cat, i) => {
    c.line(s.x(i), PAD.t + s.ph, s.x(i), PAD.t + s.ph + 6, ink, 2);
    c.text(s.x(i) - Canvas.textWidth(cat) / 2, PAD.t + s.ph + 14, cat, ink);
  });
  c.text(PAD.l + s.pw / 2 - Canvas.textWidth(chart.xLabel) / 2, H - 30, chart.xLabel, ink);
  c.text(10, PAD.t - 30, `${(chart.unit ?? 'ms').toUpperCase()} (LOG)`, ink);
  for (const m of chart.marks ?? []) {
    const y = s.y(m.value);
    c.line(PAD.l, y, W - PAD.r, y, m.color, 1, [6, 4]);
    c.text(PAD.l + 8, y + 6, m.label, m.color);
  }
  for (const ser of chart.series) {
    let prev: [number, number] | undefined;
    ser.values.forEach((v, i) => {
      if (!Number.isFinite(v) || v <= 0) {
        prev = undefined;
        return;
      }
      const p: [number, number] = [s.x(i), s.y(v)];
      if (prev) c.line(prev[0], prev[1], p[0], p[1], ser.color, 3, ser.dash ? [10, 6] : undefined);
      prev = p;
    });
    ser.values.forEach((v, i) => Number.isFinite(v) && v > 0 && c.dot(s.x(i), s.y(v), 5, ser.color));
  }
  // Legend, top left inside the plot.
  let ly = PAD.t + 10;
  const lx = PAD.l + 16;
  c.rect(lx - 8, ly - 8, 330, chart.series.length * 24 + 10, [250, 250, 250]);
  for (const ser of chart.series) {
    c.line(lx, ly + 7, lx + 40, ly + 7, ser.color, 3, ser.dash ? [10, 6] : undefined);
    c.text(lx + 52, ly, ser.label, ink);
    ly += 24;
  }
  return c.png();
}

const hex = (c: RGB) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderSvg(chart: LatencyChart): string {
  const s = scale(chart);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${PAD.l}" y="38" font-size="22" fill="#1e1e1e">${esc(chart.title)}</text>`);
  out.push(`<text x="${PAD.l}" y="64" font-size="14" fill="#5a5a5a">${esc(chart.subtitle)}</text>`);
  for (const v of s.ticks) {
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${s.y(v)}" y2="${s.y(v)}" stroke="#e1e1e1"/>`);
    out.push(`<text x="${PAD.l - 10}" y="${s.y(v) + 5}" font-size="14" text-anchor="end">${tickLabel(v)}</text>`);
  }
  out.push(`<line x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${PAD.t + s.ph}" stroke="#1e1e1e" stroke-width="2"/>`);
  out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${PAD.t + s.ph}" y2="${PAD.t + s.ph}" stroke="#1e1e1e" stroke-width="2"/>`);
  chart.categories.forEach((cat, i) => out.push(`<text x="${s.x(i)}" y="${PAD.t + s.ph + 26}" font-size="14" text-anchor="middle">${esc(cat)}</text>`));
  out.push(`<text x="${PAD.l + s.pw / 2}" y="${H - 22}" font-size="14" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text x="10" y="${PAD.t - 14}" font-size="14">${esc(chart.unit === 'US' ? 'µs' : (chart.unit ?? 'ms'))} (log)</text>`);
  for (const m of chart.marks ?? []) {
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${s.y(m.value)}" y2="${s.y(m.value)}" stroke="${hex(m.color)}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${PAD.l + 8}" y="${s.y(m.value) + 18}" font-size="13" fill="${hex(m.color)}">${esc(m.label)}</text>`);
  }
  chart.series.forEach((ser, k) => {
    const pts = ser.values.map((v, i) => (Number.isFinite(v) && v > 0 ? `${s.x(i)},${s.y(v)}` : '')).filter(Boolean);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${hex(ser.color)}" stroke-width="3"${ser.dash ? ' stroke-dasharray="10 6"' : ''}/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="5" fill="${hex(ser.color)}"/>`);
    const ly = PAD.t + 18 + k * 22;
    out.push(`<line x1="${PAD.l + 16}" x2="${PAD.l + 56}" y1="${ly}" y2="${ly}" stroke="${hex(ser.color)}" stroke-width="3"${ser.dash ? ' stroke-dasharray="10 6"' : ''}/>`);
    out.push(`<text x="${PAD.l + 66}" y="${ly + 5}" font-size="14">${esc(ser.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
