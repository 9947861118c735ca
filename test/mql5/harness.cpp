// harness.cpp - one MetaTrader terminal as a Linux process: the EA (compiled from its MQL5
// source), the MQL5 stand-in and a fake broker, driven by a real clock. Jest talks to it over
// stdin/stdout, one command per line, and gets exactly one "@@ <json>" line back per command.
// Everything the EA prints arrives as "LOG <text>" lines; "EVT <name> <json>" lines announce
// start-up ("ready", "initfailed").
//
// Commands (what a user does in the terminal, and test controls):
//   buy SYMBOL VOLUME [SL] [TP]      market order by the user (reason client)
//   sell SYMBOL VOLUME [SL] [TP]
//   close TICKET [VOLUME]            close a position in full or in part
//   modify TICKET SL TP              set SL/TP of a position
//   closeby TICKET TICKET_BY         close a position by an opposite one (hedging)
//   place TYPE SYMBOL VOLUME PRICE [SL] [TP] [STOPLIMIT]
//                                    pending order by the user (TYPE buy_limit, sell_stop_limit, ...)
//   modorder TICKET PRICE [SL] [TP] [STOPLIMIT]   change a pending order
//   remove TICKET                    delete a pending order
//   orders                           the pending orders
//   quote SYMBOL BID ASK             new prices (pending orders and SL/TP are checked; OnTick for
//                                    the chart symbol)
//   stopout TICKET                   the broker closes a position (reason so)
//   reticket TICKET                  the server gives a position a new ticket (same identifier)
//   fail RETCODE [COUNT]             the next COUNT expert requests get RETCODE (10004 requote, ...)
//   slip POINTS                      expert market orders fill POINTS worse than the quote
//   market SYMBOL open|closed        market hours
//   stale SYMBOL on|off              the symbol's feed stops (its last tick grows old) / resumes
//   algo on|off                      the terminal's Algo Trading button
//   busy MS                          the EA is stuck in a handler for MS ms: no events reach it,
//                                    transactions pile up in the queue (slow EA)
//   positions | deals | account | status | inputs | handles | ping
//   view                             how much of the account the EA sees, against the server
//   chartchange                      OnDeinit(REASON_CHARTCHANGE) + OnInit in the same process
//   login LOGIN [MS]                 another account is activated in the terminal: the account
//                                    (positions, history) is LOGIN's at once, and the terminal
//                                    re-initialises the EA (OnDeinit(REASON_ACCOUNT) + OnInit) MS
//                                    ms later (default 0; -1 never); timer events run meanwhile
//   latency MS                       every OrderSend blocks the EA for MS ms (server round trip)
//   globals                          the terminal's global variables
//   mqid on|off                      a MetaQuotes ID is set for push notifications (Tools >
//                                    Options > Notifications) or not (--no-mqid at the start)
//   pushfail COUNT                   the next COUNT SendNotification calls fail (no connection)
//   notifications                    what SendNotification delivered, the times of every call,
//                                    and how many it refused
//   restart                          terminal restart: OnDeinit(REASON_CLOSE), broker state saved,
//                                    the process re-executes itself (fresh EA, same account/files)
//   quit
//
// Options: --account NAME  --login N  --netting  --tickets BASE  --suffix S  --rename A=B
//          --symbols A,B,...  --extra-symbols N  --files DIR  --state FILE  --input Name=Value
//          --no-dlls  --no-ea-dlls  --no-algo  --no-mqid  --balance N  --server NAME
//          --terminal DIR    the terminal this chart belongs to (global variables, open charts;
//                            default: the files folder): processes with the same one are charts
//                            of one terminal
//          --chart-id N      this chart's ID (default: 64-bit, from the clock, as MetaTrader's)
//          --clock-offset MS the computer's clock is MS ms off the true time (TimeGMT, TimeLocal,
//                            TimeTradeServer; not the server's quote times)
//
// MetaTrader's asynchrony (the MQL5 reference: "OnTradeTransaction", "Trade transaction
// structure", "OrderSend"), each switch on its own, all of them with --live; --seed N makes a
// run repeatable:
//   --reorder TURNS   the transactions of one request arrive in a random order, each batch
//                     up to TURNS event-loop turns late (batches keep their order)
//   --lag TURNS       positions, deals and history orders become visible up to TURNS turns
//                     after the server made them, also after OrderSend has returned
//   --queue-limit N   the terminal keeps at most N transactions waiting for the EA (1024, as
//                     MetaTrader); older ones are dropped when the EA is slow (busy MS)
//   --stalls MS       now and then (one timer event in 20) a handler of the EA takes up to MS
//                     ms: events wait meanwhile (a slow EA; `busy MS` makes one long stall)
//
// Order execution as a real trade server does it ("Symbol Properties", "ENUM_ORDER_TYPE_FILLING",
// "Trade Server Return Codes"), each switch on its own, all of them with --live:
//   --tick-grid       prices and stops off the SYMBOL_TRADE_TICK_SIZE grid are refused (10015 /
//                     10016); adds US500 (tick 0.25), BRENTF (0.1, exchange execution) and JP225
//                     (0 digits, tick 5), whose tick size differs from their point
//   --fill-misreport  a symbol whose flags say FOK and IOC fills IOC only (10030 for FOK)
//   --placed TURNS    an expert's market order under exchange execution is answered 10008
//                     (placed) and filled up to TURNS turns later
//   --cold-select TURNS  a symbol the EA selects has no quote for up to TURNS turns
// Always: the feed refreshes every quote's time each --feed-ms MS (1000; `stale SYMBOL on`
// stops it for a symbol); the filling policies follow the execution mode; --stops-level SYM=N
// sets a symbol's stops level (points) and --tick-size SYM=X its tick size in this terminal (one
// broker quotes an index in 0.01, another in 0.25).
//   --live            --reorder 20 --lag 20 --stalls 50 --tick-grid --fill-misreport --placed 10
//                     --cold-select 5
#include "MQL5.h"
#include "Terminal.h"

