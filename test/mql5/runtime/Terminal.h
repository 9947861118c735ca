// Terminal.h - the runtime half of the MQL5 stand-in: the functions declared in MQL5.h,
// implemented against one fake broker (Broker.h), with MQL5's error codes and selection rules:
// position data is a copy taken when a position is selected, history functions read only what
// HistorySelect/HistoryDealSelect/HistoryOrderSelect put in the history cache, SymbolInfoTick
// needs the symbol in Market Watch, files live in the terminal's MQL5\Files sandbox. Positions
// and history are the terminal's view of the account (Broker.h), which may lag behind the server.
#pragma once

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <set>
#include <string>

#include "Broker.h"
#include "MQL5.h"

struct MqlFile {
  FILE *f = nullptr;
  int flags = 0;
  uint codepage = CP_ACP;
};

struct MqlTerminal {
  fb::Broker broker;
  int last_error = 0;
  std::string files_dir = ".";
  std::string comment;
  int timer_ms = 0;
  bool stopped = false;
  bool pos_selected = false;
  fb::Position selected;
  bool order_selected = false;
  fb::Order selected_order;
  std::set<ulong> deal_cache, order_cache;
  std::map<int, MqlFile> files;
  int next_file = 1;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string program_name = "CopyBridge";
  // The terminal all charts share: its global variables and its list of open charts live in
  // terminal_dir (default: the files folder), so that several harness processes, each one chart
  // with its EA, make one terminal.
  std::string terminal_dir;
  long chart_id = 0;
  // The computer's clock against the true time (TimeGMT, TimeLocal, TimeTradeServer follow it;
  // TimeCurrent is the server's last quote time and GetTickCount64 counts since boot)
  long clock_offset_ms = 0;
  // A trade server round trip: OrderSend blocks the EA this long
  int order_latency_ms = 0;
  // Push notifications (SendNotification): the MetaQuotes ID set in Tools > Options >
  // Notifications (with push enabled), the next calls the server fails, what reached the phone,
  // the times of the calls MetaTrader counts against its limits, and the calls refused
  bool mqid = true;
  int push_failures = 0;
  std::vector<std::pair<long, std::string>> pushed;
  std::vector<long> push_calls;
  long push_refused = 0;
};
inline MqlTerminal g_terminal;

inline void MqlSetError(int code) { g_terminal.last_error = code; }

inline void MqlPrintLine(const std::string &line) {
  size_t start = 0;
  while (true) {
    size_t nl = line.find('\n', start);
    std::string part = line.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::fprintf(stdout, "LOG %s\n", part.c_str());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::fflush(stdout);
}
inline void MqlComment(const std::string &text) { g_terminal.comment = text; }
inline void MqlCriticalError(const char *what) {
  std::fprintf(stdout, "LOG critical error: %s; the EA is stopped\n", what);
  std::fprintf(stderr, "critical error: %s\n", what);
  std::fflush(stdout);
  std::exit(70);
}

// ------------------------------------------------------------------------------------ common
inline int GetLastError() { return g_terminal.last_error; }
inline void ResetLastError() { g_terminal.last_error = 0; }
inline void SetUserError(ushort code) { g_terminal.last_error = 65536 + code; }
inline bool IsStopped() { return g_terminal.stopped; }
// While the EA sleeps, the terminal's other threads go on: the account view catches up, a turn
// a millisecond (as the event loop turns while something is on its way).
inline void Sleep(int ms) {
  if (ms > 0) usleep((useconds_t)ms * 1000);
  for (int i = 0; i < (ms > 1 ? ms : 1); i++) g_terminal.broker.Advance();
}
inline ulong GetMicrosecondCount() {
  return (ulong)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - g_terminal.start).count();
}
inline ulong GetTickCount64() {
  return (ulong)std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
inline uint GetTickCount() { return (uint)GetTickCount64(); }

inline std::string MqlFormat(const std::string &fmt, const std::vector<MqlFmtArg> &args) {
  std::string out;
  size_t ai = 0;
  for (size_t i = 0; i < fmt.size(); i++) {
    if (fmt[i] != '%') { out += fmt[i]; continue; }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') { out += '%'; i++; continue; }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() && std::strchr("-+ #0", fmt[j])) spec += fmt[j++];
    while (j < fmt.size() && (std::isdigit((unsigned char)fmt[j]) || fmt[j] == '.')) spec += fmt[j++];
    // length modifiers: h, l, ll, I32, I64
    while (j < fmt.size() && std::strchr("hlIL36", fmt[j]) && !(fmt[j] == '3' && (j + 1 >= fmt.size() || fmt[j + 1] != '2')) &&
           !(fmt[j] == '6' && (j == 0 || fmt[j - 1] != 'I')))
      j++;
    if (j >= fmt.size()) break;
    char conv = fmt[j];
    i = j;
    if (ai >= args.size()) { out += "<missing>"; continue; }
    const MqlFmtArg &a = args[ai++];
    char buf[512];
    switch (conv) {
      case 'd': case 'i': {
        long v = a.kind == 1 ? (long)a.u : a.kind == 2 ? (long)a.d : a.i;
        std::snprintf(buf, sizeof buf, (spec + "ld").c_str(), v);
        break;
      }
      case 'u': case 'x': case 'X': case 'o': {
        ulong v = a.kind == 1 ? a.u : (ulong)a.i;
        std::snprintf(buf, sizeof buf, (spec + "l" + conv).c_str(), v);
        break;
      }
      case 'c': std::snprintf(buf, sizeof buf, "%c", (char)(a.kind == 1 ? a.u : a.i)); break;
      case 'e': case 'E': case 'f': case 'g': case 'G': {
        double v = a.kind == 2 ? a.d : a.kind == 1 ? (double)a.u : (double)a.i;
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v);
        break;
      }
      case 's': std::snprintf(buf, sizeof buf, (spec + "s").c_str(), a.s.c_str()); break;
      default: buf[0] = 0;
    }
    out += buf;
  }
  return out;
}

