// MQL5.h - the language half of the MQL5 stand-in: types, string, dynamic arrays, constants,
// structures and the declarations of the runtime functions the EA uses. The functions are
// implemented in Terminal.h against the fake broker (Broker.h).
//
// Values of constants follow the MQL5 reference where it documents them (test/mql5/mql5-api.txt
// lists them and the lint checks that this header agrees). Enumerations whose values the
// reference does not document get values in the order the reference lists their members.
#pragma once

#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// ------------------------------------------------------------------------------------ types
typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;  // 64-bit on LP64 Linux, as in MQL5
typedef long datetime;        // seconds since 1970
typedef unsigned int color;
static_assert(sizeof(long) == 8, "MQL5 long is 64-bit; build on an LP64 platform");

// ------------------------------------------------------------------------------------ string
// MQL5 strings are UTF-16; this one too, so StringLen/StringGetCharacter behave the same.
// No conversion from numbers: MQL5 code converts with IntegerToString/DoubleToString.
class string {
 public:
  std::u16string s_;
  string() {}
  string(const char *utf8) { if (utf8) s_ = FromUtf8(utf8, std::strlen(utf8)); }
  string(const string &o) : s_(o.s_) {}
  string &operator=(const string &o) { s_ = o.s_; return *this; }
  string &operator=(const char *utf8) { s_ = utf8 ? FromUtf8(utf8, std::strlen(utf8)) : std::u16string(); return *this; }
  string &operator+=(const string &o) { s_ += o.s_; return *this; }
  string &operator+=(const char *o) { s_ += FromUtf8(o, std::strlen(o)); return *this; }

  static std::u16string FromUtf8(const char *p, size_t n) {
    std::u16string out;
    size_t i = 0;
    while (i < n) {
      unsigned c = (unsigned char)p[i];
      unsigned cp;
      size_t len;
      if (c < 0x80) { cp = c; len = 1; }
      else if ((c >> 5) == 6 && i + 1 < n) { cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F); len = 2; }
      else if ((c >> 4) == 14 && i + 2 < n) { cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F); len = 3; }
      else if ((c >> 3) == 30 && i + 3 < n) { cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F); len = 4; }
      else { cp = 0xFFFD; len = 1; }
      i += len;
      if (cp >= 0x10000) {
        cp -= 0x10000;
        out.push_back((char16_t)(0xD800 + (cp >> 10)));
        out.push_back((char16_t)(0xDC00 + (cp & 0x3FF)));
      } else {
        out.push_back((char16_t)cp);
      }
    }
    return out;
  }
  static std::string ToUtf8(const std::u16string &s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
      unsigned cp = s[i];
      if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
        i++;
      }
      if (cp < 0x80) out.push_back((char)cp);
      else if (cp < 0x800) { out.push_back((char)(0xC0 | (cp >> 6))); out.push_back((char)(0x80 | (cp & 0x3F))); }
      else if (cp < 0x10000) { out.push_back((char)(0xE0 | (cp >> 12))); out.push_back((char)(0x80 | ((cp >> 6) & 0x3F))); out.push_back((char)(0x80 | (cp & 0x3F))); }
      else { out.push_back((char)(0xF0 | (cp >> 18))); out.push_back((char)(0x80 | ((cp >> 12) & 0x3F))); out.push_back((char)(0x80 | ((cp >> 6) & 0x3F))); out.push_back((char)(0x80 | (cp & 0x3F))); }
    }
    return out;
  }
  std::string utf8() const { return ToUtf8(s_); }
};
inline string operator+(const string &a, const string &b) { string r(a); r.s_ += b.s_; return r; }
inline bool operator==(const string &a, const string &b) { return a.s_ == b.s_; }
inline bool operator!=(const string &a, const string &b) { return a.s_ != b.s_; }
inline bool operator<(const string &a, const string &b) { return a.s_ < b.s_; }
inline bool operator>(const string &a, const string &b) { return a.s_ > b.s_; }
inline string MqlString(const std::string &utf8) { return string(utf8.c_str()); }