#include <poll.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

// the EA, as rewritten by test/mql5/build.js
#include "CopyBridge.mq5.cpp"

namespace {

bool g_running = false;

// The terminal's transaction queue: what the server sent, waiting for OnTradeTransaction.
struct Delivery {
  long turn;
  fb::Tx tx;
};
std::deque<Delivery> g_inbox;
int g_reorder = 0;
size_t g_queue_limit = 1024;
long g_dropped = 0;
long g_last_delivery_turn = 0;
long g_busy_until = 0;
int g_stalls = 0;
long g_reinit_at = -1;  // steady ms of a pending re-initialisation for another account

long SteadyMs() { return (long)GetTickCount64(); }
std::vector<std::string> g_argv;
std::string g_state_path;
std::string g_chart_symbol;

std::string JsonStr(const std::string &s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"') o += "\\\"";
    else if (c == '\\') o += "\\\\";
    else if (c == '\n') o += "\\n";
    else if (c == '\r') o += "\\r";
    else if (c == '\t') o += "\\t";
    else if (c < 32) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += (char)c;
  }
  return o + "\"";
}
std::string Num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}
void Reply(const std::string &json) {
  std::fprintf(stdout, "@@ %s\n", json.c_str());
  std::fflush(stdout);
}
void ReplyError(const std::string &text) { Reply("{\"ok\":false,\"error\":" + JsonStr(text) + "}"); }

struct Preset {
  const char *name;
  int digits;
  double contract, vmin, vstep, vmax;
  int filling, stops;
  double bid, ask;
  double tick;  // SYMBOL_TRADE_TICK_SIZE, 0: the point
  int exec;     // SYMBOL_TRADE_EXEMODE, -1: exchange when no filling flag is set, else market
  bool grid;    // only with --tick-grid (or named in --symbols)
};
const Preset kPresets[] = {
    {"EURUSD", 5, 100000, 0.01, 0.01, 100, 3, 0, 1.10000, 1.10010, 0, -1, false},
    {"GBPUSD", 5, 100000, 0.01, 0.01, 100, 2, 0, 1.27000, 1.27012, 0, -1, false},
    {"USDJPY", 3, 100000, 0.01, 0.01, 100, 1, 0, 150.000, 150.012, 0, -1, false},
    {"XAUUSD", 2, 100, 0.01, 0.01, 50, 2, 10, 2000.00, 2000.30, 0, -1, false},
    {"US30", 1, 1, 0.1, 0.1, 100, 0, 0, 38000.0, 38002.0, 0, -1, false},
    // an index CFD quoted in quarters, a future on a 0.1 grid with exchange execution, and a
    // 0-digit index on a grid of 5
    {"US500", 2, 1, 0.1, 0.1, 100, 3, 0, 5000.25, 5000.75, 0.25, SYMBOL_TRADE_EXECUTION_MARKET, true},
    {"BRENTF", 2, 1000, 1, 1, 100, 1, 0, 80.10, 80.20, 0.1, SYMBOL_TRADE_EXECUTION_EXCHANGE, true},
    {"JP225", 0, 1, 1, 1, 100, 2, 0, 38000, 38010, 5, SYMBOL_TRADE_EXECUTION_MARKET, true},
};

