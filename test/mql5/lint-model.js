'use strict';
/**
 * The shape of an MQL5 source for test/mql5/lint.js: where the classes and functions are, what
 * each declaration declares, and the type of simple expressions as far as the declarations tell
 * it. It reads the code with comments and literal insides blanked (lint.js scan()), so indices
 * are those of the source. Nothing here reports: the rules live in lint.js.
 */

const CONTROL_WORDS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'case', 'else', 'do', 'catch', 'delete', 'new']);
const INT_TYPES = new Set(['bool', 'char', 'uchar', 'short', 'ushort', 'int', 'uint', 'color']);
const LONG_TYPES = new Set(['long', 'ulong', 'datetime']);
const REAL_TYPES = new Set(['double', 'float']);
const CB_ARRAY_RE = /\bCB_ARRAY(?:_REF|_CREF)?\s*\(\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*\)/;

/** Directive lines (and MQL5's `input group "..."`, which has no semicolon) blanked, same length. */
function blankDirectives(code) {
  return code.replace(/^[ \t]*(?:#.*|s?input[ \t]+group\b.*)$/gm, (m) => ' '.repeat(m.length));
}

/** Index of the bracket closing the one at `open` ((, [ or {), or -1. */
function matchBracket(code, open) {
  const pairs = { '(': ')', '[': ']', '{': '}' };
  const stack = [];
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (!stack.length) return i;
    }
  }
  return -1;
}

/** text split at commas outside brackets: [{ text, start }] (start relative to text). */
function splitTop(text) {
  const out = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push({ text: text.slice(from, i), start: from });
      from = i + 1;
    }
  }
  out.push({ text: text.slice(from), start: from });
  return out;
}

/**
 * A function header ("[type] [Owner::]Name(params) [const] [: init-list]") or undefined.
 * offset: index of text in the code.
 */