// ------------------------------------------------------------------------------------ arrays
// A dynamic array with MQL5's behaviour: resized explicitly, and an index out of range is a
// critical error that stops the program ("array out of range").
void MqlCriticalError(const char *what);
template <typename T>
class CMqlArray {
 public:
  std::vector<T> v_;
  T &operator[](long i) {
    if (i < 0 || (size_t)i >= v_.size()) MqlCriticalError("array out of range");
    return v_[(size_t)i];
  }
  const T &operator[](long i) const {
    if (i < 0 || (size_t)i >= v_.size()) MqlCriticalError("array out of range");
    return v_[(size_t)i];
  }
};
#define CB_ARRAY(T, N) CMqlArray<T> N
#define CB_ARRAY_REF(T, N) CMqlArray<T> &N
#define CB_ARRAY_CREF(T, N) const CMqlArray<T> &N

template <typename T> inline int ArraySize(const CMqlArray<T> &a) { return (int)a.v_.size(); }
template <typename T, size_t N> inline int ArraySize(const T (&)[N]) { return (int)N; }
template <typename T> inline int ArrayResize(CMqlArray<T> &a, int size, int reserve = 0) {
  if (size < 0) return -1;
  if (reserve > 0) a.v_.reserve((size_t)(size + reserve));
  a.v_.resize((size_t)size);
  return size;
}
template <typename T> inline void ArrayFree(CMqlArray<T> &a) { a.v_.clear(); a.v_.shrink_to_fit(); }
template <typename T, typename V> inline int ArrayInitialize(CMqlArray<T> &a, V value) {
  for (auto &x : a.v_) x = (T)value;
  return (int)a.v_.size();
}
template <typename T, size_t N, typename V> inline int ArrayInitialize(T (&a)[N], V value) {
  for (size_t i = 0; i < N; i++) a[i] = (T)value;
  return (int)N;
}

// ------------------------------------------------------------------------------------ constants
#define WHOLE_ARRAY (-1)
#define INVALID_HANDLE (-1)
#define EMPTY_VALUE DBL_MAX
#define CP_ACP 0
#define CP_UTF8 65001

enum ENUM_INIT_RETCODE { INIT_SUCCEEDED = 0, INIT_FAILED = 1, INIT_PARAMETERS_INCORRECT = 2, INIT_AGENT_NOT_SUITABLE = 3 };

// Uninitialization reason codes
#define REASON_PROGRAM 0
#define REASON_REMOVE 1
#define REASON_RECOMPILE 2
#define REASON_CHARTCHANGE 3
#define REASON_CHARTCLOSE 4
#define REASON_PARAMETERS 5
#define REASON_ACCOUNT 6
#define REASON_TEMPLATE 7
#define REASON_INITFAILED 8
#define REASON_CLOSE 9

// Runtime errors (GetLastError)
#define ERR_SUCCESS 0
#define ERR_INTERNAL_ERROR 4001
#define ERR_WRONG_INTERNAL_PARAMETER 4002
#define ERR_INVALID_PARAMETER 4003
#define ERR_NOT_ENOUGH_MEMORY 4004
#define ERR_FUNCTION_NOT_ALLOWED 4014
#define ERR_GLOBALVARIABLE_NOT_FOUND 4501
#define ERR_MARKET_UNKNOWN_SYMBOL 4301
#define ERR_MARKET_NOT_SELECTED 4302
#define ERR_TRADE_POSITION_NOT_FOUND 4753
#define ERR_TRADE_ORDER_NOT_FOUND 4754
#define ERR_TRADE_DEAL_NOT_FOUND 4755
#define ERR_TRADE_SEND_FAILED 4756
#define ERR_TOO_MANY_FILES 5001
#define ERR_WRONG_FILENAME 5002
#define ERR_CANNOT_OPEN_FILE 5004
#define ERR_INVALID_FILEHANDLE 5007
#define ERR_FILE_NOT_EXIST 5019
#define ERR_NOTIFICATION_SEND_FAILED 4515
#define ERR_NOTIFICATION_WRONG_PARAMETER 4516
#define ERR_NOTIFICATION_WRONG_SETTINGS 4517
#define ERR_NOTIFICATION_TOO_FREQUENT 4518