// ------------------------------------------------------------------------------------ strings
inline int StringLen(const string &s) { return (int)s.s_.size(); }
inline ushort StringGetCharacter(const string &s, int pos) {
  if (pos < 0 || (size_t)pos >= s.s_.size()) { MqlSetError(ERR_INVALID_PARAMETER); return 0; }
  return (ushort)s.s_[(size_t)pos];
}
inline bool StringSetCharacter(string &s, int pos, ushort c) {
  if (pos < 0 || (size_t)pos > s.s_.size()) return false;
  if ((size_t)pos == s.s_.size()) s.s_.push_back((char16_t)c);
  else s.s_[(size_t)pos] = (char16_t)c;
  return true;
}
inline string ShortToString(ushort c) { string r; if (c) r.s_.push_back((char16_t)c); return r; }
inline int StringFind(const string &s, const string &what, int start) {
  if (start < 0) start = 0;
  size_t p = s.s_.find(what.s_, (size_t)start);
  return p == std::u16string::npos ? -1 : (int)p;
}
inline string StringSubstr(const string &s, int start, int length) {
  string r;
  if (start < 0 || (size_t)start >= s.s_.size()) return r;
  r.s_ = s.s_.substr((size_t)start, length < 0 ? std::u16string::npos : (size_t)length);
  return r;
}
inline int StringReplace(string &s, const string &find, const string &replacement) {
  if (find.s_.empty()) return 0;
  int n = 0;
  size_t pos = 0;
  while ((pos = s.s_.find(find.s_, pos)) != std::u16string::npos) {
    s.s_.replace(pos, find.s_.size(), replacement.s_);
    pos += replacement.s_.size();
    n++;
  }
  return n;
}
inline int StringSplit(const string &s, ushort separator, CMqlArray<string> &result) {
  result.v_.clear();
  if (s.s_.empty()) return 0;
  size_t start = 0;
  while (true) {
    size_t p = s.s_.find((char16_t)separator, start);
    string part;
    part.s_ = s.s_.substr(start, p == std::u16string::npos ? std::u16string::npos : p - start);
    result.v_.push_back(part);
    if (p == std::u16string::npos) break;
    start = p + 1;
  }
  return (int)result.v_.size();
}
inline bool MqlIsSpace(char16_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline int StringTrimLeft(string &s) {
  size_t n = 0;
  while (n < s.s_.size() && MqlIsSpace(s.s_[n])) n++;
  s.s_.erase(0, n);
  return (int)n;
}
inline int StringTrimRight(string &s) {
  size_t n = 0;
  while (n < s.s_.size() && MqlIsSpace(s.s_[s.s_.size() - 1 - n])) n++;
  s.s_.erase(s.s_.size() - n);
  return (int)n;
}
inline bool StringToLower(string &s) { for (auto &c : s.s_) if (c >= 'A' && c <= 'Z') c = (char16_t)(c + 32); return true; }
inline bool StringToUpper(string &s) { for (auto &c : s.s_) if (c >= 'a' && c <= 'z') c = (char16_t)(c - 32); return true; }
inline long StringToInteger(const string &s) { return std::strtol(s.utf8().c_str(), nullptr, 10); }
inline double StringToDouble(const string &s) { return std::strtod(s.utf8().c_str(), nullptr); }
inline string IntegerToString(long number, int str_len, ushort fill) {
  std::string v = std::to_string(number);
  while ((int)v.size() < str_len) v.insert(v.begin(), (char)fill);
  return MqlString(v);
}
inline string DoubleToString(double value, int digits) {
  char buf[512];
  if (digits < 0) std::snprintf(buf, sizeof buf, "%.*e", -digits, value);
  else std::snprintf(buf, sizeof buf, "%.*f", digits > 16 ? 16 : digits, value);
  return MqlString(buf);
}
inline int StringToCharArray(const string &text, CMqlArray<uchar> &array, int start, int count, uint codepage) {
  std::string bytes;
  if (codepage == CP_UTF8) bytes = text.utf8();
  else for (char16_t c : text.s_) bytes.push_back(c < 256 ? (char)c : '?');
  bytes.push_back('\0');  // the whole string: with its terminating zero
  size_t n = bytes.size();
  if (count >= 0 && (size_t)count < n) n = (size_t)count;
  if (start < 0) start = 0;
  if (array.v_.size() < (size_t)start + n) array.v_.resize((size_t)start + n);
  std::memcpy(array.v_.data() + start, bytes.data(), n);
  return (int)n;
}
inline string CharArrayToString(const CMqlArray<uchar> &array, int start, int count, uint codepage) {
  if (start < 0 || (size_t)start > array.v_.size()) return string();
  size_t end = array.v_.size();
  if (count >= 0 && (size_t)start + (size_t)count < end) end = (size_t)start + (size_t)count;
  std::string bytes;
  for (size_t i = (size_t)start; i < end; i++) {
    if (count < 0 && array.v_[i] == 0) break;
    bytes.push_back((char)array.v_[i]);
  }
  if (codepage == CP_UTF8) return MqlString(bytes);
  string r;
  for (char c : bytes) r.s_.push_back((char16_t)(unsigned char)c);
  return r;
}
inline double NormalizeDouble(double value, int digits) {
  if (digits < 0) digits = 0;
  if (digits > 8) digits = 8;
  double m = std::pow(10.0, digits);
  return std::round(value * m + (value >= 0 ? 1e-9 : -1e-9)) / m;
}

// ------------------------------------------------------------------------------------ time
inline datetime TimeGMT() { return (datetime)((fb::WallMs() + g_terminal.clock_offset_ms) / 1000); }
inline datetime TimeLocal() { return TimeGMT(); }
// "calculated in the client terminal ... depends on the time settings on your computer" (reference)
inline datetime TimeTradeServer() { return (datetime)((g_terminal.broker.ServerMs() + g_terminal.clock_offset_ms) / 1000); }
inline datetime TimeCurrent() {
  long last = 0;
  for (auto &s : g_terminal.broker.symbols) last = std::max(last, s.time_msc);
  return last > 0 ? (datetime)(last / 1000) : TimeTradeServer();
}

// ------------------------------------------------------------------------------------ account
// Another account is activated in the terminal: from now on every account function, position
// and history function answers for it (a fresh account at the same broker). The EA hears of it
// from OnDeinit(REASON_ACCOUNT) only when the terminal re-initialises it, which the harness does
// later ("login LOGIN MS"): in between, its timer and trade events run on the new account.
inline void MqlActivateAccount(long login) {
  fb::Broker &b = g_terminal.broker;
  b.login = login;
  b.positions.clear();
  b.deals.clear();
  b.orders.clear();
  b.queue.clear();
  b.RevealAll();
  g_terminal.pos_selected = false;
  g_terminal.deal_cache.clear();
  g_terminal.order_cache.clear();
}

inline long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER p) {
  fb::Broker &b = g_terminal.broker;
  switch (p) {
    case ACCOUNT_LOGIN: return b.login;
    case ACCOUNT_TRADE_MODE: return 0;
    case ACCOUNT_LEVERAGE: return b.leverage;
    case ACCOUNT_TRADE_ALLOWED: return b.account_trade_allowed ? 1 : 0;
    case ACCOUNT_TRADE_EXPERT: return b.account_trade_expert ? 1 : 0;
    case ACCOUNT_MARGIN_MODE: return b.hedging ? ACCOUNT_MARGIN_MODE_RETAIL_HEDGING : ACCOUNT_MARGIN_MODE_RETAIL_NETTING;
    case ACCOUNT_CURRENCY_DIGITS: return 2;
    default: return 0;
  }
}
inline double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE p) {
  fb::Broker &b = g_terminal.broker;
  switch (p) {
    case ACCOUNT_BALANCE: return b.balance;
    case ACCOUNT_PROFIT: return b.Floating();
    case ACCOUNT_EQUITY: return b.Equity();
    case ACCOUNT_MARGIN: return b.Margin();
    case ACCOUNT_MARGIN_FREE: return b.Equity() - b.Margin();
    case ACCOUNT_MARGIN_LEVEL: return b.Margin() > 0 ? b.Equity() / b.Margin() * 100 : 0;
    default: return 0;
  }
}
inline string AccountInfoString(ENUM_ACCOUNT_INFO_STRING p) {
  fb::Broker &b = g_terminal.broker;
  switch (p) {
    case ACCOUNT_NAME: return MqlString(b.name);
    case ACCOUNT_SERVER: return MqlString(b.server);
    case ACCOUNT_CURRENCY: return MqlString(b.currency);
    case ACCOUNT_COMPANY: return MqlString(b.company);
  }
  return string();
}
inline int TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER p) {
  fb::Broker &b = g_terminal.broker;
  switch (p) {
    case TERMINAL_BUILD: return 4620;
    case TERMINAL_CONNECTED: return b.connected ? 1 : 0;
    case TERMINAL_DLLS_ALLOWED: return b.terminal_dlls ? 1 : 0;
    case TERMINAL_TRADE_ALLOWED: return b.terminal_algo ? 1 : 0;
    case TERMINAL_NOTIFICATIONS_ENABLED:
    case TERMINAL_MQID: return g_terminal.mqid ? 1 : 0;
    default: return 0;
  }
}
// The MQL5 reference: at most 255 characters; no more than 2 calls a second and 10 a minute;
// errors ERR_NOTIFICATION_WRONG_PARAMETER, _WRONG_SETTINGS (no MetaQuotes ID or push not
// enabled), _TOO_FREQUENT, _SEND_FAILED. Every call that reaches the limits counts against them.
inline bool SendNotification(const string &text) {
  MqlTerminal &t = g_terminal;
  size_t n = text.s_.size();
  if (n == 0 || n > 255) { t.push_refused++; MqlSetError(ERR_NOTIFICATION_WRONG_PARAMETER); return false; }
  if (!t.mqid) { t.push_refused++; MqlSetError(ERR_NOTIFICATION_WRONG_SETTINGS); return false; }
  long now = (long)GetTickCount64();
  int last_second = 0, last_minute = 0;
  for (long at : t.push_calls) {
    if (now - at < 1000) last_second++;
    if (now - at < 60000) last_minute++;
  }
  t.push_calls.push_back(now);
  if (last_second >= 2 || last_minute >= 10) { t.push_refused++; MqlSetError(ERR_NOTIFICATION_TOO_FREQUENT); return false; }
  if (t.push_failures > 0) { t.push_failures--; MqlSetError(ERR_NOTIFICATION_SEND_FAILED); return false; }
  t.pushed.push_back({fb::WallMs(), text.utf8()});
  return true;
}