void SetupSymbols(fb::Broker &b, const std::string &only, const std::string &suffix, const std::vector<std::pair<std::string, std::string>> &renames,
                  int extra) {
  for (const Preset &p : kPresets) {
    std::string name = p.name;
    bool named = ("," + only + ",").find("," + name + ",") != std::string::npos;
    if (!only.empty() && !named) continue;
    if (p.grid && !b.tick_grid && !named) continue;
    for (auto &r : renames)
      if (r.first == name) name = r.second;
    name += suffix;
    fb::Symbol s;
    s.name = name;
    s.digits = p.digits;
    s.point = std::pow(10.0, -p.digits);
    s.contract = p.contract;
    s.vmin = p.vmin;
    s.vstep = p.vstep;
    s.vmax = p.vmax;
    s.filling = p.filling;
    s.exec_mode = p.exec >= 0 ? p.exec : p.filling == 0 ? SYMBOL_TRADE_EXECUTION_EXCHANGE : SYMBOL_TRADE_EXECUTION_MARKET;
    s.tick_size = p.tick;
    s.stops_level = p.stops;
    s.bid = p.bid;
    s.ask = p.ask;
    s.time_msc = b.ServerMs();
    b.symbols.push_back(s);
  }
  for (int i = 0; i < extra; i++) {
    fb::Symbol s;
    char n[32];
    std::snprintf(n, sizeof n, "X%03d%s", i, suffix.c_str());
    s.name = n;
    s.bid = 1.0;
    s.ask = 1.0001;
    b.symbols.push_back(s);
  }
  if (!b.symbols.empty()) b.symbols[0].selected = true;  // the chart's symbol
}

std::string PositionJson(const fb::Position &p) {
  return "{\"ticket\":\"" + std::to_string(p.ticket) + "\",\"position\":\"" + std::to_string(p.identifier) + "\",\"symbol\":" + JsonStr(p.symbol) +
         ",\"side\":\"" + (p.type == POSITION_TYPE_BUY ? "buy" : "sell") + "\",\"volume\":" + Num(p.volume) + ",\"price_open\":" + Num(p.price_open) +
         ",\"sl\":" + Num(p.sl) + ",\"tp\":" + Num(p.tp) + ",\"magic\":" + std::to_string(p.magic) + ",\"comment\":" + JsonStr(p.comment) + "}";
}
std::string DealJson(const fb::Deal &d) {
  return "{\"deal\":\"" + std::to_string(d.ticket) + "\",\"order\":\"" + std::to_string(d.order) + "\",\"position\":\"" + std::to_string(d.position_id) +
         "\",\"symbol\":" + JsonStr(d.symbol) + ",\"type\":" + std::to_string(d.type) + ",\"entry\":" + std::to_string(d.entry) +
         ",\"reason\":" + std::to_string(d.reason) + ",\"volume\":" + Num(d.volume) + ",\"price\":" + Num(d.price) + ",\"profit\":" + Num(d.profit) +
         ",\"sl\":" + Num(d.sl) + ",\"tp\":" + Num(d.tp) + ",\"magic\":" + std::to_string(d.magic) + ",\"comment\":" + JsonStr(d.comment) + "}";
}
const char *const ORDER_TYPE_NAMES[] = {"buy", "sell", "buy_limit", "sell_limit", "buy_stop", "sell_stop", "buy_stop_limit", "sell_stop_limit"};
std::string OrderJson(const fb::Order &o) {
  return "{\"ticket\":\"" + std::to_string(o.ticket) + "\",\"symbol\":" + JsonStr(o.symbol) + ",\"type\":\"" + ORDER_TYPE_NAMES[o.type & 7] +
         "\",\"volume\":" + Num(o.volume) + ",\"price\":" + Num(o.price) + ",\"stoplimit\":" + Num(o.stoplimit) + ",\"sl\":" + Num(o.sl) +
         ",\"tp\":" + Num(o.tp) + ",\"magic\":" + std::to_string(o.magic) + ",\"comment\":" + JsonStr(o.comment) + "}";
}
std::string ResultJson(uint rc, const MqlTradeResult &r) {
  fb::Broker &b = g_terminal.broker;
  const fb::Deal *d = b.FindDeal(r.deal);
  return std::string("{\"ok\":") + (rc == TRADE_RETCODE_DONE ? "true" : "false") + ",\"retcode\":" + std::to_string(rc) + ",\"comment\":" +
         JsonStr(r.comment.utf8()) + ",\"order\":\"" + std::to_string(r.order) + "\",\"deal\":\"" + std::to_string(r.deal) + "\",\"position\":\"" +
         (d ? std::to_string(d->position_id) : std::string("0")) + "\",\"price\":" + Num(r.price) + ",\"volume\":" + Num(r.volume) + "}";
}

