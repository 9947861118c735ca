/**
 * mql5-lint (test/mql5/lint.js): the EA is clean, and every rule fires on code that C++ accepts
 * but MetaEditor rejects (or that means something else in the two languages).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { tempDir } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script (also run on its own), not a module
const lint = require('./lint.js') as {
  lintFiles(files: string[], opts?: { checkStandin?: boolean; standin?: string }): { file: string; line: number; rule: string; message: string }[];
  loadApi(): { functions: Map<string, unknown>; constants: Map<string, { value?: string }>; types: Map<string, unknown> };
  standinValues(file?: string): Map<string, string>;
  RULES: Record<string, string>;
  DEFAULT_FILES(): string[];
};

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script, also a plain Node script
const build = require('./build.js') as { rewrite(source: string, file: string): unknown };

const dir = tempDir('mql5-lint-');
let n = 0;
function lintSnippet(code: string, ext = '.mqh') {
  const file = join(dir, `case${n++}${ext}`);
  writeFileSync(file, code);
  return lint.lintFiles([file], { checkStandin: false });
}
const rulesOf = (code: string, ext?: string) => [...new Set(lintSnippet(code, ext).map((p) => p.rule))];

describe('mql5-lint', () => {
  test('the EA (CopyBridge.mq5 and include/CopyBridge/*.mqh) passes', () => {
    const problems = lint.lintFiles(lint.DEFAULT_FILES());
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.rule}: ${p.message}`)).toEqual([]);
  });

  test('a clean MQL5-style snippet passes', () => {
    const code = `
#include "Compat.mqh"
class CThing
  {
private:
   int               m_count;
   CB_ARRAY(string,  m_names);
public:
                     CThing(void) : m_count(0) {}
   int               Count(void) const { return(m_count); }
   void              Add(const string name)
     {
      ArrayResize(m_names,m_count+1);
      m_names[m_count]=name;
      m_count++;
      Print("added ",name," (",IntegerToString(m_count),")");
     }
  };
void UseThing(CThing &thing,MqlTick &tick) { thing.Add("x"+DoubleToString(tick.bid,5)); }
`;
    expect(lintSnippet(code)).toEqual([]);
  });

  // [rule, code, file extension (default .mqh)]
  const cases: [string, string, string?][] = [
    ['no-auto', 'void F(void) { auto x=1; }'],
    ['no-nullptr', 'void F(void) { string s=nullptr; }'],
    ['no-std', 'void F(void) { std::string s; }'],
    ['no-namespace', 'namespace cb { int x; }'],
    ['no-lambda', 'void F(void) { int f=[](int a){ return(a); }; }'],
    ['no-arrow', 'void F(CThing &t) { t->Run(); }'],
    ['no-unsigned', 'unsigned int g_x;'],
    ['no-long-long', 'long long g_x;'],
    ['no-cpp-keyword', 'inline int F(void) { return(1); }'],
    ['no-cpp-keyword', 'void F(void) { try { Print("x"); } catch(...) {} }'],
    ['no-cpp-keyword', 'constexpr int g_x=1;'],
    ['no-cpp-keyword', 'void F(void) { int x=static_cast<int>(1.5); }'],
    ['no-cpp-type', 'size_t g_n;'],
    ['no-pointers', 'class CA { public: void F(void) { CA *p=new CA(); delete p; } };'],
    ['no-pointers', 'class CA { int m_x; public: int X(void) { return(this.m_x); } };'],
    ['no-member-init', 'class CA { private: int m_x=0; public: CA(void) {} };'],
    ['no-member-init', 'struct SA { double price=1.0; };'],
    ['no-member-init', 'class CA { int m_x{0}; };'],
    ['no-object-by-value', 'class CA { public: int m_x; CA(void) : m_x(0) {} }; void F(CA a) { Print("x"); }'],
    ['no-object-by-value', 'void F(const MqlTradeRequest request) { Print(request.symbol); }'],
    ['no-return-reference', 'class CA { int m_x; public: int &X(void) { return(m_x); } };'],
    ['no-reference-variable', 'void F(int a) { int &r=a; r++; }'],
    ['no-brace-init', 'void F(void) { int x{5}; Print(IntegerToString(x)); }'],
    ['no-range-for', 'void F(void) { int a[3]; for(int x : a) Print(IntegerToString(x)); }'],
    ['no-enum-class', 'enum class ECol { RED };'],
    ['no-enum-class', 'enum ECol : int { RED };'],
    ['no-default-delete', 'class CA { public: CA(void) = default; };'],
    ['no-multiple-inheritance', 'class CA {}; class CB {}; class CC : public CA, public CB {};'],
    ['no-functional-cast', 'void F(double d) { int x=int(d); Print(IntegerToString(x)); }'],
    ['no-template', 'template<typename T> T Twice(T a) { return(a+a); }'],
    ['no-operator-overload', 'class CA { public: bool operator==(const CA &o) const { return(true); } };'],
    ['no-variadic', 'void F(int a, ...) { }'],
    ['no-decl-in-condition', 'void F(void) { if(int x=GetLastError()) Print(IntegerToString(x)); }'],
    ['preprocessor', '#if 1\nint g_x;\n#endif'],
    ['preprocessor', '#pragma once'],
    ['no-token-paste', '#define CAT(a,b) a##b'],
    ['no-line-continuation', '#define LONG_MACRO 1 + \\\n 2'],
    ['include-mqh', '#include <vector>'],
    ['mq5-only', '#property version "1.00"'],
    ['mq5-only', 'input int InpX = 1;'],
    ['mq5-only', '#import "x.dll"\nint f(void);\n#import'],
    ['dynamic-array', 'double g_prices[];'],
    ['dynamic-array', 'void F(uchar &buf[]) { }'],
    ['literal-concat', 'string g_s="a" "b";'],
    ['literal-plus', 'void F(void) { string s="count: "+5; Print(s); }'],
    ['literal-plus', 'void F(void) { string s="a"+"b"; Print(s); }'],
    ['string-escape', 'string g_s="\\x41";'],
    ['string-escape', 'string g_s="\\u00e9";'],
    ['non-ascii', 'string g_s="café";'],
    ['number-suffix', 'ulong g_x=10ULL;'],
    ['number-suffix', 'double g_x=1.5f;'],
    ['number-suffix', 'int g_x=0b101;'],
    ['number-suffix', "int g_x=1'000;"],
    ['number-suffix', 'int g_x=017;'],
    ['format-spec', 'void F(long v) { Print(StringFormat("%lld",v)); }'],
    ['format-spec', 'void F(long v) { Print(StringFormat("%zu",v)); }'],
    ['char-literal', "ushort g_c='ab';"],
    ['no-main', 'int main(void) { return(0); }'],
    ['macro-params', '#define M9(a,b,c,d,e,f,g,h,i) (a)'],
    ['undocumented-function', 'void F(void) { strlen("x"); }'],
    ['undocumented-function', 'void F(void) { OrderSendAsync2(); }'],
    ['undocumented-method', 'void F(string s) { int n=s.length(); Print(IntegerToString(n)); }'],
    ['undocumented-constant', 'int g_x=TRADE_RETCODE_MADE_UP;'],
    ['undocumented-type', 'void F(MqlRates &r) { }'],
    ['undocumented-type', 'ENUM_MADE_UP g_x;'],
    ['define-before-use', 'class CA { public: void A(void) { B(); } void B(void) { Print("b"); } };'],
    ['string-array-member', 'void F(const string s) { int n=s.length(); Print(IntegerToString(n)); }'],
    ['string-array-member', '#include "Compat.mqh"\nvoid F(void) { CB_ARRAY(int,a); ArrayResize(a,1); Print(IntegerToString(a.Size())); }'],
    ['string-array-member', 'class CA { public: string m_name; }; void F(CA &a) { int n=a.m_name.size(); Print(IntegerToString(n)); }'],
    ['string-array-member', '#include "Compat.mqh"\nclass CA { CB_ARRAY(string,m_names); public: int Len(void) { return(m_names[0].len); } };'],
    ['string-array-member', 'class CBase { public: string m_text; }; class CD : public CBase { public: int Len(void) { return(m_text.len); } };'],
    ['no-bit-field', 'struct SFlags { uint flags:3; int y; };'],
    ['no-bit-field', 'class CA { private: uchar m_a : 1, m_b : 2; };'],
    ['no-typedef', 'typedef int TCount;'],
    ['no-typedef', 'typedef struct SA { int x; } TA;'],
    ['no-functional-cast', 'enum ENUM_CB_X { CB_X_A=0 }; ENUM_CB_X CbX(const int v) { return(ENUM_CB_X(v)); }'],
    ['no-functional-cast', 'struct CbPair { int a; }; void F(void) { CbPair p=CbPair(); Print(IntegerToString(p.a)); }'],
    ['no-functional-cast', 'void F(const int v) { ENUM_ORDER_TYPE t=ENUM_ORDER_TYPE(v); Print(EnumToString(t)); }'],
    ['reserved-name', 'void F(const int input) { Print(IntegerToString(input)); }'],
    ['reserved-name', 'class CA { int m_x; public: int override(void) { return(m_x); } };'],
    ['reserved-name', 'string group="x";'],
    ['reserved-name', 'enum ENUM_CB_KIND { interface=1 };'],
    ['reserved-name', 'void F(void) { double vector=1.0; Print(DoubleToString(vector)); }'],
    ['no-local-function', 'void F(void) { int Twice(int a); Print("x"); }'],
    ['no-local-function', 'class CA { public: int m_x; }; void F(void) { CA obj(); Print("x"); }'],
    ['format-args', 'void F(const double price) { PrintFormat("%d",price); }'],
    ['format-args', 'void F(const long ticket) { Print(StringFormat("#%d",ticket)); }'],
    ['format-args', 'void F(const int n) { Print(StringFormat("%s",n)); }'],
    ['format-args', 'void F(const int n) { Print(StringFormat("%d of %d",n)); }'],
    ['format-args', 'void F(const int n) { PrintFormat("%.2f",n*2); }'],
    ['format-args', 'class CA { public: string m_name; }; void F(CA &a) { PrintFormat("%d",a.m_name); }'],
    ['format-args', 'class CA { public: double Price(void) const { return(1.0); } }; void F(CA &a) { Print(StringFormat("%d",a.Price())); }'],
    ['format-args', 'void F(const int n) { Print(StringFormat("%I64d%%",n<0 ? 0.5 : 1.5)); }'],
    ['import-block', '#import "x.dll"\nint x_open(int a);\n', '.mq5'],
    ['import-block', '#import "x.dll"\nint x_open(int a,\n           int b);\n#import\n', '.mq5'],
    ['import-block', '#import\n', '.mq5'],
    ['import-block', '#import "x.dll"\nint x_open(int a);\n#import "y.dll"\nint y_open(int a);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_name(string name);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_fill(uchar buf[], int n);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_tick(MqlTick &tick);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_peek(int *p);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_wait(int ms = 10);\n#import\n', '.mq5'],
    ['import-block', '#import "x.dll"\nint x_open(int a); /* opens */\n#import\n', '.mq5'],
    ['input-decl', 'input int InpPort = "5555"; // Port', '.mq5'],
    ['input-decl', 'input int InpA = 1, InpB = 2;', '.mq5'],
    ['input-decl', 'void F(void)\n  {\n   input int InpX = 1;\n  }\n', '.mq5'],
    ['input-decl', 'input group Connection', '.mq5'],
    ['input-decl', 'input string InpHost = "a"; /* Host */', '.mq5'],
    ['input-decl', 'input string InpSep = ";"; // separator', '.mq5'],
    ['input-decl', 'input MqlTick InpTick;', '.mq5'],
    ['input-decl', 'enum ENUM_CB_MODE { CB_MODE_A=0 };\ninput ENUM_CB_MODE InpMode = 3; // Mode', '.mq5'],
    ['input-decl', 'input bool InpOn = 1; // On', '.mq5'],
    ['property', '#property strict', '.mq5'],
    ['property', '#property version 1.5', '.mq5'],
    ['property', '#property indicator_chart_window 1', '.mq5'],
    ['property', '#property stacksize "big"', '.mq5'],
    ['property', `#property version "${'1.'.repeat(16)}0"`, '.mq5'],
  ];
  // rest parameters: a callback with more parameters than the row has would get jest's done callback
  test.each(cases)('rule %s fires on: %s', (...[rule, code, ext]: [string, string, string?]) => {
    expect(rulesOf(code, ext)).toContain(rule);
  });

  // [rule, code, file extension]: what the rule lets through, with no other finding either
  const passing: [string, string, string?][] = [
    ['string-array-member', 'struct SA { string name; }; void F(const string s) { SA a[2]; a[0].name=s; Print(IntegerToString(StringLen(a[0].name))); }'],
    ['string-array-member', 'class CA { public: string m_name; int Len(void) const { return(StringLen(m_name)); } }; void F(CA &a) { Print(IntegerToString(a.Len())); }'],
    ['no-bit-field', 'struct SFlags { uint flags; int y; };'],
    ['no-typedef', 'typedef int (*TCbHandler)(int code);'],
    ['no-functional-cast', 'enum ENUM_CB_X { CB_X_A=0 }; ENUM_CB_X CbX(const int v) { return((ENUM_CB_X)v); }'],
    ['no-functional-cast', 'class CA { public: CA(void) {} }; class CB2 : public CA { public: CB2(void) : CA() {} ~CB2(void) {} };'],
    ['reserved-name', 'void F(const int inputs) { int groups=inputs; Print(IntegerToString(groups)); }'],
    ['no-local-function', 'class CA { public: int m_x; CA(const int x) : m_x(x) {} }; int G(const int a); void F(void) { CA obj(5); Print(IntegerToString(G(obj.m_x))); }'],
    ['format-args', 'void F(const long l,const double d,const string s,const int i) { Print(StringFormat("%I64d %.2f %s %d %5.1f %%",l,d,s,i,d*2)); Print(StringFormat("%04x %g",i&0xFFFF,(double)i)); }'],
    ['import-block', '#import "x.dll"\nint x_open(uchar &name[], int len); // opens\nlong x_count(void);\n#import\n', '.mq5'],
    ['import-type', '#import "x.dll"\nint x_read(long handle, uchar &buf[], int cap, int &needed);\nvoid x_close(long handle);\n#import\n', '.mq5'],
    [
      'input-decl',
      'enum ENUM_CB_MODE { CB_MODE_A=0, CB_MODE_B=1 };\ninput group "Connection"\ninput string InpHost = "127.0.0.1"; // Host\ninput int    InpPort = 5555;        // Port\n' +
        'input ENUM_CB_MODE InpMode = CB_MODE_B; // Mode\ninput bool InpOn = true;\ninput double InpLots = 0.1; // Lots\nsinput long InpMagic = -1;\n',
      '.mq5',
    ],
    ['property', '#define CB_V "1.00"\n#property copyright "x"\n#property version CB_V\n#property description "a"\n#property description "b"\n#property stacksize 1048576', '.mq5'],
  ];
  test.each(passing)('rule %s lets through: %s', (...[, code, ext]: [string, string, string?]) => {
    expect(lintSnippet(code, ext).map((p) => `${p.line}: ${p.rule}: ${p.message}`)).toEqual([]);
  });

  test('what build.js cannot rewrite for C++, the lint reports; the .mq5 samples it lets through, build.js rewrites', () => {
    const unreadable = [
      '#import "x.dll"\nint x_open(int a);\n',
      '#import "x.dll"\nint x_open(int a,\n           int b);\n#import\n',
      '#import "x.dll"\nint x_name(string name);\n#import\n',
      '#import "x.dll"\nint x_fill(uchar buf[], int n);\n#import\n',
      '#import "x.dll"\nint x_wait(int ms = 10);\n#import\n',
      '#import "x.dll"\ndatetime x_time(void);\n#import\n',
      'input string InpSep = ";"; // separator\n',
      'input string InpHost = "a"; /* Host */\n',
    ];
    for (const src of unreadable) {
      expect(() => build.rewrite(src, 'x.mq5')).toThrow();
      expect(rulesOf(src, '.mq5').filter((r) => ['import-block', 'import-type', 'input-decl'].includes(r))).not.toEqual([]);
    }
    const mq5 = passing.filter((c) => c[2] === '.mq5');
    expect(mq5.length).toBeGreaterThan(3);
    for (const [, code] of mq5) expect(() => build.rewrite(code, 'x.mq5')).not.toThrow();
  });

  test('a message names the file, the line and what to write instead', () => {
    const [p] = lintSnippet('void F(const long ticket) {\n   Print(StringFormat("#%d",ticket));\n}\n');
    expect(p).toMatchObject({ line: 2, rule: 'format-args' });
    expect(p.file).toMatch(/case\d+\.mqh$/);
    expect(p.message).toMatch(/%d gets the long ticket: write %I64d/);
  });

  test('inputs are read-only', () => {
    const file = join(dir, 'Inputs.mq5');
    writeFileSync(file, 'input int InpPeriod = 20; // Timer period\nvoid OnTimer(void) { InpPeriod=5; }\n');
    expect(lint.lintFiles([file], { checkStandin: false }).map((p) => p.rule)).toContain('input-assign');
  });

  test('every rule is covered by a case above', () => {
    const covered = new Set([...cases.map((c) => c[0]), 'input-assign', 'standin-value']);
    expect(Object.keys(lint.RULES).filter((r) => !covered.has(r))).toEqual([]);
  });

  test('the rules added for issue 11 each have a passing sample', () => {
    const added = ['string-array-member', 'no-bit-field', 'no-typedef', 'no-functional-cast', 'reserved-name', 'no-local-function', 'format-args', 'import-block', 'import-type', 'input-decl', 'property'];
    expect(added.filter((r) => !(r in lint.RULES) || !passing.some((c) => c[0] === r))).toEqual([]);
  });

  test('documented values in mql5-api.txt and the C++ stand-in agree', () => {
    const api = lint.loadApi();
    const vals = lint.standinValues();
    let compared = 0;
    for (const [name, e] of api.constants) {
      if (e.value === undefined || !vals.has(name)) continue;
      expect(`${name}=${Number(vals.get(name))}`).toBe(`${name}=${Number(e.value)}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(60);
    expect(api.constants.get('TRADE_RETCODE_REQUOTE')?.value).toBe('10004');
    expect(api.constants.get('CP_UTF8')?.value).toBe('65001');
  });

  test('a stand-in value that differs from the reference is reported', () => {
    const fake = join(dir, 'FakeStandin.h');
    writeFileSync(fake, '#define CP_UTF8 65000\nenum X { TRADE_RETCODE_DONE = 10009 };\n');
    const problems = lint.lintFiles([], { standin: fake });
    expect(problems.map((p) => p.rule)).toEqual(['standin-value']);
    expect(problems[0].message).toMatch(/CP_UTF8 is 65000, the reference says 65001/);
  });
});