inline string TerminalInfoString(ENUM_TERMINAL_INFO_STRING p) {
  if (p == TERMINAL_DATA_PATH) return MqlString(g_terminal.files_dir);
  return MqlString("MetaTrader 5 stand-in");
}
inline int MQLInfoInteger(ENUM_MQL_INFO_INTEGER p) {
  fb::Broker &b = g_terminal.broker;
  switch (p) {
    case MQL_PROGRAM_TYPE: return 3;
    case MQL_DLLS_ALLOWED: return b.ea_dlls ? 1 : 0;
    case MQL_TRADE_ALLOWED: return b.ea_algo ? 1 : 0;
    default: return 0;
  }
}
inline string MQLInfoString(ENUM_MQL_INFO_STRING p) { return MqlString(p == MQL_PROGRAM_NAME ? g_terminal.program_name : std::string("Experts/CopyBridge.ex5")); }

// ------------------------------------------------------------------------------------ symbols
inline fb::Symbol *MqlSymbol(const string &name) {
  fb::Symbol *s = g_terminal.broker.FindSymbol(name.utf8());
  if (!s) MqlSetError(ERR_MARKET_UNKNOWN_SYMBOL);
  return s;
}
inline int SymbolsTotal(bool selected) {
  int n = 0;
  for (auto &s : g_terminal.broker.symbols) if (!selected || s.selected) n++;
  return n;
}
inline string SymbolName(int pos, bool selected) {
  int n = 0;
  for (auto &s : g_terminal.broker.symbols) {
    if (selected && !s.selected) continue;
    if (n++ == pos) return MqlString(s.name);
  }
  MqlSetError(ERR_INVALID_PARAMETER);
  return string();
}
inline bool SymbolSelect(const string &name, bool select) {
  fb::Symbol *s = MqlSymbol(name);
  if (!s) return false;
  if (!select) {
    for (auto &p : g_terminal.broker.positions) if (p.symbol == s->name) { MqlSetError(ERR_INTERNAL_ERROR); return false; }
  }
  fb::Broker &b = g_terminal.broker;
  // a symbol new in Market Watch has no quote until the server sends its first tick
  if (select && !s->selected && b.cold_turns > 0) s->quote_turn = b.turn + 1 + b.Random(b.cold_turns);
  s->selected = select;
  return true;
}
inline bool SymbolInfoTick(const string &symbol, MqlTick &tick) {
  fb::Symbol *s = MqlSymbol(symbol);
  if (!s) return false;
  if (!s->selected) { MqlSetError(ERR_MARKET_NOT_SELECTED); return false; }
  ZeroMemory(tick);
  if (g_terminal.broker.turn < s->quote_turn) return true;  // selected, no tick yet: all zero
  tick.bid = s->bid;
  tick.ask = s->ask;
  tick.time_msc = s->time_msc;
  tick.time = (datetime)(s->time_msc / 1000);
  return s->bid > 0;
}
inline long SymbolInfoInteger(const string &symbol, ENUM_SYMBOL_INFO_INTEGER p) {
  fb::Symbol *s = MqlSymbol(symbol);
  if (!s) return 0;
  switch (p) {
    case SYMBOL_SELECT: case SYMBOL_VISIBLE: return s->selected ? 1 : 0;
    case SYMBOL_TIME: return s->time_msc / 1000;
    case SYMBOL_TIME_MSC: return s->time_msc;
    case SYMBOL_DIGITS: return s->digits;
    case SYMBOL_SPREAD: return (long)std::llround((s->ask - s->bid) / s->point);
    case SYMBOL_TRADE_STOPS_LEVEL: return s->stops_level;
    case SYMBOL_TRADE_FREEZE_LEVEL: return s->freeze_level;
    case SYMBOL_TRADE_MODE: return s->trade_mode;
    case SYMBOL_TRADE_EXEMODE: return s->exec_mode;
    case SYMBOL_FILLING_MODE: return s->filling;
    default: return 0;
  }
}
inline double SymbolInfoDouble(const string &symbol, ENUM_SYMBOL_INFO_DOUBLE p) {
  fb::Symbol *s = MqlSymbol(symbol);
  if (!s) return 0;
  switch (p) {
    case SYMBOL_BID: return g_terminal.broker.turn < s->quote_turn ? 0 : s->bid;
    case SYMBOL_ASK: return g_terminal.broker.turn < s->quote_turn ? 0 : s->ask;
    case SYMBOL_POINT: return s->point;
    case SYMBOL_TRADE_TICK_SIZE: return s->Tick();
    case SYMBOL_TRADE_TICK_VALUE: return s->contract * s->Tick();
    case SYMBOL_TRADE_CONTRACT_SIZE: return s->contract;
    case SYMBOL_VOLUME_MIN: return s->vmin;
    case SYMBOL_VOLUME_MAX: return s->vmax;
    case SYMBOL_VOLUME_STEP: return s->vstep;
    case SYMBOL_VOLUME_LIMIT: return s->vlimit;
  }
  return 0;
}
inline string SymbolInfoString(const string &symbol, ENUM_SYMBOL_INFO_STRING p) {
  fb::Symbol *s = MqlSymbol(symbol);
  if (!s) return string();
  if (p == SYMBOL_CURRENCY_PROFIT) return MqlString(s->name.size() >= 6 ? s->name.substr(3, 3) : std::string("USD"));
  if (p == SYMBOL_CURRENCY_BASE) return MqlString(s->name.substr(0, 3));
  return MqlString(s->name);
}