// A request made by the user in the terminal's window: no algo-trading check, reason client.
void UserRequest(MqlTradeRequest &req) {
  fb::Broker &b = g_terminal.broker;
  fb::Symbol *s = b.FindSymbol(req.symbol.utf8());
  if (s && req.action == TRADE_ACTION_DEAL) {
    // the terminal's order window offers what the server takes
    int mask = b.ServerFilling(*s);
    req.type_filling = (mask & SYMBOL_FILLING_FOK) ? ORDER_FILLING_FOK : (mask & SYMBOL_FILLING_IOC) ? ORDER_FILLING_IOC : ORDER_FILLING_RETURN;
    req.price = req.type == ORDER_TYPE_BUY ? s->ask : s->bid;
  }
  MqlTradeResult res;
  uint rc = b.Execute(req, res, fb::FROM_CLIENT);
  Reply(ResultJson(rc, res));
}

void StartEa() {
  int rc = OnInit();
  g_running = rc == INIT_SUCCEEDED;
  if (!g_running) {
    // MetaTrader calls OnDeinit with REASON_INITFAILED, then removes the EA from the chart
    OnDeinit(REASON_INITFAILED);
    std::fprintf(stdout, "EVT initfailed {\"code\":%d,\"comment\":%s}\n", rc, JsonStr(g_terminal.comment).c_str());
    EventKillTimer();
  } else {
    std::fprintf(stdout, "EVT ready {\"login\":%ld,\"pid\":%d}\n", g_terminal.broker.login, (int)getpid());
  }
  std::fflush(stdout);
}

void StopEa(int reason) {
  if (!g_running) return;
  OnDeinit(reason);
  g_running = false;
  EventKillTimer();
}

void Restart() {
  StopEa(REASON_CLOSE);
  g_terminal.broker.queue.clear();
  g_inbox.clear();
  g_terminal.broker.Save(g_state_path);
  MqlDropTempGlobals();
  Reply("{\"ok\":true,\"restarting\":true}");
  std::vector<std::string> args = g_argv;
  bool has_state = false, has_chart = false;
  for (auto &a : args) {
    if (a == "--state") has_state = true;
    if (a == "--chart-id") has_chart = true;
  }
  if (!has_state) {
    args.push_back("--state");
    args.push_back(g_state_path);
  }
  if (!has_chart) {
    args.push_back("--chart-id");
    args.push_back(std::to_string(g_terminal.chart_id));
  }
  args.push_back("--resume");
  std::vector<char *> cargs;
  for (auto &a : args) cargs.push_back(const_cast<char *>(a.c_str()));
  cargs.push_back(nullptr);
  std::fflush(stdout);
  execv("/proc/self/exe", cargs.data());
  std::fprintf(stdout, "LOG restart failed: execv: %s\n", std::strerror(errno));
  std::exit(4);
}