// File open flags
#define FILE_READ 1
#define FILE_WRITE 2
#define FILE_BIN 4
#define FILE_CSV 8
#define FILE_TXT 16
#define FILE_ANSI 32
#define FILE_UNICODE 64
#define FILE_SHARE_READ 128
#define FILE_SHARE_WRITE 256
#define FILE_REWRITE 512
#define FILE_COMMON 4096
// SEEK_SET 0, SEEK_CUR 1, SEEK_END 2: <cstdio> defines them with MQL5's values
static_assert(SEEK_SET == 0 && SEEK_CUR == 1 && SEEK_END == 2, "MQL5 file seek origins");

// Trade server return codes
enum ENUM_TRADE_RETCODE_VALUES : uint {
  TRADE_RETCODE_REQUOTE = 10004,
  TRADE_RETCODE_REJECT = 10006,
  TRADE_RETCODE_CANCEL = 10007,
  TRADE_RETCODE_PLACED = 10008,
  TRADE_RETCODE_DONE = 10009,
  TRADE_RETCODE_DONE_PARTIAL = 10010,
  TRADE_RETCODE_ERROR = 10011,
  TRADE_RETCODE_TIMEOUT = 10012,
  TRADE_RETCODE_INVALID = 10013,
  TRADE_RETCODE_INVALID_VOLUME = 10014,
  TRADE_RETCODE_INVALID_PRICE = 10015,
  TRADE_RETCODE_INVALID_STOPS = 10016,
  TRADE_RETCODE_TRADE_DISABLED = 10017,
  TRADE_RETCODE_MARKET_CLOSED = 10018,
  TRADE_RETCODE_NO_MONEY = 10019,
  TRADE_RETCODE_PRICE_CHANGED = 10020,
  TRADE_RETCODE_PRICE_OFF = 10021,
  TRADE_RETCODE_INVALID_EXPIRATION = 10022,
  TRADE_RETCODE_ORDER_CHANGED = 10023,
  TRADE_RETCODE_TOO_MANY_REQUESTS = 10024,
  TRADE_RETCODE_NO_CHANGES = 10025,
  TRADE_RETCODE_SERVER_DISABLES_AT = 10026,
  TRADE_RETCODE_CLIENT_DISABLES_AT = 10027,
  TRADE_RETCODE_LOCKED = 10028,
  TRADE_RETCODE_FROZEN = 10029,
  TRADE_RETCODE_INVALID_FILL = 10030,
  TRADE_RETCODE_CONNECTION = 10031,
  TRADE_RETCODE_ONLY_REAL = 10032,
  TRADE_RETCODE_LIMIT_ORDERS = 10033,
  TRADE_RETCODE_LIMIT_VOLUME = 10034,
  TRADE_RETCODE_INVALID_ORDER = 10035,
  TRADE_RETCODE_POSITION_CLOSED = 10036,
  TRADE_RETCODE_INVALID_CLOSE_VOLUME = 10038,
  TRADE_RETCODE_CLOSE_ORDER_EXIST = 10039,
  TRADE_RETCODE_LIMIT_POSITIONS = 10040,
  TRADE_RETCODE_REJECT_CANCEL = 10041,
  TRADE_RETCODE_LONG_ONLY = 10042,
  TRADE_RETCODE_SHORT_ONLY = 10043,
  TRADE_RETCODE_CLOSE_ONLY = 10044,
  TRADE_RETCODE_FIFO_CLOSE = 10045,
  TRADE_RETCODE_HEDGE_PROHIBITED = 10046,
};