// ------------------------------------------------------------------------------------ trade
inline bool OrderSend(const MqlTradeRequest &request, MqlTradeResult &result) {
  if (g_terminal.order_latency_ms > 0) usleep((useconds_t)g_terminal.order_latency_ms * 1000);
  uint rc = g_terminal.broker.Execute(request, result, fb::FROM_EXPERT);
  if (rc == TRADE_RETCODE_DONE || rc == TRADE_RETCODE_PLACED || rc == TRADE_RETCODE_DONE_PARTIAL) return true;
  MqlSetError(ERR_TRADE_SEND_FAILED);
  return false;
}
inline int PositionsTotal() { return (int)g_terminal.broker.VisiblePositions().size(); }
inline bool MqlSelectPosition(const fb::Position *p) {
  if (!p) {
    g_terminal.pos_selected = false;
    MqlSetError(ERR_TRADE_POSITION_NOT_FOUND);
    return false;
  }
  g_terminal.selected = *p;
  g_terminal.pos_selected = true;
  return true;
}
inline ulong PositionGetTicket(int index) {
  auto &ps = g_terminal.broker.VisiblePositions();
  if (index < 0 || (size_t)index >= ps.size()) { MqlSetError(ERR_TRADE_POSITION_NOT_FOUND); return 0; }
  MqlSelectPosition(&ps[(size_t)index]);
  return ps[(size_t)index].ticket;
}
inline bool PositionSelect(const string &symbol) { return MqlSelectPosition(g_terminal.broker.VisibleNettingPosition(symbol.utf8())); }
inline bool PositionSelectByTicket(ulong ticket) { return MqlSelectPosition(g_terminal.broker.VisiblePosition(ticket)); }
inline long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER p) {
  if (!g_terminal.pos_selected) { MqlSetError(ERR_TRADE_POSITION_NOT_FOUND); return 0; }
  const fb::Position &x = g_terminal.selected;
  long off = g_terminal.broker.server_offset_sec;
  (void)off;
  switch (p) {
    case POSITION_TICKET: return (long)x.ticket;
    case POSITION_TIME: return x.time_msc / 1000;
    case POSITION_TIME_MSC: return x.time_msc;
    case POSITION_TIME_UPDATE: return x.update_msc / 1000;
    case POSITION_TIME_UPDATE_MSC: return x.update_msc;
    case POSITION_TYPE: return x.type;
    case POSITION_MAGIC: return x.magic;
    case POSITION_IDENTIFIER: return (long)x.identifier;
    case POSITION_REASON: return x.reason;
  }
  return 0;
}
inline double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE p) {
  if (!g_terminal.pos_selected) { MqlSetError(ERR_TRADE_POSITION_NOT_FOUND); return 0; }
  const fb::Position &x = g_terminal.selected;
  fb::Symbol *s = g_terminal.broker.FindSymbol(x.symbol);
  double cur = s ? (x.type == POSITION_TYPE_BUY ? s->bid : s->ask) : 0;
  switch (p) {
    case POSITION_VOLUME: return x.volume;
    case POSITION_PRICE_OPEN: return x.price_open;
    case POSITION_SL: return x.sl;
    case POSITION_TP: return x.tp;
    case POSITION_PRICE_CURRENT: return cur;
    case POSITION_SWAP: return 0;
    case POSITION_PROFIT: return g_terminal.broker.Profit(x, x.volume, cur);
  }
  return 0;
}
inline string PositionGetString(ENUM_POSITION_PROPERTY_STRING p) {
  if (!g_terminal.pos_selected) { MqlSetError(ERR_TRADE_POSITION_NOT_FOUND); return string(); }
  const fb::Position &x = g_terminal.selected;
  if (p == POSITION_SYMBOL) return MqlString(x.symbol);
  if (p == POSITION_COMMENT) return MqlString(x.comment);
  return string();
}
// pending orders are shown as the server has them (no lag): OrderGetTicket/OrderSelect copy one
inline int OrdersTotal() { return (int)g_terminal.broker.pending.size(); }
inline bool MqlSelectOrder(const fb::Order *o) {
  g_terminal.order_selected = o != nullptr;
  if (!o) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return false; }
  g_terminal.selected_order = *o;
  return true;
}
inline ulong OrderGetTicket(int index) {
  fb::Broker &b = g_terminal.broker;
  if (index < 0 || (size_t)index >= b.pending.size()) { MqlSelectOrder(nullptr); return 0; }
  MqlSelectOrder(&b.pending[index]);
  return b.pending[index].ticket;
}
inline bool OrderSelect(ulong ticket) { return MqlSelectOrder(g_terminal.broker.FindPending(ticket)); }
inline long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER p) {
  if (!g_terminal.order_selected) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return 0; }
  const fb::Order &o = g_terminal.selected_order;
  switch (p) {
    case ORDER_TICKET: return (long)o.ticket;
    case ORDER_TIME_SETUP: return o.setup_msc / 1000;
    case ORDER_TIME_SETUP_MSC: return o.setup_msc;
    case ORDER_TYPE: return o.type;
    case ORDER_STATE: return o.state;
    case ORDER_TIME_EXPIRATION: return o.expiration;
    case ORDER_TYPE_TIME: return o.type_time;
    case ORDER_TYPE_FILLING: return o.filling;
    case ORDER_MAGIC: return o.magic;
    case ORDER_REASON: return o.reason;
    case ORDER_POSITION_ID: return (long)o.position_id;
    default: return 0;
  }
}
inline double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE p) {
  if (!g_terminal.order_selected) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return 0; }
  const fb::Order &o = g_terminal.selected_order;
  switch (p) {
    case ORDER_VOLUME_INITIAL: case ORDER_VOLUME_CURRENT: return o.volume;
    case ORDER_PRICE_OPEN: return o.price;
    case ORDER_PRICE_STOPLIMIT: return o.stoplimit;
    case ORDER_SL: return o.sl;
    case ORDER_TP: return o.tp;
    default: return 0;
  }
}
inline string OrderGetString(ENUM_ORDER_PROPERTY_STRING p) {
  if (!g_terminal.order_selected) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return string(); }
  if (p == ORDER_SYMBOL) return MqlString(g_terminal.selected_order.symbol);
  if (p == ORDER_COMMENT) return MqlString(g_terminal.selected_order.comment);
  return string();
}
inline bool HistorySelect(datetime from, datetime to) {
  fb::Broker &b = g_terminal.broker;
  g_terminal.deal_cache.clear();
  g_terminal.order_cache.clear();
  for (size_t i = 0; i < b.VisibleDeals(); i++)
    if (b.deals[i].time_msc / 1000 >= from && b.deals[i].time_msc / 1000 <= to) g_terminal.deal_cache.insert(b.deals[i].ticket);
  for (size_t i = 0; i < b.VisibleOrders(); i++)
    if (b.orders[i].setup_msc / 1000 >= from && b.orders[i].setup_msc / 1000 <= to) g_terminal.order_cache.insert(b.orders[i].ticket);
  return true;
}
// the deals and orders of one position ("HistorySelectByPosition")
inline bool HistorySelectByPosition(long position_id) {
  fb::Broker &b = g_terminal.broker;
  g_terminal.deal_cache.clear();
  g_terminal.order_cache.clear();
  for (size_t i = 0; i < b.VisibleDeals(); i++)
    if ((long)b.deals[i].position_id == position_id) g_terminal.deal_cache.insert(b.deals[i].ticket);
  for (size_t i = 0; i < b.VisibleOrders(); i++)
    if ((long)b.orders[i].position_id == position_id || (long)b.orders[i].position_by_id == position_id) g_terminal.order_cache.insert(b.orders[i].ticket);
  return true;
}
inline int HistoryDealsTotal() { return (int)g_terminal.deal_cache.size(); }
// the cache is ordered by ticket, as the terminal's history is ordered by time
inline ulong HistoryDealGetTicket(int index) {
  if (index < 0 || (size_t)index >= g_terminal.deal_cache.size()) { MqlSetError(ERR_TRADE_DEAL_NOT_FOUND); return 0; }
  auto it = g_terminal.deal_cache.begin();
  std::advance(it, index);
  return *it;
}
// HistoryDealSelect/HistoryOrderSelect replace the cache with the one ticket (MQL5 reference)
inline bool HistoryDealSelect(ulong ticket) {
  g_terminal.deal_cache.clear();
  if (!g_terminal.broker.VisibleDeal(ticket)) { MqlSetError(ERR_TRADE_DEAL_NOT_FOUND); return false; }
  g_terminal.deal_cache.insert(ticket);
  return true;
}
inline bool HistoryOrderSelect(ulong ticket) {
  g_terminal.order_cache.clear();
  if (!g_terminal.broker.VisibleOrder(ticket)) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return false; }
  g_terminal.order_cache.insert(ticket);
  return true;
}
inline const fb::Deal *MqlCachedDeal(ulong ticket) {
  if (!g_terminal.deal_cache.count(ticket)) { MqlSetError(ERR_TRADE_DEAL_NOT_FOUND); return nullptr; }
  return g_terminal.broker.FindDeal(ticket);
}
inline long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER p) {
  const fb::Deal *d = MqlCachedDeal(ticket);
  if (!d) return 0;
  switch (p) {
    case DEAL_TICKET: return (long)d->ticket;
    case DEAL_ORDER: return (long)d->order;
    case DEAL_TIME: return d->time_msc / 1000;
    case DEAL_TIME_MSC: return d->time_msc;
    case DEAL_TYPE: return d->type;
    case DEAL_ENTRY: return d->entry;
    case DEAL_MAGIC: return d->magic;
    case DEAL_REASON: return d->reason;
    case DEAL_POSITION_ID: return (long)d->position_id;
  }
  return 0;
}
inline double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE p) {
  const fb::Deal *d = MqlCachedDeal(ticket);
  if (!d) return 0;
  switch (p) {
    case DEAL_VOLUME: return d->volume;
    case DEAL_PRICE: return d->price;
    case DEAL_PROFIT: return d->profit;
    case DEAL_SL: return d->sl;
    case DEAL_TP: return d->tp;
    default: return 0;
  }
}
inline string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING p) {
  const fb::Deal *d = MqlCachedDeal(ticket);
  if (!d) return string();
  if (p == DEAL_SYMBOL) return MqlString(d->symbol);
  if (p == DEAL_COMMENT) return MqlString(d->comment);
  return string();
}
inline long HistoryOrderGetInteger(ulong ticket, ENUM_ORDER_PROPERTY_INTEGER p) {
  if (!g_terminal.order_cache.count(ticket)) { MqlSetError(ERR_TRADE_ORDER_NOT_FOUND); return 0; }
  const fb::Order *o = g_terminal.broker.FindOrder(ticket);
  if (!o) return 0;
  switch (p) {
    case ORDER_TICKET: return (long)o->ticket;
    case ORDER_TYPE: return o->type;
    case ORDER_STATE: return o->state;
    case ORDER_TIME_SETUP_MSC: return o->setup_msc;
    case ORDER_TIME_DONE_MSC: return o->done_msc;
    case ORDER_TYPE_FILLING: return o->filling;
    case ORDER_MAGIC: return o->magic;
    case ORDER_REASON: return o->reason;
    case ORDER_POSITION_ID: return (long)o->position_id;
    case ORDER_POSITION_BY_ID: return (long)o->position_by_id;
    default: return 0;
  }
}

