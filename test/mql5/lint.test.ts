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

  const cases: [string, string][] = [
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
  ];
  test.each(cases)('rule %s fires on: %s', (rule: string, code: string) => {
    expect(rulesOf(code)).toContain(rule);
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