enum ENUM_TRADE_REQUEST_ACTIONS {
  TRADE_ACTION_DEAL = 1,
  TRADE_ACTION_PENDING = 5,
  TRADE_ACTION_SLTP = 6,
  TRADE_ACTION_MODIFY = 7,
  TRADE_ACTION_REMOVE = 8,
  TRADE_ACTION_CLOSE_BY = 10,
};
enum ENUM_ORDER_TYPE {
  ORDER_TYPE_BUY = 0, ORDER_TYPE_SELL = 1, ORDER_TYPE_BUY_LIMIT = 2, ORDER_TYPE_SELL_LIMIT = 3,
  ORDER_TYPE_BUY_STOP = 4, ORDER_TYPE_SELL_STOP = 5, ORDER_TYPE_BUY_STOP_LIMIT = 6, ORDER_TYPE_SELL_STOP_LIMIT = 7,
  ORDER_TYPE_CLOSE_BY = 8,
};
enum ENUM_ORDER_TYPE_FILLING { ORDER_FILLING_FOK = 0, ORDER_FILLING_IOC = 1, ORDER_FILLING_RETURN = 2, ORDER_FILLING_BOC = 3 };
enum ENUM_ORDER_TYPE_TIME { ORDER_TIME_GTC = 0, ORDER_TIME_DAY = 1, ORDER_TIME_SPECIFIED = 2, ORDER_TIME_SPECIFIED_DAY = 3 };
enum ENUM_ORDER_STATE {
  ORDER_STATE_STARTED = 0, ORDER_STATE_PLACED = 1, ORDER_STATE_CANCELED = 2, ORDER_STATE_PARTIAL = 3, ORDER_STATE_FILLED = 4,
  ORDER_STATE_REJECTED = 5, ORDER_STATE_EXPIRED = 6, ORDER_STATE_REQUEST_ADD = 7, ORDER_STATE_REQUEST_MODIFY = 8, ORDER_STATE_REQUEST_CANCEL = 9,
};
#define SYMBOL_FILLING_FOK 1
#define SYMBOL_FILLING_IOC 2
#define SYMBOL_FILLING_BOC 4

enum ENUM_TRADE_TRANSACTION_TYPE {
  TRADE_TRANSACTION_ORDER_ADD, TRADE_TRANSACTION_ORDER_UPDATE, TRADE_TRANSACTION_ORDER_DELETE,
  TRADE_TRANSACTION_HISTORY_ADD, TRADE_TRANSACTION_HISTORY_UPDATE, TRADE_TRANSACTION_HISTORY_DELETE,
  TRADE_TRANSACTION_DEAL_ADD, TRADE_TRANSACTION_DEAL_UPDATE, TRADE_TRANSACTION_DEAL_DELETE,
  TRADE_TRANSACTION_POSITION, TRADE_TRANSACTION_REQUEST,
};
enum ENUM_DEAL_TYPE {
  DEAL_TYPE_BUY = 0, DEAL_TYPE_SELL = 1, DEAL_TYPE_BALANCE = 2, DEAL_TYPE_CREDIT = 3, DEAL_TYPE_CHARGE = 4,
  DEAL_TYPE_CORRECTION = 5, DEAL_TYPE_BONUS = 6, DEAL_TYPE_COMMISSION = 7,
};
enum ENUM_DEAL_ENTRY { DEAL_ENTRY_IN = 0, DEAL_ENTRY_OUT = 1, DEAL_ENTRY_INOUT = 2, DEAL_ENTRY_OUT_BY = 3 };
enum ENUM_DEAL_REASON {
  DEAL_REASON_CLIENT = 0, DEAL_REASON_MOBILE = 1, DEAL_REASON_WEB = 2, DEAL_REASON_EXPERT = 3, DEAL_REASON_SL = 4,
  DEAL_REASON_TP = 5, DEAL_REASON_SO = 6, DEAL_REASON_ROLLOVER = 7, DEAL_REASON_VMARGIN = 8, DEAL_REASON_SPLIT = 9,
};
enum ENUM_ORDER_REASON {
  ORDER_REASON_CLIENT = 0, ORDER_REASON_MOBILE = 1, ORDER_REASON_WEB = 2, ORDER_REASON_EXPERT = 3,
  ORDER_REASON_SL = 4, ORDER_REASON_TP = 5, ORDER_REASON_SO = 6,
};
enum ENUM_POSITION_TYPE { POSITION_TYPE_BUY = 0, POSITION_TYPE_SELL = 1 };
enum ENUM_POSITION_REASON { POSITION_REASON_CLIENT = 0, POSITION_REASON_MOBILE = 1, POSITION_REASON_WEB = 2, POSITION_REASON_EXPERT = 3 };
enum ENUM_ACCOUNT_MARGIN_MODE { ACCOUNT_MARGIN_MODE_RETAIL_NETTING = 0, ACCOUNT_MARGIN_MODE_EXCHANGE = 1, ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 2 };
enum ENUM_SYMBOL_TRADE_MODE {
  SYMBOL_TRADE_MODE_DISABLED = 0, SYMBOL_TRADE_MODE_LONGONLY = 1, SYMBOL_TRADE_MODE_SHORTONLY = 2,
  SYMBOL_TRADE_MODE_CLOSEONLY = 3, SYMBOL_TRADE_MODE_FULL = 4,
};
enum ENUM_SYMBOL_TRADE_EXECUTION {
  SYMBOL_TRADE_EXECUTION_REQUEST = 0, SYMBOL_TRADE_EXECUTION_INSTANT = 1, SYMBOL_TRADE_EXECUTION_MARKET = 2, SYMBOL_TRADE_EXECUTION_EXCHANGE = 3,
};