// ------------------------------------------------------------------------------------ files
inline std::string MqlFilePath(const string &name) {
  std::string n = name.utf8();
  for (auto &c : n) if (c == '\\') c = '/';
  return g_terminal.files_dir + "/" + n;
}
inline bool MqlFileNameOk(const string &name) {
  std::string n = name.utf8();
  return !n.empty() && n.find("..") == std::string::npos && n.find(':') == std::string::npos && n[0] != '/' && n[0] != '\\';
}
inline int FileOpen(const string &name, int flags, short delimiter, uint codepage) {
  (void)delimiter;
  if (!MqlFileNameOk(name)) { MqlSetError(ERR_WRONG_FILENAME); return INVALID_HANDLE; }
  if ((flags & FILE_TXT) && !(flags & FILE_ANSI)) MqlCriticalError("stand-in: only FILE_ANSI text files are supported");
  if (flags & FILE_COMMON) MqlCriticalError("stand-in: FILE_COMMON is not used by this project");
  std::string path = MqlFilePath(name);
  struct stat st;
  bool exists = stat(path.c_str(), &st) == 0;
  const char *mode;
  if ((flags & FILE_READ) && (flags & FILE_WRITE)) mode = exists ? "r+b" : "w+b";
  else if (flags & FILE_WRITE) mode = "wb";
  else mode = "rb";
  if (!(flags & FILE_WRITE) && !exists) { MqlSetError(ERR_FILE_NOT_EXIST); return INVALID_HANDLE; }
  FILE *f = std::fopen(path.c_str(), mode);
  if (!f) { MqlSetError(ERR_CANNOT_OPEN_FILE); return INVALID_HANDLE; }
  if (g_terminal.files.size() >= 64) { std::fclose(f); MqlSetError(ERR_TOO_MANY_FILES); return INVALID_HANDLE; }
  int h = g_terminal.next_file++;
  g_terminal.files[h] = MqlFile{f, flags, codepage};
  return h;
}
inline MqlFile *MqlFileOf(int h) {
  auto it = g_terminal.files.find(h);
  if (it == g_terminal.files.end()) { MqlSetError(ERR_INVALID_FILEHANDLE); return nullptr; }
  return &it->second;
}
inline void FileClose(int h) {
  MqlFile *f = MqlFileOf(h);
  if (!f) return;
  std::fclose(f->f);
  g_terminal.files.erase(h);
}
inline bool FileIsExist(const string &name, int common_flag) {
  (void)common_flag;
  struct stat st;
  if (stat(MqlFilePath(name).c_str(), &st) == 0) return true;
  MqlSetError(ERR_FILE_NOT_EXIST);
  return false;
}
inline bool FileIsEnding(int h) {
  MqlFile *f = MqlFileOf(h);
  if (!f) return true;
  int c = std::fgetc(f->f);
  if (c == EOF) return true;
  std::ungetc(c, f->f);
  return false;
}
inline string FileReadString(int h, int length) {
  (void)length;
  MqlFile *f = MqlFileOf(h);
  if (!f) return string();
  std::string line;
  int c;
  while ((c = std::fgetc(f->f)) != EOF && c != '\n') line.push_back((char)c);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return MqlString(line);
}
inline uint FileWriteString(int h, const string &text, int length) {
  (void)length;
  MqlFile *f = MqlFileOf(h);
  if (!f) return 0;
  std::string bytes = text.utf8();
  std::string out;
  for (char c : bytes) {
    if (c == '\n' && (f->flags & FILE_TXT)) out += "\r\n";  // text files end lines the Windows way
    else out += c;
  }
  return (uint)std::fwrite(out.data(), 1, out.size(), f->f);
}
inline bool FileSeek(int h, long offset, int origin) {
  MqlFile *f = MqlFileOf(h);
  if (!f) return false;
  return std::fseek(f->f, offset, origin) == 0;
}
inline void FileFlush(int h) {
  MqlFile *f = MqlFileOf(h);
  if (f) std::fflush(f->f);
}
inline bool FileDelete(const string &name, int common_flag) {
  (void)common_flag;
  if (std::remove(MqlFilePath(name).c_str()) != 0) { MqlSetError(ERR_FILE_NOT_EXIST); return false; }
  return true;
}
inline bool FileMove(const string &src, int common_flag, const string &dst, int mode_flags) {
  (void)common_flag;
  struct stat st;
  std::string to = MqlFilePath(dst);
  if (stat(to.c_str(), &st) == 0 && !(mode_flags & FILE_REWRITE)) { MqlSetError(ERR_CANNOT_OPEN_FILE); return false; }
  if (std::rename(MqlFilePath(src).c_str(), to.c_str()) != 0) { MqlSetError(ERR_FILE_NOT_EXIST); return false; }
  return true;
}