function parseFunctionHeader(text, offset) {
  const re = /(?:\b([A-Za-z_]\w*)\s*::\s*)?(~?)\b([A-Za-z_]\w*)\s*\(/g;
  const m = re.exec(text);
  if (!m || CONTROL_WORDS.has(m[3]) || m[3] === 'operator') return undefined;
  const open = m.index + m[0].length - 1;
  const close = matchBracket(text, open);
  if (close < 0) return undefined;
  const rest = text.slice(close + 1);
  const tail = /^\s*(?:const\s*)?(?:(?:override|final)\s*)*(:[\s\S]*)?$/.exec(rest);
  if (!tail) return undefined;
  const before = text.slice(0, m.index);
  if (/[=(,?]/.test(before)) return undefined;
  const ret = before.replace(/\b(?:public|private|protected)\s*:/g, ' ').replace(/\b(?:static|virtual|const|inline)\b/g, ' ').replace(/&/g, ' ').trim();
  const nameStart = offset + m.index + m[0].indexOf(m[2] + m[3], m[1] ? m[0].indexOf('::') + 2 : 0);
  return {
    name: m[3],
    destructor: !!m[2],
    owner: m[1],
    returns: ret,
    nameStart,
    params: text.slice(open + 1, close),
    paramsStart: offset + open + 1,
    initList: tail[1] ? [offset + close + 1 + rest.indexOf(':'), offset + text.length] : undefined,
  };
}

/**
 * Braces walked once: classes (with their body ranges), functions (header, parameters, body) and
 * every statement with its scope: 'top', 'class' (directly in a class body) or 'function'.
 */
function outline(rawCode) {
  const code = blankDirectives(rawCode);
  const classes = [];
  const functions = [];
  const prototypes = [];
  const statements = [];
  const enums = [];
  const stack = [];
  let segStart = 0;
  const scopeOf = () => {
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k].kind === 'function') return { scope: 'function', fn: stack[k].fn };
      if (stack[k].kind === 'class') return { scope: 'class', cls: stack[k].cls };
      if (stack[k].kind === 'enum' || stack[k].kind === 'init') return { scope: 'init' };
    }
    return { scope: 'top' };
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c !== '{' && c !== '}' && c !== ';') continue;
    const text = code.slice(segStart, i);
    const top = stack[stack.length - 1];
    const where = scopeOf();
    const stmt = { start: segStart, end: i, text, ...where };
    if (c === '{') {
      let entry = { kind: 'block' };
      const cls = /\b(class|struct|union|interface)\s+([A-Za-z_]\w*)\s*(?::\s*(?:public|private|protected)?\s*([A-Za-z_]\w*)\s*)?$/.exec(text);
      if (cls && where.scope !== 'function') {
        const info = { name: cls[2], kind: cls[1], base: cls[3], start: i, end: undefined, nameStart: segStart + cls.index + cls[0].indexOf(cls[2], cls[1].length) };
        classes.push(info);
        entry = { kind: 'class', cls: info };
      } else if (/\benum\s+(?:[A-Za-z_]\w*\s*)?$/.test(text)) {
        const e = /\benum\s+([A-Za-z_]\w*)?/.exec(text);
        const info = { name: e[1], start: i, end: undefined };
        enums.push(info);
        entry = { kind: 'enum', en: info };
      } else if ((top && (top.kind === 'enum' || top.kind === 'init')) || /=\s*$/.test(text)) entry = { kind: 'init' };
      else if (where.scope === 'top' || where.scope === 'class') {
        const h = parseFunctionHeader(text, segStart);
        if (h) {
          const fn = { ...h, cls: h.owner ?? where.cls?.name, bodyStart: i + 1, bodyEnd: undefined };
          functions.push(fn);
          entry = { kind: 'function', fn };
        } else if (where.scope === 'class' && /\w\s*$/.test(text)) entry = { kind: 'init' };
      }
      stmt.opens = entry.kind;
      statements.push(stmt);
      stack.push(entry);
    } else if (c === '}') {
      const open = stack.pop();
      if (open && open.kind === 'class') open.cls.end = i;
      if (open && open.kind === 'enum') open.en.end = i;
      if (open && open.kind === 'function') open.fn.bodyEnd = i;
      if (text.trim()) statements.push({ ...stmt, closes: open?.kind });
    } else {
      if (where.scope === 'top' || where.scope === 'class') {
        const h = parseFunctionHeader(text, segStart);
        if (h) prototypes.push({ ...h, cls: h.owner ?? where.cls?.name });
      }
      statements.push(stmt);
    }
    segStart = i + 1;
  }
  return { code, rawCode, classes, functions, prototypes, statements, enums };
}

/** One parameter: { name, type, array, ref, nameStart } or undefined. */
function parseParam(text, start) {
  const arr = CB_ARRAY_RE.exec(text);
  if (arr) return { name: arr[2], type: arr[1], array: true, ref: true, nameStart: start + arr.index + arr[0].lastIndexOf(arr[2]) };
  const m = /^(\s*(?:const\s+)?)([A-Za-z_]\w*)(\s*&?\s*)([A-Za-z_]\w*)\s*(\[\s*\])?\s*(?:=[\s\S]*)?$/.exec(text);
  if (!m) return undefined;
  return { name: m[4], type: m[2], array: !!m[5], ref: m[3].includes('&'), nameStart: start + m[1].length + m[2].length + m[3].length };
}

/**
 * The variables a statement declares: [{ name, type, array, nameStart }]. A statement that
 * declares a function (a name followed by parameters) declares no variable here, except in a
 * function body, where "CFoo obj(args)" is an object.
 */