// Property identifiers (the reference does not document their values)
enum ENUM_POSITION_PROPERTY_INTEGER {
  POSITION_TICKET, POSITION_TIME, POSITION_TIME_MSC, POSITION_TIME_UPDATE, POSITION_TIME_UPDATE_MSC, POSITION_TYPE,
  POSITION_MAGIC, POSITION_IDENTIFIER, POSITION_REASON,
};
enum ENUM_POSITION_PROPERTY_DOUBLE {
  POSITION_VOLUME, POSITION_PRICE_OPEN, POSITION_SL, POSITION_TP, POSITION_PRICE_CURRENT, POSITION_SWAP, POSITION_PROFIT,
};
enum ENUM_POSITION_PROPERTY_STRING { POSITION_SYMBOL, POSITION_COMMENT, POSITION_EXTERNAL_ID };
enum ENUM_DEAL_PROPERTY_INTEGER {
  DEAL_TICKET, DEAL_ORDER, DEAL_TIME, DEAL_TIME_MSC, DEAL_TYPE, DEAL_ENTRY, DEAL_MAGIC, DEAL_REASON, DEAL_POSITION_ID,
};
enum ENUM_DEAL_PROPERTY_DOUBLE { DEAL_VOLUME, DEAL_PRICE, DEAL_COMMISSION, DEAL_SWAP, DEAL_PROFIT, DEAL_FEE, DEAL_SL, DEAL_TP };
enum ENUM_DEAL_PROPERTY_STRING { DEAL_SYMBOL, DEAL_COMMENT, DEAL_EXTERNAL_ID };
enum ENUM_ORDER_PROPERTY_INTEGER {
  ORDER_TICKET, ORDER_TIME_SETUP, ORDER_TYPE, ORDER_STATE, ORDER_TIME_EXPIRATION, ORDER_TIME_DONE, ORDER_TIME_SETUP_MSC,
  ORDER_TIME_DONE_MSC, ORDER_TYPE_FILLING, ORDER_TYPE_TIME, ORDER_MAGIC, ORDER_REASON, ORDER_POSITION_ID, ORDER_POSITION_BY_ID,
};
enum ENUM_ORDER_PROPERTY_DOUBLE { ORDER_VOLUME_INITIAL, ORDER_VOLUME_CURRENT, ORDER_PRICE_OPEN, ORDER_SL, ORDER_TP, ORDER_PRICE_CURRENT, ORDER_PRICE_STOPLIMIT };
enum ENUM_ORDER_PROPERTY_STRING { ORDER_SYMBOL, ORDER_COMMENT, ORDER_EXTERNAL_ID };
enum ENUM_SYMBOL_INFO_INTEGER {
  SYMBOL_SELECT, SYMBOL_VISIBLE, SYMBOL_TIME, SYMBOL_TIME_MSC, SYMBOL_DIGITS, SYMBOL_SPREAD, SYMBOL_TRADE_STOPS_LEVEL,
  SYMBOL_TRADE_FREEZE_LEVEL, SYMBOL_TRADE_MODE, SYMBOL_TRADE_EXEMODE, SYMBOL_FILLING_MODE, SYMBOL_EXPIRATION_MODE, SYMBOL_ORDER_MODE,
};
enum ENUM_SYMBOL_INFO_DOUBLE {
  SYMBOL_BID, SYMBOL_ASK, SYMBOL_POINT, SYMBOL_TRADE_TICK_VALUE, SYMBOL_TRADE_TICK_SIZE, SYMBOL_TRADE_CONTRACT_SIZE,
  SYMBOL_VOLUME_MIN, SYMBOL_VOLUME_MAX, SYMBOL_VOLUME_STEP, SYMBOL_VOLUME_LIMIT,
};
enum ENUM_SYMBOL_INFO_STRING { SYMBOL_DESCRIPTION, SYMBOL_PATH, SYMBOL_CURRENCY_BASE, SYMBOL_CURRENCY_PROFIT };
enum ENUM_ACCOUNT_INFO_INTEGER {
  ACCOUNT_LOGIN, ACCOUNT_TRADE_MODE, ACCOUNT_LEVERAGE, ACCOUNT_LIMIT_ORDERS, ACCOUNT_MARGIN_SO_MODE, ACCOUNT_TRADE_ALLOWED,
  ACCOUNT_TRADE_EXPERT, ACCOUNT_MARGIN_MODE, ACCOUNT_CURRENCY_DIGITS,
};
enum ENUM_ACCOUNT_INFO_DOUBLE {
  ACCOUNT_BALANCE, ACCOUNT_CREDIT, ACCOUNT_PROFIT, ACCOUNT_EQUITY, ACCOUNT_MARGIN, ACCOUNT_MARGIN_FREE, ACCOUNT_MARGIN_LEVEL,
};
enum ENUM_ACCOUNT_INFO_STRING { ACCOUNT_NAME, ACCOUNT_SERVER, ACCOUNT_CURRENCY, ACCOUNT_COMPANY };
enum ENUM_TERMINAL_INFO_INTEGER {
  TERMINAL_BUILD, TERMINAL_COMMUNITY_ACCOUNT, TERMINAL_COMMUNITY_CONNECTION, TERMINAL_CONNECTED, TERMINAL_DLLS_ALLOWED,
  TERMINAL_TRADE_ALLOWED, TERMINAL_PING_LAST, TERMINAL_NOTIFICATIONS_ENABLED, TERMINAL_MQID,
};
enum ENUM_TERMINAL_INFO_STRING { TERMINAL_LANGUAGE, TERMINAL_COMPANY, TERMINAL_NAME, TERMINAL_PATH, TERMINAL_DATA_PATH, TERMINAL_COMMONDATA_PATH };
enum ENUM_MQL_INFO_INTEGER {
  MQL_PROGRAM_TYPE, MQL_DLLS_ALLOWED, MQL_TRADE_ALLOWED, MQL_SIGNALS_ALLOWED, MQL_DEBUG, MQL_PROFILER, MQL_TESTER, MQL_OPTIMIZATION,
};
enum ENUM_MQL_INFO_STRING { MQL_PROGRAM_NAME, MQL_PROGRAM_PATH };
enum ENUM_CHART_PROPERTY_INTEGER { CHART_WINDOW_HANDLE, CHART_IS_OBJECT, CHART_WINDOWS_TOTAL };

