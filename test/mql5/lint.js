#!/usr/bin/env node
/**
 * mql5-lint: keeps the EA in the common subset of MQL5 and C++.
 *
 * The test suite compiles the EA with g++ (test/mql5/build.js), so whatever g++ rejects is caught
 * there. This lint catches the other direction: what C++ accepts and MetaEditor does not (or what
 * compiles in both but means something else), and it checks that every MQL5 function, constant
 * and type the EA uses is either defined in the project or listed in test/mql5/mql5-api.txt with
 * its signature and, where the MQL5 reference documents one, its value. Values listed there must
 * also be the values of the C++ stand-in (test/mql5/runtime/MQL5.h).
 *
 * Beyond single tokens, the rules read an outline of each file (test/mql5/lint-model.js: classes,
 * functions, declarations, and the types of simple expressions as far as the declarations in the
 * project tell them): members of strings and arrays, reserved words as names, local prototypes,
 * T(x) casts of types, StringFormat/PrintFormat arguments. The lines test/mql5/build.js rewrites
 * for C++ (#import blocks, inputs, #property) never reach g++, so they have rules of their own.
 * RULES below lists every rule with what to write instead.
 *
 * Usage: node test/mql5/lint.js [--json] [files...]   (default: the EA and include/CopyBridge)
 * Exit code 1 when anything is found. Output: file:line:col: rule: message
 */
'use strict';
const fs = require('fs');
const path = require('path');
const lintModel = require('./lint-model.js');

const ROOT = path.resolve(__dirname, '..', '..');
const API_FILE = path.join(__dirname, 'mql5-api.txt');
const STANDIN = path.join(__dirname, 'runtime', 'MQL5.h');
const DEFAULT_FILES = () => [
  path.join(ROOT, 'mql5', 'Experts', 'CopyBridge.mq5'),
  ...fs
    .readdirSync(path.join(ROOT, 'include', 'CopyBridge'))
    .filter((f) => f.endsWith('.mqh'))
    .sort()
    .map((f) => path.join(ROOT, 'include', 'CopyBridge', f)),
];

/** The rules: id -> what is wrong and what MQL5 wants instead. */
const RULES = {
  'no-auto': 'auto is C++ only: write the type',
  'no-nullptr': 'nullptr is C++ only: MQL5 uses NULL',
  'no-std': 'std:: is C++ only: MQL5 has no standard library namespace',
  'no-namespace': 'namespace/using: not used in this EA (and MQL5 namespaces differ from C++)',
  'no-lambda': 'lambdas are C++ only: write a function',
  'no-arrow': '-> is C++ only: MQL5 uses . on objects and pointers alike; this EA uses no pointers',
  'no-unsigned': 'signed/unsigned are not MQL5 type words: use uchar, ushort, uint, ulong',
  'no-long-long': '"long long", "long int", "short int", "long double" are not MQL5 types: long is 64-bit in MQL5',
  'no-cpp-keyword': 'C++ keyword that MQL5 does not have',
  'no-cpp-type': 'C++ type name that MQL5 does not have',
  'no-pointers': 'new/delete/this/pointer declarations: the EA uses objects and references only (MQL5 pointers use ".", C++ pointers "->")',
  'no-member-init': 'member initialiser in a class body: MQL5 rejects it; initialise in the constructor',
  'no-object-by-value': 'structures and class objects are passed by reference in MQL5: add &',
  'no-return-reference': 'MQL5 functions cannot return references',
  'no-reference-variable': 'MQL5 has no reference variables: only parameters can be references',
  'no-brace-init': 'brace initialisation (T x{...}) is C++ only: use = or a constructor',
  'no-range-for': 'range-based for is C++ only',
  'no-enum-class': 'enum class / enum with an underlying type is C++ only',
  'no-default-delete': '= default / = delete are C++ only',
  'no-multiple-inheritance': 'MQL5 classes have one base class',
  'no-functional-cast': 'T(x) casts are C++ only: write (T)x',
  'no-template': 'templates are not used in this EA (MQL5 templates differ from C++ ones)',
  'no-operator-overload': 'operator overloading is not used in this EA',
  'no-variadic': '... parameters are not MQL5 (except in imported DLL functions)',
  'no-decl-in-condition': 'declarations inside if/while/switch conditions are C++ only',
  'preprocessor': 'MQL5 knows #define, #undef, #include, #import, #property, #ifdef, #ifndef, #else and #endif only',
  'no-token-paste': '# and ## in macros are not used in this EA',
  'no-line-continuation': 'a backslash line continuation is not used in this EA',
  'include-mqh': '#include must name an .mqh file of the project',
  'mq5-only': '#property, input and #import belong in the .mq5 (the C++ build rewrites them only there)',
  'dynamic-array': 'T name[] / T &name[] is not C++: use CB_ARRAY, CB_ARRAY_REF or CB_ARRAY_CREF (Compat.mqh)',
  'literal-concat': 'adjacent string literals ("a" "b") are not concatenated by MQL5',
  'literal-plus': 'a string literal added to a literal: C++ does pointer arithmetic (or rejects it), MQL5 concatenates; use IntegerToString/a string variable',
  'string-escape': 'only \\\\ \\" \\\' \\n \\r \\t escapes are used (\\x, \\u, octal differ)',
  'non-ascii': 'non-ASCII character in code or a string: MetaEditor and g++ may read it differently; use \\n-free ASCII and ShortToString',
  'number-suffix': 'integer/float suffixes (u, l, ll, f), digit separators, binary and octal literals are C++ only',
  'format-spec': 'StringFormat/PrintFormat conversion MQL5 does not have (use d, i, u, x, X, o, e, f, g, c, s with I64 for long)',
  'input-assign': 'inputs are read-only in MQL5',
  'char-literal': 'multi-character literals are not MQL5',
  'no-main': 'main() does not exist in an MQL5 program',
  'macro-params': 'MQL5 macros take at most 8 parameters',
  'undocumented-function': 'function not defined in the project and not in test/mql5/mql5-api.txt (the documented MQL5 API)',
  'undocumented-method': 'method not defined by any class of the project (MQL5 objects have no methods but the ones the project writes)',
  'undocumented-constant': 'constant not defined in the project and not in test/mql5/mql5-api.txt',
  'undocumented-type': 'MQL5 type not in test/mql5/mql5-api.txt',
  'standin-value': 'the C++ stand-in gives this constant another value than the MQL5 reference',
  'define-before-use': 'method called before its definition or declaration in the class: C++ allows it, write classes top-down so MetaEditor sees every method first',
  'string-array-member': 'MQL5 strings and arrays have no members (the C++ stand-in\'s do): use StringLen/StringFind/StringSubstr on strings, ArraySize/ArrayResize on arrays',
  'no-bit-field': 'bit-fields are C++ only: declare a whole uchar/ushort/uint member and mask it',
  'no-typedef': 'MQL5 has typedef for function pointer types only (typedef int (*TFunc)(int);): write the type itself, or a #define',
  'reserved-name': 'an MQL5 reserved word used as a name (MetaEditor rejects it, g++ does not): rename it',
  'no-local-function': 'a function declared inside a function body: MQL5 declares functions at file or class level only; move the prototype out (or, for an object, pass constructor arguments)',
  'format-args': 'StringFormat/PrintFormat arguments must match the conversions (%d/%i/%u/%x/%c integers, %I64d long/ulong/datetime, %f/%g/%e doubles, %s strings) in number and type',
  'import-block': '#import "x.dll" is closed by a lone #import line and holds one-line declarations "T name(params);" (the C++ build reads it line by line)',
  'import-type': 'a DLL function passes simple types (bool, char..ulong, float, double), strings, and arrays of simple types by reference (&name[]) only',
  'input-decl': 'an input is a global one-line "input T Name = value; // label" (or input group "...") of a simple type or an enum, with a constant value of that type',
  'property': '#property takes a name from the MQL5 reference\'s list and a value of its kind',
};

