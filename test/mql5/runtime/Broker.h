// Broker.h - a fake trade server behind the MQL5 stand-in.
//
// One account, hedging or netting; symbols with digits, volume limits, filling modes, trade
// mode and stops level; market execution at the current bid/ask; the checks a real server makes
// (volume, filling, stops, money, trade mode, market open, algo trading) with their retcodes;
// injectable failures (requote, price changed, ...); SL/TP and stop-out closes; and for every
// trade the documented sequence of trade transactions (order add, deal add, order delete,
// history add, then the request for requests sent from this terminal), one batch per request,
// handed to the terminal (harness.cpp), which delivers them to OnTradeTransaction.
//
// What the terminal shows of the account (positions, deals and orders in history) is a view
// that may lag behind the server: with `lag` > 0 every change becomes visible a seeded random
// number of turns (event-loop turns of the terminal, or Sleep calls of the EA) later: the
// position list, the deals and the orders in history each on their own, each in the order the
// server made the changes
// ("OrderSend": the response may come before the deal, the history order and the position are
// visible; "OnTradeTransaction": the account state may not yet reflect a transaction).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "MQL5.h"

namespace fb {

struct Symbol {
  std::string name;
  int digits = 5;
  double point = 0.00001;
  double contract = 100000;
  double vmin = 0.01, vstep = 0.01, vmax = 100, vlimit = 0;
  int filling = 3;  // SYMBOL_FILLING_MODE mask
  int trade_mode = SYMBOL_TRADE_MODE_FULL;
  int exec_mode = SYMBOL_TRADE_EXECUTION_MARKET;
  int stops_level = 0, freeze_level = 0;
  bool selected = false;
  bool market_open = true;
  double bid = 0, ask = 0;
  long time_msc = 0;  // server time
  // SYMBOL_TRADE_TICK_SIZE: the price grid; 0 means the point (index CFDs and futures differ)
  double tick_size = 0;
  // the quote feed has stopped (a quiet market, a lost feed): the last tick grows old
  bool frozen = false;
  // with cold selection: no quote reaches the terminal before this turn
  long quote_turn = 0;
  double Tick() const { return tick_size > 0 ? tick_size : point; }
};

// A market order under exchange execution: accepted (TRADE_RETCODE_PLACED), filled later.
struct PlacedOrder {
  long turn = 0;
  ulong ticket = 0;
  MqlTradeRequest request;
};

struct Position {
  ulong ticket = 0, identifier = 0;
  std::string symbol;
  int type = POSITION_TYPE_BUY;
  double volume = 0, price_open = 0, sl = 0, tp = 0;
  long magic = 0;
  std::string comment;
  long time_msc = 0, update_msc = 0;
  int reason = POSITION_REASON_CLIENT;
};

struct Deal {
  ulong ticket = 0, order = 0, position_id = 0;
  std::string symbol;
  int type = DEAL_TYPE_BUY, entry = DEAL_ENTRY_IN, reason = DEAL_REASON_CLIENT;
  double volume = 0, price = 0, profit = 0, sl = 0, tp = 0;
  long magic = 0;
  std::string comment;
  long time_msc = 0;
};

struct Order {
  ulong ticket = 0, position_id = 0, position_by_id = 0;
  std::string symbol;
  int type = ORDER_TYPE_BUY, state = ORDER_STATE_FILLED, reason = ORDER_REASON_CLIENT, filling = ORDER_FILLING_FOK;
  double volume = 0, price = 0, sl = 0, tp = 0;
  long magic = 0;
  std::string comment;
  long setup_msc = 0, done_msc = 0;
  // pending orders: the stop-limit price and the expiry (ORDER_TYPE_TIME, expiration in server seconds)
  double stoplimit = 0;
  int type_time = ORDER_TIME_GTC;
  long expiration = 0;
};

struct Tx {
  ulong batch = 0;  // one trade request (or server action) = one batch of transactions
  MqlTradeTransaction trans;
  MqlTradeRequest request;
  MqlTradeResult result;
};

enum Source { FROM_EXPERT, FROM_CLIENT, FROM_SERVER };

inline long WallMs() {
  return (long)std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Broker {
 public:
  // account
  long login = 1000;
  std::string server = "FakeBroker-Demo", company = "Fake Broker Ltd", currency = "USD", name = "Fake Trader";
  bool hedging = true;
  double balance = 100000;
  int leverage = 100;
  long server_offset_sec = 2 * 3600;  // trade server clock: UTC+2, like most brokers
  // permissions
  bool terminal_algo = true, ea_algo = true, terminal_dlls = true, ea_dlls = true, account_trade_expert = true, account_trade_allowed = true;
  bool connected = true;
  // state
  std::vector<Symbol> symbols;
  std::vector<Position> positions;
  std::vector<Deal> deals;
  std::vector<Order> orders;
  // the pending orders waiting for their price (OrdersTotal); a filled or removed one moves to orders
  std::vector<Order> pending;
  ulong next_order = 10001, next_deal = 510001;
  uint next_request_id = 1;
  std::deque<Tx> queue;
  ulong next_batch = 1;
  std::deque<uint> failures;  // retcodes returned to the next expert requests
  double slip_points = 0;     // fill this many points worse than the quote (expert requests)
  // ---- order execution as unkind as a real server, each on its own (harness.cpp options)
  // prices and stops must lie on the tick grid (SYMBOL_TRADE_TICK_SIZE), not only on the digits
  bool tick_grid = false;
  // a symbol whose flags say FOK and IOC fills IOC only (a broker's misconfigured flags): 10030
  bool fill_misreport = false;
  // > 0: a market order of an expert under exchange execution is placed (10008) and filled up
  // to this many turns later
  int place_turns = 0;
  std::vector<PlacedOrder> placed;
  // > 0: a symbol the terminal had not selected gets its first quote up to this many turns
  // after SymbolSelect
  int cold_turns = 0;
  // the feed sends a new tick of every symbol (same prices, new time) this often; 0: never
  long feed_ms = 1000;

  long ServerMs() const { return WallMs() + server_offset_sec * 1000; }

  // ---------------------------------------------------------------------------- the terminal's view
  std::mt19937_64 rng{1};
  int lag = 0;    // at most this many turns until a change is visible; 0: at once
  long turn = 0;  // advanced by the terminal's event loop and by Sleep
  // positions, deals and history orders each catch up on their own, in the order the server
  // changed them
  std::deque<std::pair<long, std::vector<Position>>> position_revisions;
  std::deque<std::pair<long, size_t>> deal_revisions, order_revisions;
  std::vector<Position> seen_positions;
  size_t seen_deals = 0, seen_orders = 0;
  long last_position_turn = 0, last_deal_turn = 0, last_order_turn = 0;

  long Random(long max) { return max <= 0 ? 0 : (long)(rng() % (ulong)(max + 1)); }
  long Later(long &last) { return last = std::max(last, turn + Random(lag)); }
  // Called after every change of positions, deals or orders.
  void Publish() {
    if (lag <= 0) return;
    position_revisions.push_back({Later(last_position_turn), positions});
    deal_revisions.push_back({Later(last_deal_turn), deals.size()});
    order_revisions.push_back({Later(last_order_turn), orders.size()});
    Reveal();
  }
  template <typename T, typename V> void RevealOne(std::deque<std::pair<long, T>> &q, V &seen) {
    while (!q.empty() && q.front().first <= turn) {
      seen = std::move(q.front().second);
      q.pop_front();
    }
  }
  void Reveal() {
    RevealOne(position_revisions, seen_positions);
    RevealOne(deal_revisions, seen_deals);
    RevealOne(order_revisions, seen_orders);
  }
  void Advance() {
    turn++;
    FillPlaced();
    Feed();
    Reveal();
  }
  void Feed() {
    if (feed_ms <= 0) return;
    long now = ServerMs();
    for (auto &s : symbols)
      if (!s.frozen && s.time_msc > 0 && now - s.time_msc >= feed_ms) s.time_msc = now;
  }
  bool Revealing() const { return !position_revisions.empty() || !deal_revisions.empty() || !order_revisions.empty(); }
  // Everything the server did is visible now (start-up, restart).
  void RevealAll() {
    position_revisions.clear();
    deal_revisions.clear();
    order_revisions.clear();
    seen_positions = positions;
    seen_deals = deals.size();
    seen_orders = orders.size();
  }
  std::vector<Position> &VisiblePositions() { return lag > 0 ? seen_positions : positions; }
  Position *VisiblePosition(ulong ticket) {
    for (auto &p : VisiblePositions())
      if (p.ticket == ticket) return &p;
    return nullptr;
  }
  Position *VisibleNettingPosition(const std::string &symbol) {
    for (auto &p : VisiblePositions())
      if (p.symbol == symbol) return &p;
    return nullptr;
  }
  size_t VisibleDeals() const { return lag > 0 ? seen_deals : deals.size(); }
  size_t VisibleOrders() const { return lag > 0 ? seen_orders : orders.size(); }
  const Deal *VisibleDeal(ulong ticket) const {
    for (size_t i = 0; i < VisibleDeals(); i++)
      if (deals[i].ticket == ticket) return &deals[i];
    return nullptr;
  }
  const Order *VisibleOrder(ulong ticket) const {
    for (size_t i = 0; i < VisibleOrders(); i++)
      if (orders[i].ticket == ticket) return &orders[i];
    return nullptr;
  }

  Symbol *FindSymbol(const std::string &name) {
    for (auto &s : symbols)
      if (s.name == name) return &s;
    return nullptr;
  }
  Position *FindPosition(ulong ticket) {
    for (auto &p : positions)
      if (p.ticket == ticket) return &p;
    return nullptr;
  }
  Position *NettingPosition(const std::string &symbol) {
    for (auto &p : positions)
      if (p.symbol == symbol) return &p;
    return nullptr;
  }
  const Deal *FindDeal(ulong ticket) const {
    for (auto &d : deals)
      if (d.ticket == ticket) return &d;
    return nullptr;
  }
  Order *FindPending(ulong ticket) {
    for (auto &o : pending)
      if (o.ticket == ticket) return &o;
    return nullptr;
  }
  const Order *FindOrder(ulong ticket) const {
    for (auto &o : orders)
      if (o.ticket == ticket) return &o;
    return nullptr;
  }

  double Round(double v, int digits) const {
    double m = std::pow(10.0, digits);
    return std::round(v * m + (v >= 0 ? 1e-9 : -1e-9)) / m;
  }
  bool IsNormalized(double v, int digits) const { return std::fabs(v - Round(v, digits)) < 1e-9; }
  // on the symbol's price grid: its digits, and with tick_grid its tick size
  bool OnGrid(double v, const Symbol &s) const {
    if (v == 0) return true;
    if (!IsNormalized(v, s.digits)) return false;
    if (!tick_grid) return true;
    double steps = v / s.Tick();
    return std::fabs(steps - std::round(steps)) < 1e-6;
  }
  // SYMBOL_FILLING_MODE as the server applies it
  int ServerFilling(const Symbol &s) const {
    return fill_misreport && s.filling == (SYMBOL_FILLING_FOK | SYMBOL_FILLING_IOC) ? SYMBOL_FILLING_IOC : s.filling;
  }
  // the filling policies by execution mode ("Symbol Properties", SYMBOL_FILLING_MODE): request
  // and instant execution take any; market execution FOK and IOC as the flags say, never Return;
  // exchange execution FOK and IOC as the flags say, Return always
  bool FillAllowed(const Symbol &s, int filling) const {
    int mask = ServerFilling(s);
    bool flagged = (filling == ORDER_FILLING_FOK && (mask & SYMBOL_FILLING_FOK)) || (filling == ORDER_FILLING_IOC && (mask & SYMBOL_FILLING_IOC));
    switch (s.exec_mode) {
      case SYMBOL_TRADE_EXECUTION_REQUEST:
      case SYMBOL_TRADE_EXECUTION_INSTANT: return filling == ORDER_FILLING_FOK || filling == ORDER_FILLING_IOC || filling == ORDER_FILLING_RETURN;
      case SYMBOL_TRADE_EXECUTION_EXCHANGE: return flagged || filling == ORDER_FILLING_RETURN;
      default: return flagged;
    }
  }

  double Profit(const Position &p, double volume, double price) const {
    Symbol *s = const_cast<Broker *>(this)->FindSymbol(p.symbol);
    double contract = s ? s->contract : 100000;
    double diff = p.type == POSITION_TYPE_BUY ? price - p.price_open : p.price_open - price;
    return diff * volume * contract;
  }
  double Floating() {
    double f = 0;
    for (auto &p : positions) {
      Symbol *s = FindSymbol(p.symbol);
      if (!s) continue;
      f += Profit(p, p.volume, p.type == POSITION_TYPE_BUY ? s->bid : s->ask);
    }
    return f;
  }
  double Margin() {
    double m = 0;
    for (auto &p : positions) {
      Symbol *s = FindSymbol(p.symbol);
      if (s) m += p.volume * s->contract * p.price_open / leverage;
    }
    return m;
  }
  double Equity() { return balance + Floating(); }

  // ---------------------------------------------------------------------------- quotes
  void SetQuote(const std::string &symbol, double bid, double ask) {
    Symbol *s = FindSymbol(symbol);
    if (!s) return;
    s->bid = Round(std::round(bid / s->Tick()) * s->Tick(), s->digits);
    s->ask = Round(std::round(ask / s->Tick()) * s->Tick(), s->digits);
    s->time_msc = ServerMs();
    CheckPending(symbol);
    CheckStops(symbol);
  }
  // SL and TP are executed by the server at the market price that crossed them
  void CheckStops(const std::string &symbol) {
    Symbol *s = FindSymbol(symbol);
    if (!s) return;
    for (size_t guard = 0; guard < 1000; guard++) {
      ulong hit = 0;
      int reason = 0;
      for (auto &p : positions) {
        if (p.symbol != symbol) continue;
        double price = p.type == POSITION_TYPE_BUY ? s->bid : s->ask;
        bool buy = p.type == POSITION_TYPE_BUY;
        if (p.sl > 0 && (buy ? price <= p.sl : price >= p.sl)) { hit = p.ticket; reason = DEAL_REASON_SL; break; }
        if (p.tp > 0 && (buy ? price >= p.tp : price <= p.tp)) { hit = p.ticket; reason = DEAL_REASON_TP; break; }
      }
      if (!hit) return;
      Position *p = FindPosition(hit);
      char comment[64];
      std::snprintf(comment, sizeof comment, "[%s %.*f]", reason == DEAL_REASON_SL ? "sl" : "tp", s->digits, reason == DEAL_REASON_SL ? p->sl : p->tp);
      ServerClose(hit, reason, comment);
    }
  }
  // a close the server makes on its own (SL, TP, stop-out)
  bool ServerClose(ulong ticket, int reason, const std::string &comment) {
    Position *p = FindPosition(ticket);
    if (!p) return false;
    MqlTradeRequest r;
    ZeroMemory(r);
    r.action = TRADE_ACTION_DEAL;
    r.symbol = MqlString(p->symbol);
    r.volume = p->volume;
    r.type = p->type == POSITION_TYPE_BUY ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
    r.position = p->ticket;
    r.magic = (ulong)p->magic;
    r.comment = MqlString(comment);
    r.type_filling = ORDER_FILLING_IOC;
    MqlTradeResult res;
    ZeroMemory(res);
    Execute(r, res, FROM_SERVER, reason);
    return res.retcode == TRADE_RETCODE_DONE;
  }

  // ---------------------------------------------------------------------------- requests
  uint Fail(MqlTradeResult &res, uint retcode, const char *comment, Symbol *s = nullptr) {
    res.retcode = retcode;
    res.comment = comment;
    if (s) { res.bid = s->bid; res.ask = s->ask; }
    return retcode;
  }

  // Validates and executes one request. source: expert (OrderSend), client (the user) or server.
  uint Execute(const MqlTradeRequest &req, MqlTradeResult &res, Source source, int server_reason = 0) {
    uint rc = Execute_(req, res, source, server_reason);
    next_batch++;
    if (rc == TRADE_RETCODE_DONE) Publish();
    return rc;
  }
  // accepts a market order under exchange execution: the order waits in the market
  uint Place(const MqlTradeRequest &req, MqlTradeResult &res, Symbol *s) {
    PlacedOrder p;
    p.turn = turn + 1 + Random(place_turns);
    p.ticket = next_order++;
    p.request = req;
    placed.push_back(p);
    res.retcode = TRADE_RETCODE_PLACED;
    res.order = p.ticket;
    res.volume = req.volume;
    res.bid = s->bid;
    res.ask = s->ask;
    res.comment = "Order placed";
    Tx a = MakeTx(TRADE_TRANSACTION_ORDER_ADD);
    a.trans.order = p.ticket;
    a.trans.symbol = req.symbol;
    a.trans.order_type = req.type;
    a.trans.order_state = ORDER_STATE_PLACED;
    a.trans.volume = req.volume;
    queue.push_back(a);
    QueueRequestTx(req, res);
    return res.retcode;
  }
  // the exchange fills placed orders at the market price when their turn comes
  void FillPlaced() {
    for (size_t i = 0; i < placed.size();) {
      if (placed[i].turn > turn) { i++; continue; }
      PlacedOrder p = placed[i];
      placed.erase(placed.begin() + (long)i);
      MqlTradeResult res;
      ZeroMemory(res);
      uint rc = Deal_(p.request, res, FROM_EXPERT, 0, p.ticket);
      if (rc != TRADE_RETCODE_DONE) {
        // the order is canceled: in the history, without a deal
        Order &o = NewOrder(p.request.symbol.utf8(), p.request.type, p.request.volume, 0, p.request, ORDER_REASON_EXPERT, p.ticket);
        o.state = ORDER_STATE_CANCELED;
        Tx h = MakeTx(TRADE_TRANSACTION_HISTORY_ADD);
        h.trans.order = o.ticket;
        h.trans.symbol = p.request.symbol;
        h.trans.order_state = ORDER_STATE_CANCELED;
        queue.push_back(h);
      }
      next_batch++;
      Publish();
    }
  }
  uint Execute_(const MqlTradeRequest &req, MqlTradeResult &res, Source source, int server_reason) {
    ZeroMemory(res);
    res.request_id = next_request_id++;
    if (!connected) return Fail(res, TRADE_RETCODE_CONNECTION, "No connection");
    if (source == FROM_EXPERT && !(terminal_algo && ea_algo)) return Fail(res, TRADE_RETCODE_CLIENT_DISABLES_AT, "AutoTrading disabled by client");
    if (source == FROM_EXPERT && !account_trade_expert) return Fail(res, TRADE_RETCODE_SERVER_DISABLES_AT, "AutoTrading disabled by server");
    switch (req.action) {
      case TRADE_ACTION_DEAL: return Deal_(req, res, source, server_reason);
      case TRADE_ACTION_SLTP: return Sltp(req, res, source);
      case TRADE_ACTION_CLOSE_BY: return CloseBy(req, res, source);
      case TRADE_ACTION_PENDING: return PlacePending(req, res);
      case TRADE_ACTION_MODIFY: return ModifyPending(req, res);
      case TRADE_ACTION_REMOVE: return RemovePending(req, res);
      default: return Fail(res, TRADE_RETCODE_INVALID, "Invalid request");
    }
  }

  bool StopsValid(const Symbol &s, bool buy, double sl, double tp) const {
    double bid = s.bid, ask = s.ask;
    double dist = s.stops_level * s.point;
    // stops of a buy are checked against bid, of a sell against ask
    double ref = buy ? bid : ask;
    if (sl > 0 && (buy ? sl > ref - dist - 1e-12 : sl < ref + dist + 1e-12)) return false;
    if (tp > 0 && (buy ? tp < ref + dist - 1e-12 : tp > ref - dist + 1e-12)) return false;
    return true;
  }

  Tx MakeTx(ENUM_TRADE_TRANSACTION_TYPE type) {
    Tx t;
    t.batch = next_batch;
    ZeroMemory(t.trans);
    ZeroMemory(t.request);
    ZeroMemory(t.result);
    t.trans.type = type;
    return t;
  }

  void QueueOrderTxs(const Order &o, const std::vector<const Deal *> &ds, const MqlTradeRequest *req, const MqlTradeResult *res, bool with_add = true) {
    Tx a = MakeTx(TRADE_TRANSACTION_ORDER_ADD);
    a.trans.order = o.ticket;
    a.trans.symbol = MqlString(o.symbol);
    a.trans.order_type = (ENUM_ORDER_TYPE)o.type;
    a.trans.order_state = ORDER_STATE_STARTED;
    a.trans.volume = o.volume;
    a.trans.price = o.price;
    a.trans.position = o.position_id;
    a.trans.position_by = o.position_by_id;
    if (with_add) queue.push_back(a);
    for (const Deal *d : ds) {
      Tx t = MakeTx(TRADE_TRANSACTION_DEAL_ADD);
      t.trans.deal = d->ticket;
      t.trans.order = d->order;
      t.trans.symbol = MqlString(d->symbol);
      t.trans.deal_type = (ENUM_DEAL_TYPE)d->type;
      t.trans.price = d->price;
      t.trans.volume = d->volume;
      t.trans.position = d->position_id;
      // close by: the opposite position ("Trade transaction structure": position_by)
      if (d->entry == DEAL_ENTRY_OUT_BY) t.trans.position_by = d->position_id == o.position_id ? o.position_by_id : o.position_id;
      t.trans.price_sl = d->sl;
      t.trans.price_tp = d->tp;
      queue.push_back(t);
    }
    Tx del = a;
    del.trans.type = TRADE_TRANSACTION_ORDER_DELETE;
    del.trans.order_state = ORDER_STATE_FILLED;
    queue.push_back(del);
    Tx hist = a;
    hist.trans.type = TRADE_TRANSACTION_HISTORY_ADD;
    hist.trans.order_state = ORDER_STATE_FILLED;
    queue.push_back(hist);
    if (req && res) QueueRequestTx(*req, *res);
  }
  void QueueRequestTx(const MqlTradeRequest &req, const MqlTradeResult &res) {
    Tx r = MakeTx(TRADE_TRANSACTION_REQUEST);
    r.request = req;
    r.result = res;
    queue.push_back(r);
  }

  Order &NewOrder(const std::string &symbol, int type, double volume, double price, const MqlTradeRequest &req, int reason, ulong ticket = 0) {
    Order o;
    o.ticket = ticket ? ticket : next_order++;
    o.symbol = symbol;
    o.type = type;
    o.volume = volume;
    o.price = price;
    o.sl = req.sl;
    o.tp = req.tp;
    o.magic = (long)req.magic;
    o.comment = req.comment.utf8().substr(0, 31);
    o.reason = reason;
    o.filling = req.type_filling;
    o.setup_msc = o.done_msc = ServerMs();
    orders.push_back(o);
    return orders.back();
  }
  const Deal &NewDeal(const Order &o, ulong position_id, int type, int entry, double volume, double price, int reason, double profit, long magic,
                      const std::string &comment, double sl, double tp) {
    Deal d;
    d.ticket = next_deal++;
    d.order = o.ticket;
    d.position_id = position_id;
    d.symbol = o.symbol;
    d.type = type;
    d.entry = entry;
    d.volume = volume;
    d.price = price;
    d.reason = reason;
    d.profit = profit;
    d.magic = magic;
    d.comment = comment.substr(0, 31);
    d.sl = sl;
    d.tp = tp;
    d.time_msc = o.done_msc;
    balance += profit;
    deals.push_back(d);
    return deals.back();
  }

  // fill_order: the ticket of a placed order the exchange fills now (checked when it was placed)
  uint Deal_(const MqlTradeRequest &req, MqlTradeResult &res, Source source, int server_reason, ulong fill_order = 0) {
    std::string symbol = req.symbol.utf8();
    Symbol *s = FindSymbol(symbol);
    if (!s) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: unknown symbol");
    bool buy = req.type == ORDER_TYPE_BUY;
    if (req.type != ORDER_TYPE_BUY && req.type != ORDER_TYPE_SELL) return Fail(res, TRADE_RETCODE_INVALID_ORDER, "Invalid order type");
    if (!s->market_open && source != FROM_SERVER) return Fail(res, TRADE_RETCODE_MARKET_CLOSED, "Market closed", s);
    if (s->bid <= 0 || s->ask <= 0) return Fail(res, TRADE_RETCODE_PRICE_OFF, "Off quotes", s);
    // what does this deal do to the account?
    Position *target = nullptr;
    if (req.position) {
      target = FindPosition(req.position);
      if (!target) return Fail(res, TRADE_RETCODE_POSITION_CLOSED, "Position closed");
      if (target->symbol != symbol) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: position of another symbol");
      if (hedging && (target->type == POSITION_TYPE_BUY) == buy) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: same direction as the position");
      if (hedging && req.volume > target->volume + 1e-9) return Fail(res, TRADE_RETCODE_INVALID_CLOSE_VOLUME, "Invalid close volume");
    } else if (!hedging) {
      target = NettingPosition(symbol);
    }
    bool opening = !target || (!hedging && (target->type == POSITION_TYPE_BUY) == buy) || (!hedging && !req.position && req.volume > target->volume + 1e-9);
    bool filling = fill_order != 0;
    if (source != FROM_SERVER && !filling) {
      if (s->trade_mode == SYMBOL_TRADE_MODE_DISABLED) return Fail(res, TRADE_RETCODE_TRADE_DISABLED, "Trade disabled", s);
      if (opening && s->trade_mode == SYMBOL_TRADE_MODE_CLOSEONLY) return Fail(res, TRADE_RETCODE_CLOSE_ONLY, "Close only", s);
      if (opening && s->trade_mode == SYMBOL_TRADE_MODE_LONGONLY && !buy) return Fail(res, TRADE_RETCODE_LONG_ONLY, "Long only", s);
      if (opening && s->trade_mode == SYMBOL_TRADE_MODE_SHORTONLY && buy) return Fail(res, TRADE_RETCODE_SHORT_ONLY, "Short only", s);
      // volume
      double steps = req.volume / s->vstep;
      if (req.volume < s->vmin - 1e-9 || req.volume > s->vmax + 1e-9 || std::fabs(steps - std::round(steps)) > 1e-6)
        return Fail(res, TRADE_RETCODE_INVALID_VOLUME, "Invalid volume", s);
      if (!FillAllowed(*s, req.type_filling)) return Fail(res, TRADE_RETCODE_INVALID_FILL, "Unsupported filling mode", s);
      // prices on the grid; stops also outside the stops level
      if (req.price > 0 && !OnGrid(req.price, *s)) return Fail(res, TRADE_RETCODE_INVALID_PRICE, "Invalid price", s);
      if (!OnGrid(req.sl, *s) || !OnGrid(req.tp, *s)) return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", s);
      if (opening && !StopsValid(*s, buy, req.sl, req.tp)) return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", s);
    }
    if (source == FROM_EXPERT && !filling && !failures.empty()) {
      uint rc = failures.front();
      failures.pop_front();
      const char *text = rc == TRADE_RETCODE_REQUOTE ? "Requote" : rc == TRADE_RETCODE_PRICE_CHANGED ? "Prices changed" : rc == TRADE_RETCODE_PRICE_OFF ? "Off quotes" : "Rejected";
      return Fail(res, rc, text, s);
    }
    if (source == FROM_EXPERT && !filling && place_turns > 0 && s->exec_mode == SYMBOL_TRADE_EXECUTION_EXCHANGE) return Place(req, res, s);
    double price = buy ? s->ask : s->bid;
    if (source == FROM_EXPERT && slip_points != 0) price = Round(price + (buy ? 1 : -1) * slip_points * s->point, s->digits);
    int reason = source == FROM_EXPERT ? DEAL_REASON_EXPERT : source == FROM_CLIENT ? DEAL_REASON_CLIENT : server_reason;
    if (opening && source != FROM_SERVER && !filling) {
      double need = req.volume * s->contract * price / leverage;
      if (need > Equity() - Margin() + 1e-9) return Fail(res, TRADE_RETCODE_NO_MONEY, "No money", s);
    }
    std::string comment = req.comment.utf8();
    int otype = buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
    int dtype = buy ? DEAL_TYPE_BUY : DEAL_TYPE_SELL;
    Order &o = NewOrder(symbol, otype, req.volume, price, req, reason, fill_order);
    const Deal *deal = nullptr;
    long now = o.done_msc;
    if (!target) {
      // a new position; its identifier is the ticket of the order that opened it
      Position p;
      p.ticket = p.identifier = o.ticket;
      p.symbol = symbol;
      p.type = buy ? POSITION_TYPE_BUY : POSITION_TYPE_SELL;
      p.volume = req.volume;
      p.price_open = price;
      p.sl = req.sl;
      p.tp = req.tp;
      p.magic = (long)req.magic;
      p.comment = comment.substr(0, 31);
      p.time_msc = p.update_msc = now;
      p.reason = reason;
      o.position_id = p.identifier;
      positions.push_back(p);
      deal = &NewDeal(o, p.identifier, dtype, DEAL_ENTRY_IN, req.volume, price, reason, 0, (long)req.magic, comment, p.sl, p.tp);
    } else if ((target->type == POSITION_TYPE_BUY) == buy) {
      // netting: add to the position, volume-weighted price
      double v = target->volume + req.volume;
      target->price_open = Round((target->price_open * target->volume + price * req.volume) / v, s->digits + 3);
      target->volume = Round(v, 8);
      if (req.sl > 0) target->sl = req.sl;
      if (req.tp > 0) target->tp = req.tp;
      target->update_msc = now;
      o.position_id = target->identifier;
      deal = &NewDeal(o, target->identifier, dtype, DEAL_ENTRY_IN, req.volume, price, reason, 0, (long)req.magic, comment, target->sl, target->tp);
    } else if (req.volume <= target->volume + 1e-9) {
      // close in full or in part
      double profit = Profit(*target, req.volume, price);
      ulong id = target->identifier;
      o.position_id = id;
      double left = Round(target->volume - req.volume, 8);
      double sl = target->sl, tp = target->tp;
      if (left <= 1e-9) {
        ulong gone = target->ticket;
        positions.erase(std::remove_if(positions.begin(), positions.end(), [gone](const Position &p) { return p.ticket == gone; }), positions.end());
      } else {
        target->volume = left;
        target->update_msc = now;
      }
      deal = &NewDeal(o, id, dtype, DEAL_ENTRY_OUT, req.volume, price, reason, profit, (long)req.magic, comment, sl, tp);
    } else {
      // netting reversal: one deal, same identifier, other side
      double profit = Profit(*target, target->volume, price);
      double left = Round(req.volume - target->volume, 8);
      target->type = buy ? POSITION_TYPE_BUY : POSITION_TYPE_SELL;
      target->volume = left;
      target->price_open = price;
      target->sl = req.sl;
      target->tp = req.tp;
      target->update_msc = now;
      o.position_id = target->identifier;
      deal = &NewDeal(o, target->identifier, dtype, DEAL_ENTRY_INOUT, req.volume, price, reason, profit, (long)req.magic, comment, req.sl, req.tp);
    }
    res.retcode = TRADE_RETCODE_DONE;
    res.deal = deal->ticket;
    res.order = o.ticket;
    res.volume = req.volume;
    res.price = price;
    res.bid = s->bid;
    res.ask = s->ask;
    res.comment = "Request executed";
    Order copy = o;
    QueueOrderTxs(copy, {deal}, source == FROM_SERVER || filling ? nullptr : &req, &res, !filling);
    return res.retcode;
  }

  // ---------------------------------------------------------------------------- pending orders
  static bool IsPendingType(int t) { return t >= ORDER_TYPE_BUY_LIMIT && t <= ORDER_TYPE_SELL_STOP_LIMIT; }
  static bool IsBuyType(int t) { return t == ORDER_TYPE_BUY_LIMIT || t == ORDER_TYPE_BUY_STOP || t == ORDER_TYPE_BUY_STOP_LIMIT; }
  // the price that triggers an order of this type (buy orders watch the ask, sell orders the bid)
  static bool Triggered(int type, double price, const Symbol &s) {
    switch (type) {
      case ORDER_TYPE_BUY_LIMIT: return s.ask <= price + 1e-12;
      case ORDER_TYPE_SELL_LIMIT: return s.bid >= price - 1e-12;
      case ORDER_TYPE_BUY_STOP: case ORDER_TYPE_BUY_STOP_LIMIT: return s.ask >= price - 1e-12;
      case ORDER_TYPE_SELL_STOP: case ORDER_TYPE_SELL_STOP_LIMIT: return s.bid <= price + 1e-12;
    }
    return false;
  }
  Tx OrderTx(ENUM_TRADE_TRANSACTION_TYPE type, const Order &o, int state) {
    Tx t = MakeTx(type);
    t.trans.order = o.ticket;
    t.trans.symbol = MqlString(o.symbol);
    t.trans.order_type = (ENUM_ORDER_TYPE)o.type;
    t.trans.order_state = (ENUM_ORDER_STATE)state;
    t.trans.time_type = (ENUM_ORDER_TYPE_TIME)o.type_time;
    t.trans.time_expiration = o.expiration;
    t.trans.volume = o.volume;
    t.trans.price = o.price;
    t.trans.price_trigger = o.stoplimit;
    t.trans.price_sl = o.sl;
    t.trans.price_tp = o.tp;
    return t;
  }
  uint CheckTarget(const MqlTradeRequest &req, MqlTradeResult &res, int type, const Symbol &s) {
    if (!OnGrid(req.price, s) || (req.stoplimit > 0 && !OnGrid(req.stoplimit, s))) return Fail(res, TRADE_RETCODE_INVALID_PRICE, "Invalid price", const_cast<Symbol *>(&s));
    if (req.price <= 0 || Triggered(type, req.price, s)) return Fail(res, TRADE_RETCODE_INVALID_PRICE, "Invalid price", const_cast<Symbol *>(&s));
    if (!OnGrid(req.sl, s) || !OnGrid(req.tp, s)) return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", const_cast<Symbol *>(&s));
    bool buy = IsBuyType(type);
    double at = type >= ORDER_TYPE_BUY_STOP_LIMIT ? req.stoplimit : req.price;
    if ((req.sl > 0 && (buy ? req.sl >= at : req.sl <= at)) || (req.tp > 0 && (buy ? req.tp <= at : req.tp >= at)))
      return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", const_cast<Symbol *>(&s));
    if ((req.type_time == ORDER_TIME_SPECIFIED || req.type_time == ORDER_TIME_SPECIFIED_DAY) && req.expiration <= ServerMs() / 1000)
      return Fail(res, TRADE_RETCODE_INVALID_EXPIRATION, "Invalid expiration", const_cast<Symbol *>(&s));
    return TRADE_RETCODE_DONE;
  }
  uint PlacePending(const MqlTradeRequest &req, MqlTradeResult &res) {
    Symbol *s = FindSymbol(req.symbol.utf8());
    if (!s) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: unknown symbol");
    if (!IsPendingType(req.type)) return Fail(res, TRADE_RETCODE_INVALID_ORDER, "Invalid order type", s);
    if (s->trade_mode == SYMBOL_TRADE_MODE_DISABLED || s->trade_mode == SYMBOL_TRADE_MODE_CLOSEONLY) return Fail(res, TRADE_RETCODE_TRADE_DISABLED, "Trade disabled", s);
    double steps = req.volume / s->vstep;
    if (req.volume < s->vmin - 1e-9 || req.volume > s->vmax + 1e-9 || std::fabs(steps - std::round(steps)) > 1e-6)
      return Fail(res, TRADE_RETCODE_INVALID_VOLUME, "Invalid volume", s);
    uint rc = CheckTarget(req, res, req.type, *s);
    if (rc != TRADE_RETCODE_DONE) return rc;
    if (!failures.empty()) {
      rc = failures.front();
      failures.pop_front();
      return Fail(res, rc, "Rejected", s);
    }
    Order o;
    o.ticket = next_order++;
    o.symbol = s->name;
    o.type = req.type;
    o.state = ORDER_STATE_PLACED;
    o.reason = ORDER_REASON_EXPERT;
    o.filling = req.type_filling;
    o.volume = req.volume;
    o.price = req.price;
    o.stoplimit = req.stoplimit;
    o.sl = req.sl;
    o.tp = req.tp;
    o.magic = (long)req.magic;
    o.comment = req.comment.utf8().substr(0, 31);
    o.type_time = req.type_time;
    o.expiration = req.type_time == ORDER_TIME_SPECIFIED || req.type_time == ORDER_TIME_SPECIFIED_DAY ? (long)req.expiration : 0;
    o.setup_msc = ServerMs();
    pending.push_back(o);
    res.retcode = TRADE_RETCODE_DONE;
    res.order = o.ticket;
    res.volume = o.volume;
    res.price = o.price;
    res.bid = s->bid;
    res.ask = s->ask;
    res.comment = "Request executed";
    queue.push_back(OrderTx(TRADE_TRANSACTION_ORDER_ADD, o, ORDER_STATE_PLACED));
    QueueRequestTx(req, res);
    return res.retcode;
  }
  uint ModifyPending(const MqlTradeRequest &req, MqlTradeResult &res) {
    Order *o = FindPending(req.order);
    if (!o) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: order not found");
    Symbol *s = FindSymbol(o->symbol);
    if (!s) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request");
    uint rc = CheckTarget(req, res, o->type, *s);
    if (rc != TRADE_RETCODE_DONE) return rc;
    long expiration = req.type_time == ORDER_TIME_SPECIFIED || req.type_time == ORDER_TIME_SPECIFIED_DAY ? (long)req.expiration : 0;
    if (std::fabs(req.price - o->price) < 1e-12 && std::fabs(req.stoplimit - o->stoplimit) < 1e-12 && std::fabs(req.sl - o->sl) < 1e-12 &&
        std::fabs(req.tp - o->tp) < 1e-12 && req.type_time == o->type_time && expiration == o->expiration)
      return Fail(res, TRADE_RETCODE_NO_CHANGES, "No changes", s);
    o->price = req.price;
    o->stoplimit = req.stoplimit;
    o->sl = req.sl;
    o->tp = req.tp;
    o->type_time = req.type_time;
    o->expiration = expiration;
    res.retcode = TRADE_RETCODE_DONE;
    res.order = o->ticket;
    res.price = o->price;
    res.bid = s->bid;
    res.ask = s->ask;
    res.comment = "Request executed";
    queue.push_back(OrderTx(TRADE_TRANSACTION_ORDER_UPDATE, *o, ORDER_STATE_PLACED));
    QueueRequestTx(req, res);
    return res.retcode;
  }
  // moves a pending order to the history as canceled (removed by request, or expired)
  void CancelPending(ulong ticket, int state) {
    Order *o = FindPending(ticket);
    if (!o) return;
    Order done = *o;
    pending.erase(pending.begin() + (o - pending.data()));
    done.state = state;
    done.done_msc = ServerMs();
    orders.push_back(done);
    queue.push_back(OrderTx(TRADE_TRANSACTION_ORDER_DELETE, done, state));
    queue.push_back(OrderTx(TRADE_TRANSACTION_HISTORY_ADD, done, state));
  }
  uint RemovePending(const MqlTradeRequest &req, MqlTradeResult &res) {
    if (!FindPending(req.order)) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: order not found");
    CancelPending(req.order, ORDER_STATE_CANCELED);
    res.retcode = TRADE_RETCODE_DONE;
    res.order = req.order;
    res.comment = "Request executed";
    QueueRequestTx(req, res);
    return res.retcode;
  }
  // the server fills the orders the price reached, at their price (a stop at the market), and
  // turns a reached stop-limit into a limit order at its stop-limit price
  void CheckPending(const std::string &symbol) {
    Symbol *s = FindSymbol(symbol);
    if (!s) return;
    for (size_t i = 0; i < pending.size();) {
      Order o = pending[i];
      if (o.symbol != symbol || !Triggered(o.type, o.price, *s)) { i++; continue; }
      if (o.type == ORDER_TYPE_BUY_STOP_LIMIT || o.type == ORDER_TYPE_SELL_STOP_LIMIT) {
        Order &w = pending[i];
        w.type = o.type == ORDER_TYPE_BUY_STOP_LIMIT ? ORDER_TYPE_BUY_LIMIT : ORDER_TYPE_SELL_LIMIT;
        w.price = o.stoplimit;
        w.stoplimit = 0;
        queue.push_back(OrderTx(TRADE_TRANSACTION_ORDER_UPDATE, w, ORDER_STATE_PLACED));
        next_batch++;
        Publish();
        continue;
      }
      pending.erase(pending.begin() + (long)i);
      MqlTradeRequest r;
      ZeroMemory(r);
      r.action = TRADE_ACTION_DEAL;
      r.symbol = MqlString(o.symbol);
      r.volume = o.volume;
      r.type = IsBuyType(o.type) ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
      r.sl = o.sl;
      r.tp = o.tp;
      r.magic = (ulong)o.magic;
      r.comment = MqlString(o.comment);
      r.type_filling = ORDER_FILLING_RETURN;
      MqlTradeResult res;
      ZeroMemory(res);
      Deal_(r, res, FROM_SERVER, DEAL_REASON_EXPERT, o.ticket);
      // the history keeps the order as it was placed (its type and price), filled
      for (auto &h : orders)
        if (h.ticket == o.ticket) { h.type = o.type; h.price = o.price; h.setup_msc = o.setup_msc; h.type_time = o.type_time; h.expiration = o.expiration; }
      for (auto &t : queue)
        if (t.trans.order == o.ticket && t.trans.type != TRADE_TRANSACTION_DEAL_ADD) { t.trans.order_type = (ENUM_ORDER_TYPE)o.type; t.trans.price = o.price; }
      next_batch++;
      Publish();
    }
  }

  uint Sltp(const MqlTradeRequest &req, MqlTradeResult &res, Source source) {
    Position *p = FindPosition(req.position);
    if (!p) return Fail(res, TRADE_RETCODE_POSITION_CLOSED, "Position closed");
    Symbol *s = FindSymbol(p->symbol);
    if (!s) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request");
    if (s->trade_mode == SYMBOL_TRADE_MODE_DISABLED) return Fail(res, TRADE_RETCODE_TRADE_DISABLED, "Trade disabled", s);
    if (!OnGrid(req.sl, *s) || !OnGrid(req.tp, *s)) return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", s);
    if (std::fabs(req.sl - p->sl) < 1e-12 && std::fabs(req.tp - p->tp) < 1e-12) return Fail(res, TRADE_RETCODE_NO_CHANGES, "No changes", s);
    if (!StopsValid(*s, p->type == POSITION_TYPE_BUY, req.sl, req.tp)) return Fail(res, TRADE_RETCODE_INVALID_STOPS, "Invalid stops", s);
    if (source == FROM_EXPERT && !failures.empty()) {
      uint rc = failures.front();
      failures.pop_front();
      return Fail(res, rc, "Rejected", s);
    }
    p->sl = req.sl;
    p->tp = req.tp;
    p->update_msc = ServerMs();
    res.retcode = TRADE_RETCODE_DONE;
    res.comment = "Request executed";
    res.bid = s->bid;
    res.ask = s->ask;
    Tx t = MakeTx(TRADE_TRANSACTION_POSITION);
    t.trans.position = p->ticket;
    t.trans.symbol = MqlString(p->symbol);
    t.trans.price = p->price_open;
    t.trans.price_sl = p->sl;
    t.trans.price_tp = p->tp;
    t.trans.volume = p->volume;
    queue.push_back(t);
    QueueRequestTx(req, res);
    return res.retcode;
  }

  uint CloseBy(const MqlTradeRequest &req, MqlTradeResult &res, Source source) {
    if (!hedging) return Fail(res, TRADE_RETCODE_INVALID, "Close by is for hedging accounts");
    Position *a = FindPosition(req.position);
    Position *b = FindPosition(req.position_by);
    if (!a || !b) return Fail(res, TRADE_RETCODE_POSITION_CLOSED, "Position closed");
    if (a->symbol != b->symbol || a->type == b->type) return Fail(res, TRADE_RETCODE_INVALID, "Invalid request: close by needs opposite positions of one symbol");
    Symbol *s = FindSymbol(a->symbol);
    if (!s->market_open) return Fail(res, TRADE_RETCODE_MARKET_CLOSED, "Market closed", s);
    if (source == FROM_EXPERT && !failures.empty()) {
      uint rc = failures.front();
      failures.pop_front();
      return Fail(res, rc, "Rejected", s);
    }
    double volume = std::min(a->volume, b->volume);
    int reason = source == FROM_EXPERT ? DEAL_REASON_EXPERT : DEAL_REASON_CLIENT;
    // the close-by order: its position is a, its opposite position b; deals at a's and b's open prices
    MqlTradeRequest oreq = req;
    oreq.comment = MqlString("close #" + std::to_string(a->ticket) + " by #" + std::to_string(b->ticket));
    Order &o = NewOrder(a->symbol, ORDER_TYPE_CLOSE_BY, volume, b->price_open, oreq, reason);
    o.position_id = a->identifier;
    o.position_by_id = b->identifier;
    Order copy = o;
    double pa = b->price_open;  // a is closed at the price of b and vice versa
    double pb = a->price_open;
    ulong ida = a->identifier, idb = b->identifier;
    int ta = a->type, tb = b->type;
    double profit_a = Profit(*a, volume, pa), profit_b = Profit(*b, volume, pb);
    double sla = a->sl, tpa = a->tp, slb = b->sl, tpb = b->tp;
    long magic_a = a->magic, magic_b = b->magic;
    std::string ca = a->comment, cb = b->comment;
    a->volume = Round(a->volume - volume, 8);
    b->volume = Round(b->volume - volume, 8);
    positions.erase(std::remove_if(positions.begin(), positions.end(), [](const Position &p) { return p.volume <= 1e-9; }), positions.end());
    const Deal &da = NewDeal(copy, ida, ta == POSITION_TYPE_BUY ? DEAL_TYPE_SELL : DEAL_TYPE_BUY, DEAL_ENTRY_OUT_BY, volume, pa, reason, profit_a, magic_a, ca, sla, tpa);
    ulong da_ticket = da.ticket;
    const Deal &db = NewDeal(copy, idb, tb == POSITION_TYPE_BUY ? DEAL_TYPE_SELL : DEAL_TYPE_BUY, DEAL_ENTRY_OUT_BY, volume, pb, reason, profit_b, magic_b, cb, slb, tpb);
    res.retcode = TRADE_RETCODE_DONE;
    res.order = copy.ticket;
    res.deal = da_ticket;
    res.volume = volume;
    res.price = pa;
    res.bid = s->bid;
    res.ask = s->ask;
    res.comment = "Request executed";
    QueueOrderTxs(copy, {FindDeal(da_ticket), &db}, &req, &res);
    return res.retcode;
  }

  // ---------------------------------------------------------------------------- persistence
  // Everything a terminal restart must keep: the trade server's state does not restart.
  static std::string Esc(const std::string &s) {
    std::string o;
    for (char c : s) o += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
    return o.empty() ? std::string("-") : o;
  }
  static std::string Unesc(const std::string &s) { return s == "-" ? std::string() : s; }
  void Save(const std::string &path) {
    std::ofstream f(path);
    f.precision(17);
    f << "account\t" << login << '\t' << (hedging ? 1 : 0) << '\t' << balance << '\t' << next_order << '\t' << next_deal << '\t' << server_offset_sec << '\t'
      << terminal_algo << '\t' << ea_algo << '\n';
    for (auto &s : symbols)
      f << "symbol\t" << s.name << '\t' << s.digits << '\t' << s.point << '\t' << s.contract << '\t' << s.vmin << '\t' << s.vstep << '\t' << s.vmax << '\t'
        << s.filling << '\t' << s.trade_mode << '\t' << s.stops_level << '\t' << s.freeze_level << '\t' << s.selected << '\t' << s.market_open << '\t' << s.bid
        << '\t' << s.ask << '\t' << s.time_msc << '\t' << s.exec_mode << '\t' << s.tick_size << '\n';
    for (auto &p : positions)
      f << "position\t" << p.ticket << '\t' << p.identifier << '\t' << p.symbol << '\t' << p.type << '\t' << p.volume << '\t' << p.price_open << '\t' << p.sl
        << '\t' << p.tp << '\t' << p.magic << '\t' << Esc(p.comment) << '\t' << p.time_msc << '\t' << p.update_msc << '\t' << p.reason << '\n';
    for (auto &d : deals)
      f << "deal\t" << d.ticket << '\t' << d.order << '\t' << d.position_id << '\t' << d.symbol << '\t' << d.type << '\t' << d.entry << '\t' << d.reason << '\t'
        << d.volume << '\t' << d.price << '\t' << d.profit << '\t' << d.sl << '\t' << d.tp << '\t' << d.magic << '\t' << Esc(d.comment) << '\t' << d.time_msc
        << '\n';
    for (auto &o : orders)
      f << "order\t" << o.ticket << '\t' << o.position_id << '\t' << o.position_by_id << '\t' << o.symbol << '\t' << o.type << '\t' << o.state << '\t'
        << o.reason << '\t' << o.filling << '\t' << o.volume << '\t' << o.price << '\t' << o.sl << '\t' << o.tp << '\t' << o.magic << '\t' << Esc(o.comment)
        << '\t' << o.setup_msc << '\t' << o.done_msc << '\n';
    for (auto &o : pending)
      f << "pending\t" << o.ticket << '\t' << o.symbol << '\t' << o.type << '\t' << o.filling << '\t' << o.volume << '\t' << o.price << '\t' << o.stoplimit
        << '\t' << o.sl << '\t' << o.tp << '\t' << o.magic << '\t' << Esc(o.comment) << '\t' << o.setup_msc << '\t' << o.type_time << '\t' << o.expiration
        << '\t' << o.reason << '\n';
  }
  bool Load(const std::string &path) {
    std::ifstream f(path);
    if (!f) return false;
    symbols.clear();
    positions.clear();
    deals.clear();
    orders.clear();
    pending.clear();
    std::string line;
    while (std::getline(f, line)) {
      std::vector<std::string> c;
      std::stringstream ss(line);
      std::string part;
      while (std::getline(ss, part, '\t')) c.push_back(part);
      if (c.empty()) continue;
      auto D = [&](size_t i) { return std::stod(c.at(i)); };
      auto L = [&](size_t i) { return std::stol(c.at(i)); };
      auto U = [&](size_t i) { return (ulong)std::stoull(c.at(i)); };
      if (c[0] == "account") {
        login = L(1); hedging = L(2) != 0; balance = D(3); next_order = U(4); next_deal = U(5); server_offset_sec = L(6);
        terminal_algo = L(7) != 0; ea_algo = L(8) != 0;
      } else if (c[0] == "symbol") {
        Symbol s;
        s.name = c.at(1); s.digits = (int)L(2); s.point = D(3); s.contract = D(4); s.vmin = D(5); s.vstep = D(6); s.vmax = D(7); s.filling = (int)L(8);
        s.trade_mode = (int)L(9); s.stops_level = (int)L(10); s.freeze_level = (int)L(11); s.selected = L(12) != 0; s.market_open = L(13) != 0;
        s.bid = D(14); s.ask = D(15); s.time_msc = L(16);
        if (c.size() > 18) { s.exec_mode = (int)L(17); s.tick_size = D(18); }
        symbols.push_back(s);
      } else if (c[0] == "position") {
        Position p;
        p.ticket = U(1); p.identifier = U(2); p.symbol = c.at(3); p.type = (int)L(4); p.volume = D(5); p.price_open = D(6); p.sl = D(7); p.tp = D(8);
        p.magic = L(9); p.comment = Unesc(c.at(10)); p.time_msc = L(11); p.update_msc = L(12); p.reason = (int)L(13);
        positions.push_back(p);
      } else if (c[0] == "deal") {
        Deal d;
        d.ticket = U(1); d.order = U(2); d.position_id = U(3); d.symbol = c.at(4); d.type = (int)L(5); d.entry = (int)L(6); d.reason = (int)L(7);
        d.volume = D(8); d.price = D(9); d.profit = D(10); d.sl = D(11); d.tp = D(12); d.magic = L(13); d.comment = Unesc(c.at(14)); d.time_msc = L(15);
        deals.push_back(d);
      } else if (c[0] == "pending") {
        Order o;
        o.ticket = U(1); o.symbol = c.at(2); o.type = (int)L(3); o.filling = (int)L(4); o.volume = D(5); o.price = D(6); o.stoplimit = D(7); o.sl = D(8);
        o.tp = D(9); o.magic = L(10); o.comment = Unesc(c.at(11)); o.setup_msc = L(12); o.type_time = (int)L(13); o.expiration = L(14);
        o.reason = (int)L(15); o.state = ORDER_STATE_PLACED;
        pending.push_back(o);
      } else if (c[0] == "order") {
        Order o;
        o.ticket = U(1); o.position_id = U(2); o.position_by_id = U(3); o.symbol = c.at(4); o.type = (int)L(5); o.state = (int)L(6); o.reason = (int)L(7);
        o.filling = (int)L(8); o.volume = D(9); o.price = D(10); o.sl = D(11); o.tp = D(12); o.magic = L(13); o.comment = Unesc(c.at(14));
        o.setup_msc = L(15); o.done_msc = L(16);
        orders.push_back(o);
      }
    }
    return true;
  }
};

}  // namespace fb