// ------------------------------------------------------------------------------------ structures
struct MqlTick {
  datetime time;
  double bid;
  double ask;
  double last;
  ulong volume;
  long time_msc;
  uint flags;
  double volume_real;
};
struct MqlTradeRequest {
  ENUM_TRADE_REQUEST_ACTIONS action;
  ulong magic;
  ulong order;
  string symbol;
  double volume;
  double price;
  double stoplimit;
  double sl;
  double tp;
  ulong deviation;
  ENUM_ORDER_TYPE type;
  ENUM_ORDER_TYPE_FILLING type_filling;
  ENUM_ORDER_TYPE_TIME type_time;
  datetime expiration;
  string comment;
  ulong position;
  ulong position_by;
};
struct MqlTradeResult {
  uint retcode;
  ulong deal;
  ulong order;
  double volume;
  double price;
  double bid;
  double ask;
  string comment;
  uint request_id;
  int retcode_external;
};
struct MqlTradeTransaction {
  ulong deal;
  ulong order;
  string symbol;
  ENUM_TRADE_TRANSACTION_TYPE type;
  ENUM_ORDER_TYPE order_type;
  ENUM_ORDER_STATE order_state;
  ENUM_DEAL_TYPE deal_type;
  ENUM_ORDER_TYPE_TIME time_type;
  datetime time_expiration;
  double price;
  double price_trigger;
  double price_sl;
  double price_tp;
  double volume;
  ulong position;
  ulong position_by;
};
template <typename T> inline void ZeroMemory(T &value) { value = T(); }