bool Command(const std::string &line) {
  std::vector<std::string> w;
  {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') j++;
      if (j > i) w.push_back(line.substr(i, j - i));
      i = j;
    }
  }
  if (w.empty()) return true;
  fb::Broker &b = g_terminal.broker;
  const std::string &c = w[0];
  auto D = [&](size_t i, double def) { return i < w.size() ? std::stod(w[i]) : def; };
  auto U = [&](size_t i) { return i < w.size() ? (ulong)std::stoull(w[i]) : 0UL; };
  try {
    if (c == "buy" || c == "sell") {
      if (w.size() < 3) { ReplyError("usage: buy|sell SYMBOL VOLUME [SL] [TP]"); return true; }
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_DEAL;
      req.symbol = MqlString(w[1]);
      req.volume = D(2, 0);
      req.sl = D(3, 0);
      req.tp = D(4, 0);
      req.type = c == "buy" ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
      UserRequest(req);
    } else if (c == "close") {
      fb::Position *p = b.FindPosition(U(1));
      if (!p) { ReplyError("no position " + (w.size() > 1 ? w[1] : std::string())); return true; }
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_DEAL;
      req.symbol = MqlString(p->symbol);
      req.position = p->ticket;
      req.volume = D(2, p->volume);
      req.type = p->type == POSITION_TYPE_BUY ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
      UserRequest(req);
    } else if (c == "modify") {
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_SLTP;
      req.position = U(1);
      fb::Position *p = b.FindPosition(req.position);
      if (p) req.symbol = MqlString(p->symbol);
      req.sl = D(2, 0);
      req.tp = D(3, 0);
      UserRequest(req);
    } else if (c == "closeby") {
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_CLOSE_BY;
      req.position = U(1);
      req.position_by = U(2);
      fb::Position *p = b.FindPosition(req.position);
      if (p) req.symbol = MqlString(p->symbol);
      UserRequest(req);
    } else if (c == "place") {
      int type = -1;
      for (int t = ORDER_TYPE_BUY_LIMIT; t <= ORDER_TYPE_SELL_STOP_LIMIT; t++)
        if (w.size() > 1 && w[1] == ORDER_TYPE_NAMES[t]) type = t;
      if (type < 0 || w.size() < 5) { ReplyError("usage: place TYPE SYMBOL VOLUME PRICE [SL] [TP] [STOPLIMIT] (TYPE buy_limit ... sell_stop_limit)"); return true; }
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_PENDING;
      req.type = (ENUM_ORDER_TYPE)type;
      req.symbol = MqlString(w[2]);
      req.volume = D(3, 0);
      req.price = D(4, 0);
      req.sl = D(5, 0);
      req.tp = D(6, 0);
      req.stoplimit = D(7, 0);
      req.type_time = ORDER_TIME_GTC;
      req.type_filling = ORDER_FILLING_RETURN;
      UserRequest(req);
    } else if (c == "modorder") {
      fb::Order *o = b.FindPending(U(1));
      if (!o) { ReplyError("no such pending order"); return true; }
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_MODIFY;
      req.order = o->ticket;
      req.symbol = MqlString(o->symbol);
      req.price = D(2, 0);
      req.sl = D(3, 0);
      req.tp = D(4, 0);
      req.stoplimit = D(5, 0);
      req.type_time = (ENUM_ORDER_TYPE_TIME)o->type_time;
      req.expiration = o->expiration;
      UserRequest(req);
    } else if (c == "remove") {
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_REMOVE;
      req.order = U(1);
      UserRequest(req);
    } else if (c == "orders") {
      std::string o = "{\"ok\":true,\"orders\":[";
      for (size_t i = 0; i < b.pending.size(); i++) o += (i ? "," : "") + OrderJson(b.pending[i]);
      Reply(o + "]}");
    } else if (c == "quote") {
      if (w.size() < 4 || !b.FindSymbol(w[1])) { ReplyError("usage: quote SYMBOL BID ASK (known symbol)"); return true; }
      b.SetQuote(w[1], D(2, 0), D(3, 0));
      Reply("{\"ok\":true}");
      if (g_running && w[1] == g_chart_symbol) OnTick();
    } else if (c == "stale") {
      // stale SYMBOL on|off: the feed of a symbol stops (its last tick grows old) or resumes
      fb::Symbol *s = w.size() > 2 ? b.FindSymbol(w[1]) : nullptr;
      if (!s) { ReplyError("usage: stale SYMBOL on|off (known symbol)"); return true; }
      s->frozen = w[2] == "on";
      if (!s->frozen) s->time_msc = b.ServerMs();
      Reply("{\"ok\":true}");
    } else if (c == "stopout") {
      fb::Position *p = b.FindPosition(U(1));
      if (!p) { ReplyError("no position"); return true; }
      bool ok = b.ServerClose(p->ticket, DEAL_REASON_SO, "[so 45.20%]");
      Reply(std::string("{\"ok\":") + (ok ? "true" : "false") + "}");
    } else if (c == "reticket") {
      // a service operation of the server (e.g. swap charged by re-opening): new ticket, same identifier
      fb::Position *p = b.FindPosition(U(1));
      if (!p) { ReplyError("no position"); return true; }
      p->ticket = b.next_order++;
      b.Publish();
      Reply("{\"ok\":true,\"ticket\":\"" + std::to_string(p->ticket) + "\"}");
    } else if (c == "fail") {
      int n = w.size() > 2 ? std::stoi(w[2]) : 1;
      for (int i = 0; i < n; i++) b.failures.push_back((uint)std::stoul(w.at(1)));
      Reply("{\"ok\":true}");
    } else if (c == "slip") {
      b.slip_points = D(1, 0);
      Reply("{\"ok\":true}");
    } else if (c == "market") {
      fb::Symbol *s = b.FindSymbol(w.at(1));
      if (!s) { ReplyError("unknown symbol"); return true; }
      s->market_open = w.at(2) == "open";
      Reply("{\"ok\":true}");
    } else if (c == "busy") {
      g_busy_until = SteadyMs() + (long)D(1, 0);
      Reply("{\"ok\":true}");
    } else if (c == "algo") {
      b.terminal_algo = w.at(1) == "on";
      Reply("{\"ok\":true}");
    } else if (c == "positions") {
      std::string o = "{\"ok\":true,\"positions\":[";
      for (size_t i = 0; i < b.positions.size(); i++) o += (i ? "," : "") + PositionJson(b.positions[i]);
      Reply(o + "]}");
    } else if (c == "deals") {
      std::string o = "{\"ok\":true,\"deals\":[";
      for (size_t i = 0; i < b.deals.size(); i++) o += (i ? "," : "") + DealJson(b.deals[i]);
      Reply(o + "]}");
    } else if (c == "view") {
      // what the EA sees of the account now, against the server
      Reply("{\"ok\":true,\"turn\":" + std::to_string(b.turn) + ",\"positions\":" + std::to_string(b.VisiblePositions().size()) + ",\"server_positions\":" +
            std::to_string(b.positions.size()) + ",\"deals\":" + std::to_string(b.VisibleDeals()) + ",\"server_deals\":" + std::to_string(b.deals.size()) +
            ",\"orders\":" + std::to_string(b.VisibleOrders()) + ",\"server_orders\":" + std::to_string(b.orders.size()) + "}");
    } else if (c == "account") {
      Reply("{\"ok\":true,\"balance\":" + Num(b.balance) + ",\"equity\":" + Num(b.Equity()) + ",\"margin\":" + Num(b.Margin()) + "}");
    } else if (c == "status") {
      Reply("{\"ok\":true,\"running\":" + std::string(g_running ? "true" : "false") + ",\"comment\":" + JsonStr(g_terminal.comment) +
            ",\"dropped\":" + std::to_string(g_dropped) + "}");
    } else if (c == "inputs") {
      Reply("{\"ok\":true,\"inputs\":" + JsonStr(MqlListInputs()) + "}");
    } else if (c == "handles") {
      Reply("{\"ok\":true,\"handles\":" + std::to_string(cb_handle_count()) + "}");
    } else if (c == "ping") {
      Reply("{\"ok\":true}");
    } else if (c == "login") {
      // the account's view switches at once; the EA is re-initialised later (REASON_ACCOUNT)
      MqlActivateAccount(std::stol(w.at(1)));
      g_inbox.clear();
      long delay = w.size() > 2 ? std::stol(w[2]) : 0;
      g_reinit_at = delay < 0 ? -1 : SteadyMs() + delay;
      Reply("{\"ok\":true}");
    } else if (c == "latency") {
      g_terminal.order_latency_ms = (int)D(1, 0);
      Reply("{\"ok\":true}");
    } else if (c == "globals") {
      std::string o = "{\"ok\":true,\"globals\":{";
      bool first = true;
      MqlWithGlobals([&](std::map<std::string, MqlGlobal> &v) {
        for (auto &g : v) {
          char v[64];
          std::snprintf(v, sizeof v, "%.17g", g.second.value);
          o += (first ? "" : ",") + JsonStr(g.first) + ":" + v;
          first = false;
        }
        return false;
      });
      Reply(o + "}}");
    } else if (c == "mqid") {
      g_terminal.mqid = w.at(1) == "on";
      Reply("{\"ok\":true}");
    } else if (c == "pushfail") {
      g_terminal.push_failures = (int)D(1, 1);
      Reply("{\"ok\":true}");
    } else if (c == "notifications") {
      std::string o = "{\"ok\":true,\"pushed\":[";
      for (size_t i = 0; i < g_terminal.pushed.size(); i++)
        o += (i ? "," : "") + std::string("{\"ms\":") + std::to_string(g_terminal.pushed[i].first) + ",\"text\":" + JsonStr(g_terminal.pushed[i].second) + "}";
      o += "],\"calls\":[";
      for (size_t i = 0; i < g_terminal.push_calls.size(); i++) o += (i ? "," : "") + std::to_string(g_terminal.push_calls[i]);
      Reply(o + "],\"refused\":" + std::to_string(g_terminal.push_refused) + "}");
    } else if (c == "chartchange") {
      StopEa(REASON_CHARTCHANGE);
      StartEa();
      Reply(std::string("{\"ok\":") + (g_running ? "true" : "false") + "}");
    } else if (c == "restart") {
      Restart();
    } else if (c == "quit") {
      StopEa(REASON_CLOSE);
      MqlCloseChart();
      Reply("{\"ok\":true}");
      return false;
    } else {
      ReplyError("unknown command " + c);
    }
  } catch (const std::exception &e) {
    ReplyError(std::string("bad command: ") + e.what());
  }
  return true;
}