// ------------------------------------------------------------------------------------ events, chart
inline bool EventSetMillisecondTimer(int ms) {
  if (ms <= 0) { MqlSetError(ERR_INVALID_PARAMETER); return false; }
  g_terminal.timer_ms = ms < 10 ? 10 : ms;  // the system timer is no finer
  return true;
}
inline bool EventSetTimer(int seconds) { return EventSetMillisecondTimer(seconds * 1000); }
inline void EventKillTimer() { g_terminal.timer_ms = 0; }
inline long ChartGetInteger(long chart_id, ENUM_CHART_PROPERTY_INTEGER p, int sub_window) {
  (void)chart_id;
  (void)sub_window;
  if (p == CHART_WINDOWS_TOTAL) return 1;
  // A chart has a window in MetaTrader, so the EA asks the bridge for its wake-up; the Linux
  // library answers CB_ENOTSUP and the EA falls back to its timer, as it must.
  if (p == CHART_WINDOW_HANDLE) return 0x00050A3C;
  return 0;
}
inline bool ChartRedraw(long chart_id) { (void)chart_id; return true; }

// The terminal's open charts: one file per chart in <terminal>/charts, named by its ID, holding
// the process and the symbol; a chart whose process is gone is closed.
inline std::string MqlTerminalDir() { return g_terminal.terminal_dir.empty() ? g_terminal.files_dir : g_terminal.terminal_dir; }
inline std::string MqlChartsDir() { return MqlTerminalDir() + "/charts"; }
inline void MqlOpenChart(const std::string &symbol) {
  mkdir(MqlTerminalDir().c_str(), 0755);
  mkdir(MqlChartsDir().c_str(), 0755);
  std::ofstream(MqlChartsDir() + "/" + std::to_string(g_terminal.chart_id)) << getpid() << '\t' << symbol << '\n';
}
inline void MqlCloseChart() { std::remove((MqlChartsDir() + "/" + std::to_string(g_terminal.chart_id)).c_str()); }
// symbol of an open chart, "" when it is not open
inline std::string MqlChartSymbol(long id) {
  std::ifstream f(MqlChartsDir() + "/" + std::to_string(id));
  long pid = 0;
  std::string symbol;
  if (!(f >> pid >> symbol)) return std::string();
  if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return std::string();
  // A killed process whose parent is gone stays a zombie where nothing reaps orphans (a container
  // whose first process is no init): it is gone for this purpose.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return std::string();
  }
  return symbol;
}
inline std::vector<long> MqlOpenCharts() {
  std::vector<long> ids;
  if (DIR *d = opendir(MqlChartsDir().c_str())) {
    while (struct dirent *e = readdir(d)) {
      long id = std::strtol(e->d_name, nullptr, 10);
      if (id > 0 && !MqlChartSymbol(id).empty()) ids.push_back(id);
    }
    closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}
inline long ChartID() { return g_terminal.chart_id; }
inline long ChartFirst() {
  std::vector<long> ids = MqlOpenCharts();
  return ids.empty() ? -1 : ids.front();
}
inline long ChartNext(long chart_id) {
  if (chart_id == 0) return ChartFirst();
  for (long id : MqlOpenCharts())
    if (id > chart_id) return id;
  return -1;
}
inline string ChartSymbol(long chart_id) { return MqlString(MqlChartSymbol(chart_id == 0 ? g_terminal.chart_id : chart_id)); }

// ------------------------------------------------------------------------------------ global variables
// Terminal global variables, in <terminal>/gvariables.txt: every access holds an exclusive lock
// on the file, so GlobalVariableSetOnCondition is atomic across the charts (processes) of the
// terminal, as the reference promises across EAs. Temporary ones die with the terminal (restart).
struct MqlGlobal {
  double value = 0;
  bool temp = false;
  long time = 0;
};
// Runs f on the variables with the file locked; f returns true when it changed them.
template <typename F> inline bool MqlWithGlobals(F f) {
  mkdir(MqlTerminalDir().c_str(), 0755);
  std::string path = MqlTerminalDir() + "/gvariables.txt";
  int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd < 0) { MqlSetError(ERR_INTERNAL_ERROR); return false; }
  flock(fd, LOCK_EX);
  std::map<std::string, MqlGlobal> vars;
  {
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, (size_t)n);
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string name;
      MqlGlobal g;
      if (std::getline(l, name, '\t') && l >> g.value >> g.temp >> g.time) vars[name] = g;
    }
  }
  bool changed = f(vars);
  if (changed) {
    std::ostringstream out;
    out.precision(17);
    for (auto &v : vars) out << v.first << '\t' << v.second.value << '\t' << v.second.temp << '\t' << v.second.time << '\n';
    std::string text = out.str();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text.data(), text.size(), 0) != (ssize_t)text.size()) MqlSetError(ERR_INTERNAL_ERROR);
  }
  flock(fd, LOCK_UN);
  close(fd);
  return changed;
}
inline bool MqlGlobalNameOk(const string &name) {
  if (StringLen(name) == 0 || StringLen(name) > 63) { MqlSetError(ERR_INVALID_PARAMETER); return false; }
  return true;
}
inline bool GlobalVariableCheck(const string &name) {
  bool found = false;
  MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) { found = v.count(name.utf8()) > 0; return false; });
  return found;
}
// Creates a temporary variable (value 0) unless one of that name exists; what it returns when one
// exists the reference does not say: here false, so the EA must not depend on it
inline bool GlobalVariableTemp(const string &name) {
  if (!MqlGlobalNameOk(name)) return false;
  return MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
    if (v.count(name.utf8())) return false;
    MqlGlobal g;
    g.temp = true;
    g.time = TimeLocal();
    v[name.utf8()] = g;
    return true;
  });
}
inline datetime GlobalVariableSet(const string &name, double value) {
  if (!MqlGlobalNameOk(name)) return 0;
  datetime now = TimeLocal();
  MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
    MqlGlobal &g = v[name.utf8()];
    g.value = value;
    g.time = now;
    return true;
  });
  return now;
}
inline bool GlobalVariableGet(const string &name, double &value) {
  bool found = false;
  MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
    auto it = v.find(name.utf8());
    if (it != v.end()) { found = true; value = it->second.value; }
    return false;
  });
  if (!found) MqlSetError(ERR_GLOBALVARIABLE_NOT_FOUND);
  return found;
}
inline double GlobalVariableGet(const string &name) {
  double value = 0;
  return GlobalVariableGet(name, value) ? value : 0;
}
inline bool GlobalVariableSetOnCondition(const string &name, double value, double check_value) {
  bool found = false;
  bool set = MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
    auto it = v.find(name.utf8());
    if (it == v.end()) return false;
    found = true;
    if (it->second.value != check_value) return false;
    it->second.value = value;
    it->second.time = TimeLocal();
    return true;
  });
  if (!found) MqlSetError(ERR_GLOBALVARIABLE_NOT_FOUND);
  return set;
}
inline bool GlobalVariableDel(const string &name) {
  bool found = MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) { return v.erase(name.utf8()) > 0; });
  if (!found) MqlSetError(ERR_GLOBALVARIABLE_NOT_FOUND);
  return found;
}
// The terminal closes: its temporary variables are gone
inline void MqlDropTempGlobals() {
  MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
    for (auto it = v.begin(); it != v.end();) it = it->second.temp ? v.erase(it) : std::next(it);
    return true;
  });
}