// ------------------------------------------------------------------------------------ functions
// Common
int GetLastError();
void ResetLastError();
void SetUserError(ushort code);
bool IsStopped();
void Sleep(int ms);
ulong GetTickCount64();
uint GetTickCount();
ulong GetMicrosecondCount();
void MqlPrintLine(const std::string &line);
void MqlComment(const std::string &text);

// Variadic Print/Comment/StringFormat: each argument converted as MQL5 would
inline void MqlAppendArg(std::string &out, const string &v) { out += v.utf8(); }
inline void MqlAppendArg(std::string &out, const char *v) { out += v ? v : ""; }
inline void MqlAppendArg(std::string &out, bool v) { out += v ? "true" : "false"; }
inline void MqlAppendArg(std::string &out, int v) { out += std::to_string(v); }
inline void MqlAppendArg(std::string &out, uint v) { out += std::to_string(v); }
inline void MqlAppendArg(std::string &out, long v) { out += std::to_string(v); }
inline void MqlAppendArg(std::string &out, ulong v) { out += std::to_string(v); }
inline void MqlAppendArg(std::string &out, ushort v) { out += std::to_string(v); }
inline void MqlAppendArg(std::string &out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  out += buf;
}
inline void MqlAppendAll(std::string &) {}
template <typename A, typename... R> inline void MqlAppendAll(std::string &out, const A &a, const R &...rest) {
  MqlAppendArg(out, a);
  MqlAppendAll(out, rest...);
}
template <typename... A> inline void Print(const A &...args) {
  std::string line;
  MqlAppendAll(line, args...);
  MqlPrintLine(line);
}
template <typename... A> inline void Comment(const A &...args) {
  std::string text;
  MqlAppendAll(text, args...);
  MqlComment(text);
}