bool EaBusy() { return SteadyMs() < g_busy_until; }

// Takes the server's new transactions into the terminal's queue, batch by batch.
void Collect() {
  fb::Broker &b = g_terminal.broker;
  while (!b.queue.empty()) {
    std::vector<fb::Tx> batch;
    ulong id = b.queue.front().batch;
    while (!b.queue.empty() && b.queue.front().batch == id) {
      batch.push_back(b.queue.front());
      b.queue.pop_front();
    }
    if (g_reorder > 0) std::shuffle(batch.begin(), batch.end(), b.rng);
    g_last_delivery_turn = std::max(g_last_delivery_turn, b.turn + b.Random(g_reorder));
    for (auto &tx : batch) g_inbox.push_back({g_last_delivery_turn, tx});
  }
  while (g_inbox.size() > g_queue_limit) {
    g_inbox.pop_front();
    g_dropped++;
  }
}

// Hands the EA every transaction that is due, unless it is busy.
void Deliver() {
  Collect();
  if (EaBusy()) return;
  fb::Broker &b = g_terminal.broker;
  while (!g_inbox.empty() && g_inbox.front().turn <= b.turn) {
    fb::Tx tx = g_inbox.front().tx;
    g_inbox.pop_front();
    if (g_running) OnTradeTransaction(tx.trans, tx.request, tx.result);
  }
}

}  // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  for (int i = 0; i < argc; i++) g_argv.push_back(argv[i]);
  fb::Broker &b = g_terminal.broker;
  std::string only, suffix, state;
  std::vector<std::pair<std::string, std::string>> renames, inputs;
  std::vector<std::pair<std::string, int>> stops;
  std::vector<std::pair<std::string, double>> ticks;
  int extra = 0;
  long tickets = 0;
  bool resume = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--account") inputs.push_back({"InpAccountName", next()});
    else if (a == "--login") b.login = std::stol(next());
    else if (a == "--server") b.server = next();
    else if (a == "--netting") b.hedging = false;
    else if (a == "--tickets") tickets = std::stol(next());
    else if (a == "--suffix") suffix = next();
    else if (a == "--rename") { std::string r = next(); size_t eq = r.find('='); renames.push_back({r.substr(0, eq), r.substr(eq + 1)}); }
    else if (a == "--symbols") only = next();
    else if (a == "--extra-symbols") extra = std::stoi(next());
    else if (a == "--files") g_terminal.files_dir = next();
    else if (a == "--terminal") g_terminal.terminal_dir = next();
    else if (a == "--chart-id") g_terminal.chart_id = std::stol(next());
    else if (a == "--clock-offset") g_terminal.clock_offset_ms = std::stol(next());
    else if (a == "--state") state = next();
    else if (a == "--resume") resume = true;
    else if (a == "--input") { std::string r = next(); size_t eq = r.find('='); inputs.push_back({r.substr(0, eq), r.substr(eq + 1)}); }
    else if (a == "--no-dlls") b.terminal_dlls = false;
    else if (a == "--no-ea-dlls") b.ea_dlls = false;
    else if (a == "--no-algo") b.terminal_algo = false;
    else if (a == "--no-mqid") g_terminal.mqid = false;
    else if (a == "--balance") b.balance = std::stod(next());
    else if (a == "--seed") b.rng.seed((ulong)std::stoull(next()));
    else if (a == "--reorder") g_reorder = std::stoi(next());
    else if (a == "--lag") b.lag = std::stoi(next());
    else if (a == "--queue-limit") g_queue_limit = (size_t)std::stoul(next());
    else if (a == "--stalls") g_stalls = std::stoi(next());
    else if (a == "--tick-grid") b.tick_grid = true;
    else if (a == "--fill-misreport") b.fill_misreport = true;
    else if (a == "--placed") b.place_turns = std::stoi(next());
    else if (a == "--cold-select") b.cold_turns = std::stoi(next());
    else if (a == "--feed-ms") b.feed_ms = std::stol(next());
    else if (a == "--stops-level") { std::string r = next(); size_t eq = r.find('='); stops.push_back({r.substr(0, eq), std::stoi(r.substr(eq + 1))}); }
    else if (a == "--tick-size") { std::string r = next(); size_t eq = r.find('='); ticks.push_back({r.substr(0, eq), std::stod(r.substr(eq + 1))}); }
    else if (a == "--live") { g_reorder = 20; b.lag = 20; g_stalls = 50; b.tick_grid = true; b.fill_misreport = true; b.place_turns = 10; b.cold_turns = 5; }
    else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
  }
  mkdir(g_terminal.files_dir.c_str(), 0755);
  g_state_path = state.empty() ? g_terminal.files_dir + "/broker.state" : state;
  if (tickets > 0) {
    b.next_order = (ulong)tickets + 1;
    b.next_deal = (ulong)tickets + 500001;
  }
  if (resume && b.Load(g_state_path)) {
    std::fprintf(stdout, "LOG terminal restarted: %zu positions, %zu deals on the account\n", b.positions.size(), b.deals.size());
  } else {
    SetupSymbols(b, only, suffix, renames, extra);
  }
  for (auto &st : stops) {
    fb::Symbol *s = b.FindSymbol(st.first);
    if (!s) { std::fprintf(stderr, "--stops-level: unknown symbol %s\n", st.first.c_str()); return 2; }
    s->stops_level = st.second;
  }
  for (auto &t : ticks) {
    fb::Symbol *s = b.FindSymbol(t.first);
    if (!s) { std::fprintf(stderr, "--tick-size: unknown symbol %s\n", t.first.c_str()); return 2; }
    s->tick_size = t.second;
  }
  b.RevealAll();
  g_chart_symbol = b.symbols.empty() ? std::string() : b.symbols[0].name;
  // chart IDs look like 133246248352168440: more than a double holds exactly
  if (g_terminal.chart_id == 0) g_terminal.chart_id = 116444736000000000L + fb::WallMs() * 10000 + getpid() % 10000;
  MqlOpenChart(g_chart_symbol.empty() ? std::string("-") : g_chart_symbol);
  for (auto &in : inputs)
    if (!MqlSetInput(in.first, in.second)) { std::fprintf(stderr, "unknown input %s\n", in.first.c_str()); return 2; }
  StartEa();

  std::string buffer;
  long next_timer = SteadyMs() + g_terminal.timer_ms;
  bool alive = true;
  bool stdin_open = true;
  while (alive) {
    // one turn of the terminal's event loop: the account view catches up, due transactions
    // reach the EA, then the timer
    b.Advance();
    Deliver();
    long now = SteadyMs();
    if (g_reinit_at >= 0 && now >= g_reinit_at) {
      g_reinit_at = -1;
      StopEa(REASON_ACCOUNT);
      StartEa();
    }
    if (g_running && g_terminal.timer_ms > 0 && now >= next_timer && !EaBusy()) {
      // The EA's own time for what this timer event did (read the hub, parse, checks, OrderSend
      // into the stand-in broker), on this thread's CPU clock: said when it sent an order.
      ulong orders = b.next_order;
      struct timespec c0, c1;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
      OnTimer();
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
      if (b.next_order != orders)
        std::fprintf(stdout, "PERF ontimer cpu_us=%ld orders=%lu\n", (c1.tv_sec - c0.tv_sec) * 1000000L + (c1.tv_nsec - c0.tv_nsec) / 1000, (unsigned long)(b.next_order - orders));
      if (g_stalls > 0 && b.Random(19) == 0) g_busy_until = SteadyMs() + b.Random(g_stalls);
      // a new timer event is not queued while one is pending: no catching up
      next_timer = std::max(next_timer + g_terminal.timer_ms, SteadyMs());
      continue;
    }
    int wait = 50;
    if (g_running && g_terminal.timer_ms > 0) wait = (int)std::max(0L, std::min<long>(50, next_timer - now));
    // turns go on while something is on its way
    if (!g_inbox.empty() || b.Revealing()) wait = std::min(wait, 1);
    if (!stdin_open) {
      usleep((useconds_t)wait * 1000);
      continue;
    }
    struct pollfd pfd = {0, POLLIN, 0};
    int r = poll(&pfd, 1, wait);
    if (r > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
      char chunk[4096];
      ssize_t n = read(0, chunk, sizeof chunk);
      if (n <= 0) {
        // Jest went away: behave like a terminal being closed
        StopEa(REASON_CLOSE);
        MqlCloseChart();
        break;
      }
      buffer.append(chunk, (size_t)n);
      size_t nl;
      while (alive && (nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        alive = Command(line);
        // transactions due now reach the EA before the next command
        Deliver();
      }
    }
  }
  std::fflush(stdout);
  return 0;
}