// ------------------------------------------------------------------------------------ #import
// The build script turns each #import block into calls through these: the library is loaded
// when the program starts, and a missing library or function stops the program as MT5 does.
inline void *MqlImportLibrary(const char *dll) {
  const char *path = std::getenv("CB_BRIDGE_LIB");
  std::string p = path ? path : "";
#ifdef CB_DEFAULT_BRIDGE
  if (p.empty()) p = CB_DEFAULT_BRIDGE;
#endif
  void *h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::fprintf(stdout, "LOG cannot load '%s' (%s): %s; run npm run build:bridge\n", dll, p.c_str(), dlerror());
    std::fprintf(stdout, "EVT initfailed {\"reason\":\"dll\"}\n");
    std::fflush(stdout);
    std::exit(3);
  }
  return h;
}
inline void *MqlImportFunction(void *lib, const char *dll, const char *name) {
  void *f = dlsym(lib, name);
  if (!f) {
    std::fprintf(stdout, "LOG cannot find '%s' in '%s'\n", name, dll);
    std::fflush(stdout);
    std::exit(3);
  }
  return f;
}

// ------------------------------------------------------------------------------------ inputs
// Inputs become globals in the C++ build; the harness sets them by name (--input Name=value).
inline void MqlAssignInput(string &v, const std::string &s) { v = MqlString(s); }
inline void MqlAssignInput(bool &v, const std::string &s) { v = (s == "true" || s == "1"); }
inline void MqlAssignInput(double &v, const std::string &s) { v = std::stod(s); }
template <typename T> inline void MqlAssignInput(T &v, const std::string &s) { v = (T)std::stol(s); }
inline std::string MqlInputText(const string &v) { return v.utf8(); }
inline std::string MqlInputText(bool v) { return v ? "true" : "false"; }
inline std::string MqlInputText(double v) { return std::to_string(v); }
template <typename T> inline std::string MqlInputText(T v) { return std::to_string((long)v); }