// StringFormat: printf conversions; long/ulong need the I64 or ll modifier as in MQL5
struct MqlFmtArg {
  int kind;  // 0 integer, 1 unsigned, 2 double, 3 string
  long i;
  ulong u;
  double d;
  std::string s;
};
inline MqlFmtArg MqlFmt(const string &v) { MqlFmtArg a{3, 0, 0, 0, v.utf8()}; return a; }
inline MqlFmtArg MqlFmt(const char *v) { MqlFmtArg a{3, 0, 0, 0, v ? v : ""}; return a; }
inline MqlFmtArg MqlFmt(int v) { MqlFmtArg a{0, v, 0, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(long v) { MqlFmtArg a{0, v, 0, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(uint v) { MqlFmtArg a{1, 0, v, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(ulong v) { MqlFmtArg a{1, 0, v, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(ushort v) { MqlFmtArg a{1, 0, v, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(bool v) { MqlFmtArg a{0, v ? 1 : 0, 0, 0, ""}; return a; }
inline MqlFmtArg MqlFmt(double v) { MqlFmtArg a{2, 0, 0, v, ""}; return a; }
std::string MqlFormat(const std::string &fmt, const std::vector<MqlFmtArg> &args);
template <typename... A> inline string StringFormat(const string &fmt, const A &...args) {
  std::vector<MqlFmtArg> v{MqlFmt(args)...};
  return MqlString(MqlFormat(fmt.utf8(), v));
}
template <typename... A> inline void PrintFormat(const string &fmt, const A &...args) {
  std::vector<MqlFmtArg> v{MqlFmt(args)...};
  MqlPrintLine(MqlFormat(fmt.utf8(), v));
}

// Strings and conversions
int StringLen(const string &s);
ushort StringGetCharacter(const string &s, int pos);
bool StringSetCharacter(string &s, int pos, ushort c);
string ShortToString(ushort c);
int StringFind(const string &s, const string &what, int start = 0);
string StringSubstr(const string &s, int start, int length = -1);
int StringReplace(string &s, const string &find, const string &replacement);
int StringSplit(const string &s, ushort separator, CMqlArray<string> &result);
int StringTrimLeft(string &s);
int StringTrimRight(string &s);
bool StringToLower(string &s);
bool StringToUpper(string &s);
long StringToInteger(const string &s);
double StringToDouble(const string &s);
string IntegerToString(long number, int str_len = 0, ushort fill = ' ');
string DoubleToString(double value, int digits = 8);
int StringToCharArray(const string &text, CMqlArray<uchar> &array, int start = 0, int count = -1, uint codepage = CP_ACP);
string CharArrayToString(const CMqlArray<uchar> &array, int start = 0, int count = -1, uint codepage = CP_ACP);

// Math
double NormalizeDouble(double value, int digits);
inline double MathAbs(double v) { return std::fabs(v); }
inline double MathRound(double v) { return std::round(v); }
inline double MathFloor(double v) { return std::floor(v); }
inline double MathCeil(double v) { return std::ceil(v); }
inline double MathMax(double a, double b) { return a > b ? a : b; }
inline double MathMin(double a, double b) { return a < b ? a : b; }
inline double MathPow(double a, double b) { return std::pow(a, b); }
inline bool MathIsValidNumber(double v) { return std::isfinite(v); }

// Time
datetime TimeCurrent();
datetime TimeTradeServer();
datetime TimeGMT();
datetime TimeLocal();

// Account, terminal, program
long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER property);
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE property);
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING property);
int TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER property);
string TerminalInfoString(ENUM_TERMINAL_INFO_STRING property);
int MQLInfoInteger(ENUM_MQL_INFO_INTEGER property);
bool SendNotification(const string &text);
string MQLInfoString(ENUM_MQL_INFO_STRING property);

// Symbols and market
int SymbolsTotal(bool selected);
string SymbolName(int pos, bool selected);
bool SymbolSelect(const string &name, bool select);
bool SymbolInfoTick(const string &symbol, MqlTick &tick);
long SymbolInfoInteger(const string &symbol, ENUM_SYMBOL_INFO_INTEGER property);
double SymbolInfoDouble(const string &symbol, ENUM_SYMBOL_INFO_DOUBLE property);
string SymbolInfoString(const string &symbol, ENUM_SYMBOL_INFO_STRING property);

// Trade
bool OrderSend(const MqlTradeRequest &request, MqlTradeResult &result);
int PositionsTotal();
ulong PositionGetTicket(int index);
bool PositionSelect(const string &symbol);
bool PositionSelectByTicket(ulong ticket);
long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER property);
double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE property);
string PositionGetString(ENUM_POSITION_PROPERTY_STRING property);
bool HistorySelect(datetime from, datetime to);
bool HistorySelectByPosition(long position_id);
int HistoryDealsTotal();
ulong HistoryDealGetTicket(int index);
bool HistoryDealSelect(ulong ticket);
bool HistoryOrderSelect(ulong ticket);
long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER property);
double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE property);
string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING property);
long HistoryOrderGetInteger(ulong ticket, ENUM_ORDER_PROPERTY_INTEGER property);
// pending orders of the account: OrderGetTicket and OrderSelect select one for OrderGet*
int OrdersTotal();
ulong OrderGetTicket(int index);
bool OrderSelect(ulong ticket);
long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER property);
double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE property);
string OrderGetString(ENUM_ORDER_PROPERTY_STRING property);

// Files (MQL5\Files sandbox)
int FileOpen(const string &name, int flags, short delimiter = '\t', uint codepage = CP_ACP);
void FileClose(int handle);
bool FileIsExist(const string &name, int common_flag = 0);
bool FileIsEnding(int handle);
string FileReadString(int handle, int length = -1);
uint FileWriteString(int handle, const string &text, int length = -1);
bool FileSeek(int handle, long offset, int origin);
void FileFlush(int handle);
bool FileDelete(const string &name, int common_flag = 0);
bool FileMove(const string &src, int common_flag, const string &dst, int mode_flags);

// Events and chart
bool EventSetMillisecondTimer(int ms);
bool EventSetTimer(int seconds);
void EventKillTimer();
long ChartGetInteger(long chart_id, ENUM_CHART_PROPERTY_INTEGER property, int sub_window = 0);
bool ChartRedraw(long chart_id = 0);
long ChartID();
long ChartFirst();
long ChartNext(long chart_id);
string ChartSymbol(long chart_id = 0);

// Global variables of the client terminal: shared by every program of the terminal
bool GlobalVariableCheck(const string &name);
bool GlobalVariableTemp(const string &name);
datetime GlobalVariableSet(const string &name, double value);
double GlobalVariableGet(const string &name);
bool GlobalVariableGet(const string &name, double &value);
bool GlobalVariableSetOnCondition(const string &name, double value, double check_value);
bool GlobalVariableDel(const string &name);