function declaredVariables(stmt, isType) {
  const out = [];
  let text = stmt.text;
  let offset = stmt.start;
  const lead = /^(\s*(?:(?:public|private|protected)\s*:\s*)*(?:for\s*\(\s*)?)/.exec(text)[1];
  text = text.slice(lead.length);
  offset += lead.length;
  const arr = CB_ARRAY_RE.exec(text);
  if (arr && /^\s*$/.test(text.slice(0, arr.index)) && /^\s*$/.test(text.slice(arr.index + arr[0].length))) {
    return [{ name: arr[2], type: arr[1], array: true, nameStart: offset + arr.index + arr[0].lastIndexOf(arr[2]) }];
  }
  const m = /^((?:(?:static|const|input|sinput)\s+)*)([A-Za-z_]\w*)\s+/.exec(text);
  if (!m || !isType(m[2])) return out;
  const type = m[2];
  const rest = text.slice(m[0].length);
  for (const piece of splitTop(rest)) {
    const d = /^(\s*&?\s*)([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*(=[\s\S]*|\([\s\S]*\))?\s*$/.exec(piece.text);
    if (!d) return out;
    if (d[4] && d[4].startsWith('(') && stmt.scope !== 'function') return out;
    out.push({ name: d[2], type, array: !!d[3], nameStart: offset + m[0].length + piece.start + d[1].length });
  }
  return out;
}

/** The category a format conversion cares about: 'int', 'long', 'double', 'string' or undefined. */
function category(t, enumTypes) {
  if (!t || t.array) return undefined;
  if (t.type === 'string') return 'string';
  if (INT_TYPES.has(t.type) || enumTypes.has(t.type)) return 'int';
  if (LONG_TYPES.has(t.type)) return 'long';
  if (REAL_TYPES.has(t.type)) return 'double';
  return undefined;
}

/**
 * What the project (and the documented API) declares, for typing expressions:
 *   classes: name -> { base, fields: Map name -> type, methods: Map name -> return type }
 *   globals: Map name -> type, functions: Map name -> return type, constants: Map name -> type
 * A type is { type, array }.
 */
function createTypeTable({ isType, enumTypes, api }) {
  const classes = new Map();
  const globals = new Map();
  const functions = new Map();
  const constants = new Map();
  const macros = new Map();
  const models = [];
  for (const [name, e] of api.functions) {
    const r = /^(?:const\s+)?([A-Za-z_]\w*)\s+[A-Za-z_]\w*\s*\(/.exec(e.doc || '');
    if (r && r[1] !== 'void') functions.set(name, { type: r[1], array: false });
  }
  for (const [name, e] of api.constants) {
    if (e.value !== undefined) constants.set(name, { type: /^-?\d+$/.test(e.value) ? 'int' : 'double', array: false });
    else if (/\bENUM_/.test(e.doc || '')) constants.set(name, { type: 'int', array: false });
  }
  const classOf = (name) => {
    if (!classes.has(name)) classes.set(name, { base: undefined, fields: new Map(), methods: new Map() });
    return classes.get(name);
  };
  /** Adds the declarations of one source (its outline). */
  function add(model) {
    models.push(model);
    for (const c of model.classes) classOf(c.name).base = c.base;
    for (const f of [...model.functions, ...model.prototypes]) {
      const t = f.returns && f.returns !== 'void' ? { type: f.returns, array: false } : undefined;
      if (f.cls) {
        if (t) classOf(f.cls).methods.set(f.name, t);
      } else if (t) functions.set(f.name, t);
    }
    for (const s of model.statements) {
      if (s.scope !== 'top' && s.scope !== 'class') continue;
      if (s.opens && s.opens !== 'init') continue;
      for (const v of declaredVariables(s, isType)) {
        if (s.scope === 'class') classOf(s.cls.name).fields.set(v.name, v);
        else globals.set(v.name, v);
      }
    }
    for (const e of model.enums) {
      const body = model.code.slice(e.start + 1, e.end);
      for (const m of body.matchAll(/(?:^|,)\s*([A-Za-z_]\w*)/g)) constants.set(m[1], { type: 'int', array: false });
    }
    for (const m of model.rawCode.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]*?)[ \t]*$/gm)) macros.set(m[1], m[2]);
  }
  const member = (cls, name, kind) => {
    for (let c = classes.get(cls), guard = 0; c && guard < 10; c = classes.get(c.base), guard++) {
      const t = c[kind].get(name);
      if (t) return t;
    }
    return undefined;
  };
  return { add, models, classes, globals, functions, constants, macros, member, enumTypes, isType };
}

/**
 * Types of names and expressions in one source: locals and parameters of the function around a
 * position, then the members of its class, then globals and constants.
 */
function createScope(model, table) {
  const locals = new Map(); // fn -> [{ name, type, array, nameStart }]
  for (const fn of model.functions) {
    const list = [];
    if (!/^\s*(void)?\s*$/.test(fn.params)) {
      for (const p of splitTop(fn.params)) {
        const v = parseParam(p.text, fn.paramsStart + p.start);
        if (v) list.push({ ...v, order: fn.paramsStart - 1 });
      }
    }
    locals.set(fn, list);
  }
  for (const s of model.statements) {
    if (s.scope !== 'function') continue;
    for (const v of declaredVariables(s, table.isType)) locals.get(s.fn).push(v);
  }
  const fnAt = (pos) => model.functions.find((f) => pos >= f.paramsStart && pos <= (f.bodyEnd ?? Infinity));
  function variable(name, pos) {
    const fn = fnAt(pos);
    if (fn) {
      let best;
      const at = (v) => v.order ?? v.nameStart;
      for (const v of locals.get(fn)) if (v.name === name && at(v) < pos && (!best || at(v) > at(best))) best = v;
      if (best) return best;
      if (fn.cls) {
        const t = table.member(fn.cls, name, 'fields');
        if (t) return t;
      }
    }
    return table.globals.get(name);
  }
  /** A method called without an object, inside a method of its class. */
  function method(name, pos) {
    const fn = fnAt(pos);
    return fn && fn.cls ? table.member(fn.cls, name, 'methods') : undefined;
  }
  function constant(name, depth = 0) {
    if (table.constants.has(name)) return table.constants.get(name);
    const v = table.macros.get(name);
    if (v === undefined || depth > 4) return undefined;
    return exprType(v, -1, depth + 1);
  }

  /**
   * Walks a postfix chain (name, .member, (args), [index]) from `start`; calls onDot(type, dotIndex)
   * at every "." with the type on its left. Returns { type, end }.
   */
  function chain(text, start, base, onDot, depth = 0) {
    let i = start;
    const ident = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (!ident) return { type: undefined, end: i };
    let name = ident[0];
    i += name.length;
    const skip = () => { while (i < text.length && /\s/.test(text[i])) i++; };
    skip();
    let t;
    if (text[i] === '(') {
      const close = matchBracket(text, i);
      if (close < 0) return { type: undefined, end: text.length };
      t = table.isType(name) && !table.functions.has(name) ? { type: name, array: false } : table.functions.get(name) ?? method(name, base + start);
      i = close + 1;
    } else if (name === 'true' || name === 'false') t = { type: 'bool', array: false };
    else t = variable(name, base + start) ?? constant(name, depth);
    for (;;) {
      skip();
      if (text[i] === '[') {
        const close = matchBracket(text, i);
        if (close < 0) return { type: undefined, end: text.length };
        t = t && t.array ? { type: t.type, array: false } : undefined;
        i = close + 1;
      } else if (text[i] === '.' && /[A-Za-z_]/.test(text.slice(i + 1).trimStart()[0] || '')) {
        if (onDot) onDot(t, base + i);
        i++;
        skip();
        name = /^[A-Za-z_]\w*/.exec(text.slice(i))[0];
        i += name.length;
        skip();
        const isCall = text[i] === '(';
        t = t && !t.array && table.classes.has(t.type) ? table.member(t.type, name, isCall ? 'methods' : 'fields') : undefined;
        if (isCall) {
          const close = matchBracket(text, i);
          if (close < 0) return { type: undefined, end: text.length };
          i = close + 1;
        }
      } else break;
    }
    return { type: t, end: i };
  }

  /** The type of an expression (code text, literal insides blanked) at position pos, or undefined. */
  function exprType(text, pos, depth = 0) {
    let e = text.trim();
    if (!e || depth > 8) return undefined;
    const tops = topLevel(e);
    const q = tops.find((o) => o.op === '?');
    if (q) {
      const colon = tops.find((o) => o.op === ':' && o.at > q.at);
      if (!colon) return undefined;
      const a = exprType(e.slice(q.at + 1, colon.at), pos, depth + 1);
      const b = exprType(e.slice(colon.at + 1), pos, depth + 1);
      return a && b && category(a, table.enumTypes) === category(b, table.enumTypes) ? a : undefined;
    }
    if (tops.some((o) => ['||', '&&', '==', '!=', '<', '>', '<=', '>='].includes(o.op))) return { type: 'bool', array: false };
    const bin = tops.filter((o) => ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'].includes(o.op));
    if (bin.length) {
      const parts = [];
      let from = 0;
      for (const o of bin) {
        parts.push(e.slice(from, o.at));
        from = o.at + o.op.length;
      }
      parts.push(e.slice(from));
      const cats = parts.map((p) => category(exprType(p, pos, depth + 1), table.enumTypes));
      if (cats.includes('string')) return bin.every((o) => o.op === '+') ? { type: 'string', array: false } : undefined;
      if (cats.includes(undefined)) return undefined;
      if (cats.includes('double')) return { type: 'double', array: false };
      return { type: cats.includes('long') ? 'long' : 'int', array: false };
    }
    if (/^[-+~]/.test(e)) return exprType(e.slice(1), pos, depth + 1);
    if (e[0] === '!') return { type: 'bool', array: false };
    if (/^"[^"]*"$/.test(e)) return { type: 'string', array: false };
    if (/^'[^']*'$/.test(e)) return { type: 'ushort', array: false };
    if (/^(?:0[xX][0-9a-fA-F]+|\d+)$/.test(e)) return { type: 'int', array: false };
    if (/^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/.test(e)) return { type: 'double', array: false };
    if (e[0] === '(') {
      const close = matchBracket(e, 0);
      if (close === e.length - 1) return exprType(e.slice(1, -1), pos, depth + 1);
      const cast = /^\(\s*([A-Za-z_]\w*)\s*\)$/.exec(e.slice(0, close + 1));
      if (cast && table.isType(cast[1])) return { type: cast[1], array: false };
      return undefined;
    }
    const base = pos < 0 ? -Infinity : pos + text.indexOf(e);
    const r = chain(e, 0, base, undefined, depth);
    return r.end === e.length ? r.type : undefined;
  }
  return { exprType, chain };
}

/** Operators outside brackets: [{ op, at }] (binary + - & only where an operand precedes them). */
function topLevel(e) {
  const ops = [];
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '"' || c === "'") {
      const j = e.indexOf(c, i + 1);
      i = j < 0 ? e.length : j;
    } else if (depth === 0 && /[-+*/%&|^<>=!?:]/.test(c)) {
      const two = e.slice(i, i + 2);
      let op = ['||', '&&', '==', '!=', '<=', '>=', '<<', '>>', '::'].includes(two) ? two : c;
      if (op === '::') { i++; continue; }
      if (op === '!' || op === '=') { i += op.length - 1; continue; }
      const prev = e.slice(0, i).trimEnd();
      const operandBefore = /[\w)\]"']$/.test(prev) && !/(?:^|[^\w.])\d+(?:\.\d*)?[eE]$/.test(prev);
      if ((op === '+' || op === '-' || op === '&' || op === '*') && !operandBefore) continue;
      ops.push({ op, at: i });
      i += op.length - 1;
    }
  }
  return ops;
}

module.exports = { outline, parseParam, declaredVariables, splitTop, matchBracket, createTypeTable, createScope, category };