/**
 * MQL5 reserved words (MQL5 reference, Language Basics > Syntax > Reserved Words: data types,
 * access specifiers, memory classes, operators, other), and the words later builds added as
 * keywords or built-in types (sinput, interface, override, final, union, typedef, matrix/vector,
 * complex, group of "input group").
 */
const RESERVED = new Set([
  'bool', 'enum', 'struct', 'char', 'float', 'uchar', 'class', 'int', 'uint', 'color', 'long', 'ulong', 'datetime', 'short', 'ushort', 'double', 'string', 'void',
  'const', 'private', 'protected', 'public', 'virtual', 'extern', 'input', 'static',
  'break', 'dynamic_cast', 'return', 'case', 'else', 'sizeof', 'continue', 'for', 'switch', 'default', 'if', 'while', 'delete', 'new', 'do', 'operator',
  'false', 'this', 'template', 'true', 'typename',
  'sinput', 'interface', 'override', 'final', 'union', 'typedef', 'export', 'group',
  'matrix', 'matrixf', 'matrixc', 'vector', 'vectorf', 'vectorc', 'complex',
]);

/** #property names of the MQL5 reference (Preprocessor > Program Properties) and their value kinds. */
const PROPERTIES = {
  icon: 'string', link: 'string', copyright: 'string', version: 'string', description: 'string', stacksize: 'int', library: 'none',
  indicator_applied_price: 'int', indicator_chart_window: 'none', indicator_separate_window: 'none', indicator_height: 'int',
  indicator_buffers: 'int', indicator_plots: 'int', indicator_minimum: 'double', indicator_maximum: 'double',
  indicator_levelcolor: 'color', indicator_levelwidth: 'int', indicator_levelstyle: 'int',
  script_show_confirm: 'none', script_show_inputs: 'none',
  tester_indicator: 'string', tester_file: 'string', tester_library: 'string', tester_set: 'string', tester_no_cache: 'none', tester_everytick_calculate: 'none',
  optimization_chart_mode: 'string',
};
/** Numbered properties: indicator_label1, indicator_color2, ... */
const PROPERTIES_N = { indicator_label: 'string', indicator_color: 'color', indicator_width: 'int', indicator_style: 'int', indicator_type: 'int', indicator_level: 'double' };
/** What MQL5 can pass to a DLL (and test/mql5/build.js maps to C). */
const IMPORT_SCALARS = new Set(['bool', 'char', 'uchar', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double']);

const BUILTIN_TYPES = ['void', 'bool', 'char', 'uchar', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double', 'string', 'datetime', 'color'];
const MQL_KEYWORDS = new Set([
  ...BUILTIN_TYPES, 'const', 'static', 'virtual', 'class', 'struct', 'enum', 'public', 'private', 'protected', 'return', 'if', 'else', 'for', 'while',
  'do', 'switch', 'case', 'default', 'break', 'continue', 'sizeof', 'true', 'false', 'NULL', 'input', 'sinput', 'group',
]);
/** C++ keywords MQL5 does not have (MQL5 does have union, extern, final, override, typename, dynamic_cast). */
const CPP_KEYWORDS = [
  'constexpr', 'consteval', 'constinit', 'decltype', 'noexcept', 'static_assert', 'thread_local', 'mutable', 'explicit', 'friend', 'inline', 'volatile',
  'register', 'goto', 'try', 'catch', 'throw', 'typeid', 'static_cast', 'reinterpret_cast', 'const_cast', 'alignas', 'alignof',
  'co_await', 'co_return', 'co_yield', 'concept', 'requires', 'export', 'asm',
];
const CPP_TYPES = ['wchar_t', 'char8_t', 'char16_t', 'char32_t', 'size_t', 'ssize_t', 'ptrdiff_t', 'intptr_t', 'uintptr_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'nullptr_t'];
const CONTROL = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'case', 'else', 'do', 'catch']);
const ALLOWED_DIRECTIVES = new Set(['define', 'undef', 'include', 'import', 'property', 'ifdef', 'ifndef', 'else', 'endif']);

// ------------------------------------------------------------------------------------ scanning
/**
 * Returns the source with comments blanked and the insides of string and char literals blanked
 * (same length, newlines kept), plus the literals themselves.
 */
function scan(src) {
  const out = src.split('');
  const strings = [];
  const chars = [];
  let i = 0;
  const blank = (a, b) => {
    for (let k = a; k < b; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      const e = src.indexOf('\n', i);
      const end = e < 0 ? src.length : e;
      blank(i, end);
      i = end;
    } else if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      const end = e < 0 ? src.length : e + 2;
      blank(i, end);
      i = end;
    } else if (c === "'" && /\d/.test(src[i - 1] || '') && /\d/.test(src[i + 1] || '')) {
      i++; // a C++14 digit separator (1'000), not a character literal
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      const lit = { start: i, end: j + 1, text: src.slice(i + 1, j) };
      (c === '"' ? strings : chars).push(lit);
      blank(i + 1, j);
      i = j + 1;
    } else i++;
  }
  return { code: out.join(''), strings, chars };
}

function lineCol(src, index) {
  let line = 1;
  let last = -1;
  for (let k = 0; k < index && k < src.length; k++) if (src[k] === '\n') { line++; last = k; }
  return { line, col: index - last };
}

/**
 * Walks the braces: which ranges are class/struct bodies, enum bodies, blocks. Returns the
 * statements found directly in class bodies and at file level.
 */
function structure(code) {
  const stack = [];
  const classStatements = [];
  const topStatements = [];
  const enumBodies = [];
  const classNames = [];
  let segStart = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c !== '{' && c !== '}' && c !== ';') continue;
    const seg = { start: segStart, end: i, text: code.slice(segStart, i) };
    const top = stack[stack.length - 1];
    if (c === '{') {
      const header = seg.text;
      let kind = 'block';
      const cls = /\b(class|struct|union)\s+([A-Za-z_]\w*)[^()]*$/.exec(header.replace(/^\s*#.*$/gm, ''));
      if (cls && !/[=(]/.test(header.replace(/^\s*#.*$/gm, '').slice(header.lastIndexOf(cls[0])))) {
        kind = 'class';
        classNames.push(cls[2]);
      } else if (/\benum\b[^;{}()]*$/.test(header)) kind = 'enum';
      else if (top && top.kind === 'enum') kind = 'init';
      else if (/=\s*$/.test(header)) kind = 'init';
      else if (top && top.kind === 'class' && !/\(/.test(header) && /\w\s*$/.test(header)) kind = 'init';
      if (!top) topStatements.push({ ...seg, opens: kind });
      else if (top.kind === 'class') classStatements.push({ ...seg, opens: kind, cls: top.name });
      stack.push({ kind, start: i, name: cls ? cls[2] : undefined });
    } else if (c === '}') {
      const open = stack.pop();
      if (open && open.kind === 'enum') enumBodies.push(code.slice(open.start + 1, i));
      if (open && open.kind === 'class' && seg.text.trim()) classStatements.push({ ...seg, cls: open.name });
    } else {
      if (!top) topStatements.push(seg);
      else if (top.kind === 'class') classStatements.push({ ...seg, cls: top.name });
    }
    segStart = i + 1;
  }
  return { classStatements, topStatements, enumBodies, classNames };
}

/** Per class: its methods in the order they are defined or declared, with their body ranges. */
function classMethods(code) {
  const classes = [];
  const stack = [];
  let segStart = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c !== '{' && c !== '}' && c !== ';') continue;
    const header = code.slice(segStart, i).replace(/^\s*#.*$/gm, '');
    const top = stack[stack.length - 1];
    if (c === '{') {
      const cls = /\b(?:class|struct)\s+([A-Za-z_]\w*)[^()]*$/.exec(header);
      if (cls && !/[=(]/.test(header.slice(header.lastIndexOf(cls[0])))) {
        const entry = { name: cls[1], members: [] };
        classes.push(entry);
        stack.push({ kind: 'class', entry });
      } else {
        let method;
        if (top && top.kind === 'class') {
          const m = /~?([A-Za-z_]\w*)\s*\(/.exec(header.replace(/^\s*(public|private|protected)\s*:/gm, ''));
          if (m) {
            method = { name: m[1], bodyStart: i + 1, bodyEnd: undefined };
            top.entry.members.push(method);
          }
        }
        stack.push({ kind: 'block', method });
      }
    } else if (c === '}') {
      const open = stack.pop();
      if (open && open.method) open.method.bodyEnd = i;
    } else if (top && top.kind === 'class') {
      const m = /~?([A-Za-z_]\w*)\s*\(/.exec(header.replace(/^\s*(public|private|protected)\s*:/gm, ''));
      if (m) top.entry.members.push({ name: m[1] });
    }
    segStart = i + 1;
  }
  return classes;
}

// ------------------------------------------------------------------------------------ API list
function loadApi(file = API_FILE) {
  const api = { functions: new Map(), constants: new Map(), types: new Map() };
  const text = fs.readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const [kind, name, value, ...doc] = line.split('\t');
    if (!name) throw new Error(`${file}:${i + 1}: expected kind<TAB>name<TAB>value<TAB>description`);
    const entry = { name, value: value === undefined || value === '-' ? undefined : value, doc: doc.join('\t'), line: i + 1 };
    if (kind === 'function') api.functions.set(name, entry);
    else if (kind === 'constant') api.constants.set(name, entry);
    else if (kind === 'type') api.types.set(name, entry);
    else throw new Error(`${file}:${i + 1}: unknown kind ${kind}`);
  });
  return api;
}

/** NAME -> value as the C++ stand-in defines it (#define NAME v, or NAME = v in an enum). */
function standinValues(file = STANDIN) {
  const text = scan(fs.readFileSync(file, 'utf8')).code;
  const vals = new Map();
  for (const m of text.matchAll(/^\s*#define\s+([A-Z_][A-Z0-9_]*)\s+\(?(-?\d+)\)?\s*$/gm)) vals.set(m[1], m[2]);
  for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=\s*(-?\d+)\s*[,}]/g)) vals.set(m[1], m[2]);
  return vals;
}

// ------------------------------------------------------------------------------------ rules on the outline
const { splitTop, parseParam, declaredVariables, matchBracket, category } = lintModel;

/** Declarations: reserved words as names, bit-fields, typedefs, local prototypes, T(x) casts of types. */
function declarationRules({ s, m, report, isType, inImport, defined, api }) {
  const { code } = m;
  const named = (name, at) => {
    if (RESERVED.has(name)) report(at, 'reserved-name', `"${name}"`);
  };
  const params = (f) => (/^\s*(void)?\s*$/.test(f.params) ? [] : splitTop(f.params).map((p) => parseParam(p.text, f.paramsStart + p.start)).filter(Boolean));
  m.classes.forEach((c) => named(c.name, c.nameStart));
  for (const f of [...m.functions, ...m.prototypes]) {
    if (!f.destructor) named(f.name, f.nameStart);
    params(f).forEach((p) => named(p.name, p.nameStart));
  }
  for (const st of m.statements) declaredVariables(st, isType).forEach((v) => named(v.name, v.nameStart));
  for (const e of m.enums) {
    for (const k of code.slice(e.start + 1, e.end).matchAll(/(^|,)(\s*)([A-Za-z_]\w*)/g)) named(k[3], e.start + 1 + k.index + k[1].length + k[2].length);
  }
  for (const k of s.code.matchAll(/^([ \t]*#[ \t]*define[ \t]+)([A-Za-z_]\w*)/gm)) named(k[2], k.index + k[1].length);

  for (const st of m.statements) {
    if (st.scope === 'class' && (!st.opens || st.opens === 'init')) {
      const t = st.text.replace(/\b(?:public|private|protected)\s*:/g, (x) => ' '.repeat(x.length));
      if (!/[(=?]/.test(t) && /(?:^|,)\s*(?:[A-Za-z_]\w*\s+)*[A-Za-z_]\w*\s*:\s*\d+\s*(?=,|$)/.test(t.trim())) {
        report(st.start + (t.length - t.trimStart().length), 'no-bit-field', t.trim().replace(/\s+/g, ' '));
      }
    }
    if (st.scope === 'function' && !st.opens) {
      const f = /^(\s*(?:(?:static|const)\s+)*)([A-Za-z_]\w*)\s*&?\s*([A-Za-z_]\w*)\s*\(([^()]*)\)\s*(?:const\s*)?$/.exec(st.text);
      if (!f || !isType(f[2]) || CONTROL.has(f[3])) continue;
      const p = f[4].trim();
      const proto = p === '' || p === 'void' || splitTop(p).every((x) => {
        const v = parseParam(x.text, 0);
        return v && isType(v.type);
      });
      if (proto) report(st.start + f[1].length, 'no-local-function', `${f[2]} ${f[3]}(${p})`);
    }
  }
  for (const t of code.matchAll(/\btypedef\b[^;{}]*/g)) {
    if (!/^typedef\s+(?:const\s+)?[A-Za-z_]\w*\s*\(\s*\*\s*[A-Za-z_]\w*\s*\)\s*\([^()]*\)\s*$/.test(t[0].trim())) report(t.index, 'no-typedef', t[0].trim().replace(/\s+/g, ' '));
  }
  // T(x) with a project or MQL5 structure/class/enum T: constructors and base-class initialisers excepted
  const declaredAt = new Set([...m.functions, ...m.prototypes].map((f) => f.nameStart));
  const inInit = (i) => m.functions.some((f) => f.initList && i >= f.initList[0] && i < f.initList[1]);
  const types = [...defined.types, ...api.types.keys()].filter((t) => !BUILTIN_TYPES.includes(t));
  if (!types.length) return;
  for (const c of code.matchAll(new RegExp(`(?<![\\w.~:])(${types.join('|')})\\s*\\(`, 'g'))) {
    if (declaredAt.has(c.index) || inInit(c.index) || inImport(c.index)) continue;
    report(c.index, 'no-functional-cast', `${c[1]}(...): write (${c[1]})x, or no cast`);
  }
}

/** Member access on strings and arrays. */
function expressionRules({ m, scope, report }) {
  const { code } = m;
  const re = /(?<![\w.])[A-Za-z_]\w*/g;
  let k;
  while ((k = re.exec(code))) {
    const next = /^\s*([.[(])/.exec(code.slice(re.lastIndex, re.lastIndex + 40));
    if (!next || /\.\s*$/.test(code.slice(Math.max(0, k.index - 20), k.index))) continue;
    const root = k.index;
    scope.chain(code, root, 0, (t, at) => {
      if (!t || !(t.array || t.type === 'string')) return;
      const member = /^\s*([A-Za-z_]\w*)/.exec(code.slice(at + 1))[1];
      const left = code.slice(root, at).trim().replace(/\s+/g, ' ');
      report(at, 'string-array-member', `${left}.${member}: ${left} is ${t.array ? `an array (${t.type}[])` : 'a string'}`);
    });
  }
}

/** StringFormat/PrintFormat: the arguments against the conversions of a literal format. */
function formatArgRules({ s, m, scope, report, inImport, enumTypes }) {
  const { code } = m;
  for (const c of code.matchAll(/\b(StringFormat|PrintFormat)\s*\(/g)) {
    if (inImport(c.index)) continue;
    const open = c.index + c[0].length - 1;
    const close = matchBracket(code, open);
    if (close < 0) continue;
    const args = splitTop(code.slice(open + 1, close));
    if (!/^\s*"[^"]*"\s*$/.test(args[0].text)) continue;
    const lit = s.strings.find((l) => l.start === open + 1 + args[0].text.indexOf('"'));
    if (!lit) continue;
    const want = [];
    for (const f of lit.text.matchAll(/%(?:%|[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?(I64|I32|ll|l|h)?([a-zA-Z]))/g)) {
      if (f[0] === '%%') continue;
      if (f[1] === '*') want.push({ spec: '*', kind: 'int' });
      if (f[2] === '*') want.push({ spec: '.*', kind: 'int' });
      const kind = /[diouxXcC]/.test(f[4]) ? 'int' : /[eEfgG]/.test(f[4]) ? 'double' : /[sS]/.test(f[4]) ? 'string' : undefined;
      want.push({ spec: f[0], kind, wide: f[3] === 'I64' || f[3] === 'll', conv: f[4] });
    }
    const given = args.slice(1);
    if (want.length !== given.length) {
      report(c.index, 'format-args', `${c[1]}("${lit.text}") has ${want.length} conversion${want.length === 1 ? '' : 's'} and ${given.length} argument${given.length === 1 ? '' : 's'}`);
    }
    for (let k = 0; k < Math.min(want.length, given.length); k++) {
      const w = want[k];
      const a = given[k];
      const at = open + 1 + a.start + (a.text.length - a.text.trimStart().length);
      const cat = w.kind && category(scope.exprType(a.text, open + 1 + a.start), enumTypes);
      if (!cat) continue;
      const text = s.src.slice(at, at + a.text.trim().length);
      const what = { int: 'the integer', long: 'the long', double: 'the double', string: 'the string' }[cat];
      let fix;
      if (w.kind === 'int' && cat === 'long' && !w.wide && w.conv) fix = `write %I64${w.conv} for long/ulong/datetime`;
      else if (w.kind === 'int' && cat === 'double') fix = 'write %f or %g, or cast with (int)/(long)';
      else if (w.kind !== 'string' && cat === 'string') fix = 'write %s';
      else if (w.kind === 'double' && cat !== 'double' && cat !== 'string') fix = 'cast it with (double), or write %d';
      else if (w.kind === 'string' && cat !== 'string') fix = cat === 'double' ? 'write %f or %g, or convert with DoubleToString' : `write ${cat === 'long' ? '%I64d' : '%d'}, or convert with IntegerToString`;
      if (fix) report(at, 'format-args', `${w.spec} gets ${what} ${text}: ${fix}`);
    }
  }
}

/** The lines test/mql5/build.js rewrites for C++: #import blocks, input declarations, #property. */
function rewrittenLineRules({ s, m, isMq5, report, enumTypes, table, api }) {
  const lines = s.code.split('\n');
  const srcLines = s.src.split('\n');
  const starts = [];
  lines.reduce((p, l) => (starts.push(p), p + l.length + 1), 0);
  const indentOf = (i) => starts[i] + (lines[i].length - lines[i].trimStart().length);
  let open;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const imp = /^\s*#\s*import\b\s*(.*?)\s*$/.exec(line);
    if (imp) {
      if (imp[1] === '') {
        if (!open) report(indentOf(i), 'import-block', 'a lone #import closes a block, and none is open');
        open = undefined;
      } else if (!/^"[^"]+"$/.test(imp[1])) report(indentOf(i), 'import-block', `${srcLines[i].trim()}: name the library in quotes: #import "name.dll"`);
      else {
        if (open) report(indentOf(i), 'import-block', 'another #import "..." while a block is open: close the block with a lone #import first');
        open = { at: indentOf(i) };
      }
      continue;
    }
    if (!open || !line.trim()) continue;
    if (/[{}]|^\s*#/.test(line)) {
      // code again: the block was left open (one report, not one per line of the code after it)
      report(open.at, 'import-block', `#import "..." is not closed before line ${i + 1}: end the block with a lone #import line after its declarations`);
      open = undefined;
      continue;
    }
    const d = /^\s*([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*;\s*$/.exec(line);
    if (!d) {
      report(indentOf(i), 'import-block', `write each imported function on one line as "T name(params);": ${srcLines[i].trim()}`);
      continue;
    }
    if (!/^\s*(\w+)\s+(\w+)\s*\(([^)]*)\)\s*;\s*(\/\/.*)?$/.test(srcLines[i])) {
      report(indentOf(i), 'import-block', `${d[2]}: write "T name(params); // comment", no /* */ comment (test/mql5/build.js reads the line with that pattern)`);
    }
    importTypes(d, indentOf(i), report);
  }
  if (open) report(open.at, 'import-block', '#import "..." is not closed: end the block with a lone #import line');
  if (!isMq5) return;

  const enumMembers = new Map();
  const scopeAt = (pos) => (m.statements.find((st) => pos >= st.start && pos <= st.end) ?? { scope: 'top' }).scope;
  let descriptionLength = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const at = indentOf(i);
    if (/^\s*s?input\b/.test(line)) {
      if (scopeAt(at) !== 'top') {
        report(at, 'input-decl', 'an input inside a function or class: inputs are declared at file level');
        continue;
      }
      if (/^\s*s?input\s+group\b/.test(line)) {
        if (!/^\s*input\s+group\s+"[^"]*"\s*$/.test(line)) report(at, 'input-decl', `${srcLines[i].trim()}: write input group "Title" (a string literal, no semicolon)`);
        continue;
      }
      const d = /^\s*s?input\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*(?:=\s*([^;]*?))?\s*;\s*$/d.exec(line);
      if (!d) {
        report(at, 'input-decl', `${srcLines[i].trim()}: one input per line, "input T Name = value; // label"`);
        continue;
      }
      // the C++ build reads the source line with this pattern (a label in /* */ or a ";" in a string defeat it)
      if (!/^(\s*)s?input\s+([\w]+)\s+(\w+)\s*(=\s*([^;]+))?;\s*(\/\/\s*(.*))?$/.test(srcLines[i])) {
        report(at, 'input-decl', `${d[2]}: write "input T Name = value; // label" with the label as a // comment and no ";" in the value (test/mql5/build.js reads the line with that pattern)`);
      }
      const [, type, name, value] = d;
      const isEnum = enumTypes.has(type);
      if (!isEnum && (!BUILTIN_TYPES.includes(type) || type === 'void')) {
        report(at, 'input-decl', `${name} has type ${type}: an input is bool, char..ulong, float, double, string, datetime, color or an enum`);
        continue;
      }
      if (value === undefined) continue;
      if (!enumMembers.size) for (const mm of table.models) for (const e of mm.enums) if (e.name) enumMembers.set(e.name, new Set([...mm.code.slice(e.start + 1, e.end).matchAll(/(?:^|,)\s*([A-Za-z_]\w*)/g)].map((x) => x[1])));
      const problem = inputValueProblem(type, value, { isEnum, enumMembers, table, api });
      if (problem) report(at, 'input-decl', `${name} = ${srcLines[i].slice(d.indices[3][0], d.indices[3][1])}: ${problem}`);
      continue;
    }
    const p = /^(\s*#\s*property\b)(.*)$/.exec(line);
    if (!p) continue;
    const pm = /^\s+([A-Za-z_]\w*)\s*(.*?)\s*$/d.exec(p[2]);
    if (!pm) {
      report(at, 'property', 'write #property name value');
      continue;
    }
    const name = pm[1];
    const numbered = /^([a-z_]+?)([1-9]\d*)$/.exec(name);
    const kind = PROPERTIES[name] ?? (numbered ? PROPERTIES_N[numbered[1]] : undefined);
    if (!kind) {
      report(at, 'property', `#property ${name} is not an MQL5 program property${name === 'strict' ? ' (it is MQL4\'s; MQL5 is always strict): remove it' : ': see the list in the reference (copyright, link, version, description, icon, ...)'}`);
      continue;
    }
    const valueAt = starts[i] + p[1].length + pm.indices[2][0];
    let value = pm[2] ? s.src.slice(valueAt, valueAt + pm[2].length) : '';
    for (let depth = 0; depth < 5 && /^[A-Za-z_]\w*$/.test(value) && table.macros.has(value); depth++) value = table.macros.get(value).replace(/\s*\/\/[^"]*$/, '').trim();
    const problem = propertyValueProblem(name, kind, value);
    if (problem) report(at, 'property', `#property ${name} ${pm[2] ? s.src.slice(valueAt, valueAt + pm[2].length) : ''}`.trim() + `: ${problem}`);
    if (name === 'description' && /^"/.test(value)) {
      descriptionLength += (descriptionLength ? 1 : 0) + literalLength(value);
      if (descriptionLength > 511) report(at, 'property', 'the description lines add up to more than 511 characters: shorten them');
    }
  }
}

function importTypes(d, at, report) {
  const [, ret, name, paramText] = d;
  if (ret !== 'void' && !IMPORT_SCALARS.has(ret)) report(at, 'import-type', `${name} returns ${ret}: a DLL function returns void or a simple type (bool, char..ulong, float, double)`);
  const text = paramText.trim();
  if (text === '' || text === 'void') return;
  for (const raw of splitTop(text)) {
    const p = /^\s*(const\s+)?([A-Za-z_]\w*)\s*(&)?\s*([A-Za-z_]\w*)\s*(\[\s*\])?\s*(=\s*[^,]+)?$/.exec(raw.text);
    if (!p) {
      report(at, 'import-type', `${name}: parameter "${raw.text.trim()}": write "T name", "T &name" or "T &name[]" (no pointers: pass an array by reference)`);
      continue;
    }
    const [, , type, ref, pname, arr, byDefault] = p;
    if (byDefault) report(at, 'import-type', `${name}: ${pname} has a default value: the C++ build reads none; pass the value at each call`);
    if (IMPORT_SCALARS.has(type)) {
      if (arr && !ref) report(at, 'import-type', `${name}: array ${pname} is passed by reference: ${type} &${pname}[]`);
    } else if (type === 'string') {
      report(at, 'import-type', `${name}: ${arr ? 'arrays of strings cannot be passed to a DLL' : 'MQL5 passes a string as a UTF-16 pointer, and the C++ build maps no string'}: pass UTF-8 bytes, uchar &${pname}[] and its length (CbUtf8 in Bridge.mqh)`);
    } else if (['color', 'datetime'].includes(type) || /^ENUM_/.test(type)) {
      report(at, 'import-type', `${name}: ${pname} is ${type}: pass it as ${type === 'datetime' ? 'long' : 'int'} (the C++ build maps bool, char..ulong, float and double only)`);
    } else report(at, 'import-type', `${name}: ${pname} is ${type}: objects and structures cannot cross a DLL boundary; pass their fields as simple types or a uchar array`);
  }
}

/** What is wrong with `value` as the initial value of an input of `type`, or undefined. */
function inputValueProblem(type, value, { isEnum, enumMembers, table, api }) {
  const v = value.trim();
  const isString = /^"[^"]*"$/.test(v);
  const isName = /^[A-Za-z_]\w*$/.test(v);
  const isInt = /^[-+]?(?:0[xX][0-9a-fA-F]+|\d+)$/.test(v);
  const isNumber = isInt || /^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/.test(v);
  const known = isName && (table.constants.has(v) || table.macros.has(v) || api.constants.has(v));
  if (isEnum) {
    const members = enumMembers.get(type);
    if (members ? members.has(v) : isName) return undefined;
    return `an input of ${type} starts at one of its members${members ? ` (${[...members].join(', ')})` : ''}`;
  }
  const a = /^[aeiou]/.test(type) ? 'an' : 'a';
  if (type === 'string') return isString ? undefined : 'a string input takes a string literal ("...")';
  if (type === 'bool') return v === 'true' || v === 'false' ? undefined : 'a bool input takes true or false';
  if (type === 'datetime' || type === 'color') return isString ? `a ${type} input takes a number or a named constant` : undefined;
  if (isString) return `${a} ${type} input takes a number, not a string`;
  if (['float', 'double'].includes(type) ? isNumber : isInt) return undefined;
  if (known) return undefined;
  return `the value of ${a} ${type} input is a ${['float', 'double'].includes(type) ? 'number' : 'whole number'} or a named constant`;
}

/** Characters of a string literal ("..." with its escapes). */
function literalLength(literal) {
  return literal.slice(1, -1).replace(/\\./g, '.').length;
}

/** What is wrong with the (macro-resolved) value of a #property, or undefined. */
function propertyValueProblem(name, kind, value) {
  const isString = /^"(?:[^"\\]|\\.)*"$/.test(value);
  if (kind === 'none') return value ? 'this property takes no value' : undefined;
  if (!value) return `needs a ${kind} value`;
  if (kind === 'string') {
    if (!isString) return 'needs a string literal ("...") or a #define of one';
    if (name === 'version' && literalLength(value) > 31) return 'a version has at most 31 characters';
    return undefined;
  }
  if (isString) return `needs ${kind === 'color' ? 'a color (clrName, C\'r,g,b\' or a number)' : `a number (${kind})`}, not a string`;
  if (kind === 'int' && !/^[-+]?\d+$|^[A-Za-z_]\w*$/.test(value)) return 'needs a whole number or a named constant';
  if (kind === 'double' && !/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[A-Za-z_]\w*$/.test(value)) return 'needs a number or a named constant';
  return undefined;
}

// ------------------------------------------------------------------------------------ lint
function lintFiles(files, opts = {}) {
  const api = opts.api ?? loadApi();
  const problems = [];
  const sources = files.map((f) => {
    const src = fs.readFileSync(f, 'utf8');
    return { file: f, rel: path.relative(ROOT, f), src, ...scan(src) };
  });

  // ---- what the project defines (in the files linted and in the project headers they include)
  const defined = { functions: new Set(), methods: new Set(), constants: new Set(), types: new Set(), inputs: new Set(), macros: new Set() };
  const seen = new Set(sources.map((s) => s.file));
  const defSources = [...sources];
  for (let k = 0; k < defSources.length; k++) {
    for (const m of defSources[k].src.matchAll(/^\s*#include\s+[<"]([^>"]+)[>"]/gm)) {
      const name = m[1].replace(/\\/g, '/');
      const candidates = [path.resolve(path.dirname(defSources[k].file), name), path.join(ROOT, 'include', name), path.join(ROOT, 'include', 'CopyBridge', path.basename(name))];
      const found = candidates.find((c) => fs.existsSync(c));
      if (!found || seen.has(found)) continue;
      seen.add(found);
      const src = fs.readFileSync(found, 'utf8');
      defSources.push({ file: found, src, ...scan(src) });
    }
  }
  for (const s of defSources) {
    const { code } = s;
    for (const m of code.matchAll(/^\s*#define\s+([A-Za-z_]\w*)(\()?/gm)) (m[2] ? defined.macros : defined.constants).add(m[1]);
    const st = structure(code);
    st.classNames.forEach((n) => defined.types.add(n));
    for (const m of code.matchAll(/\benum\s+([A-Za-z_]\w*)/g)) defined.types.add(m[1]);
    for (const body of st.enumBodies) for (const m of body.matchAll(/(?:^|,)\s*([A-Za-z_]\w*)/g)) defined.constants.add(m[1]);
    for (const seg of st.classStatements) for (const m of seg.text.matchAll(/~?([A-Za-z_]\w*)\s*\(/g)) defined.methods.add(m[1]);
    for (const seg of st.topStatements) {
      const t = seg.text.replace(/^\s*#.*$/gm, '');
      const m = /([A-Za-z_]\w*)\s*\(/.exec(t);
      if (m && /^\s*(static\s+|const\s+)*[A-Za-z_]\w*\s*&?\s*$/.test(t.slice(0, m.index)) && !/=/.test(t.slice(0, m.index))) defined.functions.add(m[1]);
    }
    for (const m of s.src.matchAll(/^\s*s?input\s+\w+\s+(\w+)/gm)) defined.inputs.add(m[1]);
    // #import blocks: the functions they declare
    for (const blk of s.src.matchAll(/^\s*#import\s+"[^"]+"\s*$([\s\S]*?)^\s*#import\s*$/gm)) {
      for (const m of blk[1].matchAll(/^\s*\w+\s+(\w+)\s*\(/gm)) defined.functions.add(m[1]);
    }
  }
  const typeNames = new Set([...BUILTIN_TYPES, ...defined.types, ...api.types.keys()]);
  const isStructType = (t) => (defined.types.has(t) && !/^ENUM_/.test(t)) || /^Mql[A-Z]/.test(t);
  const classLike = new Set([...defined.types, ...api.types.keys()].filter((t) => isStructType(t)));
  const isType = (t) => typeNames.has(t);
  const enumTypes = new Set([...api.types.keys()].filter((t) => /^ENUM_/.test(t)));
  const table = lintModel.createTypeTable({ isType, enumTypes, api });
  const models = new Map();
  for (const s of defSources) {
    const m = lintModel.outline(s.code);
    models.set(s.file, m);
    m.enums.forEach((e) => e.name && enumTypes.add(e.name));
    table.add(m);
  }

  for (const s of sources) {
    const { src, code, rel } = s;
    const isMq5 = rel.endsWith('.mq5');
    const isCompat = path.basename(rel) === 'Compat.mqh';
    const report = (index, rule, extra) => {
      const { line, col } = lineCol(src, index);
      problems.push({ file: rel, line, col, rule, message: RULES[rule] + (extra ? `: ${extra}` : '') });
    };
    // the #import block keeps MQL5's own syntax: exclude it from the C++-subset rules
    const importRanges = [...src.matchAll(/^\s*#import\s+"[^"]+"\s*$[\s\S]*?^\s*#import\s*$/gm)].map((m) => [m.index, m.index + m[0].length]);
    const inImport = (i) => importRanges.some(([a, b]) => i >= a && i < b);
    const each = (re, rule, extra, filter) => {
      for (const m of code.matchAll(re)) {
        if (inImport(m.index)) continue;
        if (filter && !filter(m)) continue;
        report(m.index + (m[0].length - m[0].trimStart().length), rule, typeof extra === 'function' ? extra(m) : extra);
      }
    };

    // ---- tokens C++ has and MQL5 does not
    each(/\bauto\b/g, 'no-auto');
    each(/\bnullptr\b/g, 'no-nullptr');
    each(/\bstd\s*::/g, 'no-std');
    each(/\b(namespace|using)\b/g, 'no-namespace');
    each(/(?:[=(,]|\breturn)\s*\[[^\][]*\]\s*(?:\([^)]*\)\s*)?(?:mutable\s*)?(?:->\s*\w+\s*)?\{/g, 'no-lambda');
    each(/->/g, 'no-arrow');
    each(/\b(unsigned|signed)\b/g, 'no-unsigned');
    each(/\b(long\s+long|long\s+int|short\s+int|long\s+double)\b/g, 'no-long-long');
    each(new RegExp(`\\b(${CPP_KEYWORDS.join('|')})\\b`, 'g'), 'no-cpp-keyword', (m) => m[1]);
    each(new RegExp(`\\b(${CPP_TYPES.join('|')})\\b`, 'g'), 'no-cpp-type', (m) => m[1]);
    each(/\b(new|delete|this)\b/g, 'no-pointers', (m) => m[1]);
    each(new RegExp(`(?:^|[;{}(,])\\s*(?:const\\s+)?(?:${[...typeNames].join('|')})\\s*\\*\\s*[A-Za-z_]`, 'gm'), 'no-pointers', 'pointer declaration');
    each(/\btemplate\s*</g, 'no-template');
    each(/\boperator\s*(?:[^\w\s]|\w+\s*\()/g, 'no-operator-overload');
    each(/\.\.\./g, 'no-variadic');
    each(/\b(?:if|while|switch)\s*\(\s*(?:const\s+)?(?:int|uint|long|ulong|double|bool|string|short|ushort|char|uchar|datetime)\s+\w+\s*=/g, 'no-decl-in-condition');
    each(/\bfor\s*\([^;()]*[^:]:[^:][^;()]*\)/g, 'no-range-for');
    each(/\benum\s+(?:class|struct)\b|\benum\s+\w+\s*:\s*\w+/g, 'no-enum-class');
    each(/=\s*(default|delete)\s*;/g, 'no-default-delete');
    each(/\bclass\s+\w+\s*:\s*(?:public|private|protected)?\s*\w+\s*,/g, 'no-multiple-inheritance');
    each(new RegExp(`(?<![\\w.])(?:${BUILTIN_TYPES.filter((t) => t !== 'void').join('|')})\\s*\\((?!\\s*void\\s*\\))`, 'g'), 'no-functional-cast', undefined, (m) => {
      // "int (" after a type word in a declaration like "int Foo(" is fine: only a type word alone is a cast
      // (and "typedef int (*TFunc)(int)" declares a function pointer type)
      const before = code.slice(Math.max(0, m.index - 40), m.index);
      return !/\b(?:operator|typedef(?:\s+const)?)\s*$/.test(before);
    });
    each(/\b(main)\s*\(/g, 'no-main', undefined, (m) => /\b(?:int|void)\s+$/.test(code.slice(Math.max(0, m.index - 10), m.index)));
    each(/\b(?:const\s+)?(?!class\b|struct\b|enum\b|union\b|return\b|else\b|do\b)[A-Za-z_]\w*\s+[A-Za-z_]\w*\s*\{[^{}]*\}\s*;/g, 'no-brace-init', undefined, (m) => !/\)\s*(const\s*)?\{/.test(m[0]));
    // reference variables and functions returning references
    each(new RegExp(`(?:^|[;{}])\\s*(?:static\\s+|const\\s+)*(?:${[...typeNames].join('|')})\\s*&\\s*[A-Za-z_]\\w*\\s*(?:=|;)`, 'gm'), 'no-reference-variable');
    each(new RegExp(`(?:^|[;{}:])\\s*(?:static\\s+|virtual\\s+|const\\s+)*(?:${[...typeNames].join('|')})\\s*&\\s*[A-Za-z_]\\w*\\s*\\(`, 'gm'), 'no-return-reference');
    // dynamic arrays in MQL5 spelling (outside Compat.mqh and the #import block)
    if (!isCompat) {
      each(/\b[A-Za-z_]\w*\s+&?\s*[A-Za-z_]\w*\s*\[\s*\]/g, 'dynamic-array');
      each(/&\s*[A-Za-z_]\w*\s*\[\s*\]/g, 'dynamic-array');
    }
    // numbers
    each(/(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:[uU][lL]{0,2}|[lL]{1,2}[uU]?|[fF])(?!\w)/g, 'number-suffix');
    each(/(?<![\w.])0[bB][01]+\b|(?<![\w.])\d+'\d+|(?<![\w.])0[0-7]+\b/g, 'number-suffix');

    // ---- preprocessor
    for (const m of src.matchAll(/^[ \t]*#[ \t]*(\w+)(.*)$/gm)) {
      const [, dir, rest] = m;
      if (!ALLOWED_DIRECTIVES.has(dir)) report(m.index, 'preprocessor', `#${dir}`);
      if (dir === 'define') {
        const body = scan(rest).code;
        if (/(^|[^#])#{1,2}(?!#)/.test(body.replace(/^\s*\w+(\([^)]*\))?/, ''))) report(m.index, 'no-token-paste');
        const params = /^\s*\w+\(([^)]*)\)/.exec(rest);
        if (params && params[1].split(',').length > 8) report(m.index, 'macro-params');
      }
      if (/\\\s*$/.test(m[0])) report(m.index, 'no-line-continuation');
      if (dir === 'include' && !/^\s*[<"][\w/.\\-]+\.mqh[>"]/.test(rest)) report(m.index, 'include-mqh', rest.trim());
      if ((dir === 'property' || dir === 'import') && !isMq5) report(m.index, 'mq5-only', `#${dir}`);
    }
    if (!isMq5) for (const m of code.matchAll(/^\s*s?input\s+\w/gm)) report(m.index, 'mq5-only', 'input');

    // ---- literals
    for (let k = 0; k < s.strings.length; k++) {
      const lit = s.strings[k];
      if (inImport(lit.start)) continue;
      for (const e of lit.text.matchAll(/\\(.)/g)) if (!/[\\"'nrt]/.test(e[1])) report(lit.start, 'string-escape', `\\${e[1]}`);
      const next = s.strings[k + 1];
      if (next && /^\s*$/.test(code.slice(lit.end, next.start))) report(next.start, 'literal-concat');
      // only a literal that starts a + chain is a problem: ("x" + s) + "y" is a string sum in both
      const startsChain = !/\+\s*$/.test(code.slice(Math.max(0, lit.start - 20), lit.start));
      if (startsChain && next && /^\s*\+\s*$/.test(code.slice(lit.end, next.start))) report(lit.start, 'literal-plus', 'literal + literal');
      if (startsChain && /^\s*\+\s*(?:\d|'|\.\d)/.test(code.slice(lit.end, lit.end + 12))) report(lit.start, 'literal-plus', 'literal + number');
      if (/(?:\d|')\s*\+\s*$/.test(code.slice(Math.max(0, lit.start - 12), lit.start)) && !/\w\s*\+\s*$/.test(code.slice(Math.max(0, lit.start - 3), lit.start).replace(/\d/g, 'x')))
        report(lit.start, 'literal-plus', 'number + literal');
    }
    for (const lit of s.chars) {
      const t = lit.text;
      if (!(t.length === 1 || (t.length === 2 && t[0] === '\\'))) report(lit.start, 'char-literal', `'${t}'`);
      if (t.length === 2 && t[0] === '\\' && !/[\\"'nrt]/.test(t[1])) report(lit.start, 'string-escape', `'${t}'`);
    }
    for (const m of src.matchAll(/[^\x00-\x7f]/g)) {
      const inCode = code[m.index] !== ' ' || s.strings.some((l) => m.index > l.start && m.index < l.end);
      if (inCode) report(m.index, 'non-ascii', JSON.stringify(m[0]));
    }
    // format strings of StringFormat / PrintFormat
    for (const m of code.matchAll(/\b(StringFormat|PrintFormat)\s*\(\s*"/g)) {
      const lit = s.strings.find((l) => l.start === m.index + m[0].length - 1);
      if (!lit) continue;
      for (const f of lit.text.matchAll(/%(?!%)[-+ #0]*\d*(?:\.\d+)?((?:I64|I32|hh|h|ll|l|L|z|j|t|q)?)([a-zA-Z])/g)) {
        if (!/^(I64|I32|h|l)?$/.test(f[1]) || !/^[diuoxXeEfgGcCsS]$/.test(f[2])) report(lit.start, 'format-spec', `%${f[1]}${f[2]}`);
      }
    }

    // ---- class bodies: member initialisers
    const st = structure(code);
    for (const seg of st.classStatements) {
      if (seg.opens && seg.opens !== 'init') continue;
      const t = seg.text.replace(/^\s*(public|private|protected)\s*:/gm, '').replace(/^\s*#.*$/gm, '');
      if (!t.trim()) continue;
      if (/\(/.test(t)) {
        // a method declaration; "= 0" (pure virtual) is MQL5 too
        if (/\)\s*(const\s*)?=\s*(?!0\s*$)/.test(t)) report(seg.start + (t.length - t.trimStart().length), 'no-member-init', t.trim().slice(0, 60));
        continue;
      }
      if (/=/.test(t) || seg.opens === 'init') report(seg.start + (t.length - t.trimStart().length), 'no-member-init', t.trim().slice(0, 60));
    }

    // ---- inside a class, methods are defined (or declared) before they are called
    for (const cls of classMethods(code)) {
      const first = new Map();
      cls.members.forEach((mm, idx) => { if (!first.has(mm.name)) first.set(mm.name, idx); });
      cls.members.forEach((mm, idx) => {
        if (mm.bodyStart === undefined) return;
        const body = code.slice(mm.bodyStart, mm.bodyEnd);
        for (const c of body.matchAll(/(?<![.\w~])([A-Za-z_]\w*)\s*\(/g)) {
          const at = first.get(c[1]);
          if (at !== undefined && at > idx) report(mm.bodyStart + c.index, 'define-before-use', `${cls.name}::${c[1]} called in ${mm.name}`);
        }
      });
    }

    // ---- parameters: objects by reference
    for (const m of code.matchAll(/\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*(?:const\s*)?(?:\{|;|:)/g)) {
      if (CONTROL.has(m[1]) || inImport(m.index)) continue;
      for (const p of m[2].split(',')) {
        const pm = /^\s*(?:const\s+)?([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*(?:=.*)?$/.exec(p);
        if (pm && classLike.has(pm[1])) report(m.index + m[0].indexOf(p), 'no-object-by-value', `${pm[1]} ${pm[2]}`);
      }
    }

    // ---- inputs are constants
    for (const name of defined.inputs) {
      each(new RegExp(`\\b${name}\\s*(?:[-+*/%&|^]?=(?!=)|\\+\\+|--)|(?:\\+\\+|--)\\s*${name}\\b`, 'g'), 'input-assign', name, (mm) => {
        const lineStart = code.lastIndexOf('\n', mm.index) + 1;
        return !/^\s*s?input\b/.test(src.slice(lineStart, mm.index + 1));
      });
    }

    // ---- every call, constant and MQL5 type is known
    for (const m of code.matchAll(/(\.\s*)?(~?)\b([A-Za-z_]\w*)\s*\(/g)) {
      if (inImport(m.index)) continue;
      const name = m[3];
      const lineStart = code.lastIndexOf('\n', m.index) + 1;
      if (/^\s*#\s*(define|ifdef|ifndef|include|property|import)\b/.test(code.slice(lineStart, m.index))) continue;
      if (m[1]) {
        if (!defined.methods.has(name)) report(m.index, 'undocumented-method', name);
        continue;
      }
      if (CONTROL.has(name) || MQL_KEYWORDS.has(name) || m[2]) continue;
      const before = code.slice(Math.max(0, m.index - 80), m.index);
      if (/::\s*$/.test(before)) continue;
      // a declaration or definition: "Type Name(" / "Type &Name(" / "CFoo obj(args)"
      const prev = /([A-Za-z_]\w*)\s*&?\s*$/.exec(before);
      if (prev && (typeNames.has(prev[1]) || prev[1] === 'void')) continue;
      if (defined.functions.has(name) || defined.methods.has(name) || defined.macros.has(name) || defined.types.has(name)) continue;
      if (api.functions.has(name) || api.types.has(name)) continue;
      report(m.index, 'undocumented-function', name);
    }
    for (const m of code.matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]*|__[A-Z]+__)\b/g)) {
      if (inImport(m.index)) continue;
      const name = m[1];
      const lineStart = code.lastIndexOf('\n', m.index) + 1;
      const lineText = code.slice(lineStart, code.indexOf('\n', m.index) < 0 ? code.length : code.indexOf('\n', m.index));
      if (/^\s*#\s*(ifdef|ifndef)\b/.test(lineText)) continue; // __MQL5__ and include guards
      if (/^ENUM_/.test(name)) {
        if (!defined.types.has(name) && !api.types.has(name)) report(m.index, 'undocumented-type', name);
        continue;
      }
      if (defined.constants.has(name) || defined.macros.has(name) || defined.types.has(name) || api.constants.has(name)) continue;
      report(m.index, 'undocumented-constant', name);
    }
    for (const m of code.matchAll(/\b(Mql[A-Z]\w*)\b/g)) {
      if (!api.types.has(m[1]) && !api.functions.has(m[1]) && !defined.types.has(m[1]) && !defined.functions.has(m[1])) report(m.index, 'undocumented-type', m[1]);
    }

    const ctx = { s, isMq5, report, inImport, isType, enumTypes, table, defined, api, m: models.get(s.file) };
    ctx.scope = lintModel.createScope(ctx.m, table);
    declarationRules(ctx);
    expressionRules(ctx);
    formatArgRules(ctx);
    rewrittenLineRules(ctx);
  }

  // ---- the stand-in agrees with the reference
  if (opts.checkStandin !== false) {
    const vals = standinValues(opts.standin);
    for (const [name, e] of api.constants) {
      if (e.value === undefined || !vals.has(name)) continue;
      if (String(Number(vals.get(name))) !== String(Number(e.value))) {
        problems.push({ file: path.relative(ROOT, opts.standin ?? STANDIN), line: 1, col: 1, rule: 'standin-value', message: `${RULES['standin-value']}: ${name} is ${vals.get(name)}, the reference says ${e.value}` });
      }
    }
  }
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  return problems;
}

module.exports = { lintFiles, loadApi, standinValues, scan, RULES, DEFAULT_FILES };

if (require.main === module) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const files = args.filter((a) => !a.startsWith('--'));
  const list = files.length ? files.map((f) => path.resolve(f)) : DEFAULT_FILES();
  const problems = lintFiles(list);
  if (json) process.stdout.write(JSON.stringify(problems, null, 2) + '\n');
  else for (const p of problems) process.stdout.write(`${p.file}:${p.line}:${p.col}: ${p.rule}: ${p.message}\n`);
  process.stderr.write(`mql5-lint: ${list.length} files, ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  process.exitCode = problems.length ? 1 : 0;
}
