//+------------------------------------------------------------------+
//| Ea.mqh - the CopyBridge Expert Advisor: one class, every role    |
//|                                                                  |
//| The hub decides, the EA executes. The EA says hello, learns its  |
//| role from the welcome, sends symbol specs, a full snapshot and   |
//| heartbeats, reports every deal and SL/TP change, streams ticks   |
//| of the symbols the hub watches and, on a slave, executes open,   |
//| close, close_by and modify commands, answering each with a       |
//| result. See docs/protocol.md for every message.                  |
//+------------------------------------------------------------------+
#ifndef CB_EA_MQH
#define CB_EA_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Bridge.mqh"
#include "Journal.mqh"
#include "Trade.mqh"

//--- what the hub told this terminal to be
enum ENUM_CB_ROLE
  {
   CB_ROLE_UNKNOWN=0,
   CB_ROLE_MASTER=1,
   CB_ROLE_SLAVE=2,
   CB_ROLE_DISABLED=3
  };

#define CB_HELLO_INTERVAL_MS        1000
#define CB_HELLO_AFTER_ERROR_MS     10000
#define CB_REOPEN_INTERVAL_MS       5000
#define CB_TICK_MIN_INTERVAL_MS     100
#define CB_SYMBOLS_PER_MESSAGE      200
#define CB_MAX_SNAPSHOT_POSITIONS   3500
#define CB_SENT_DEALS_RING          128
#define CB_STATUS_INTERVAL_MS       250
#define CB_CLOSE_DEVIATION_POINTS   1000000

class CCopyBridgeEA
  {
private:
   //--- parts
   CCbBridge         m_bridge;
   CCbJournal        m_journal;
   CCbClock          m_clock;
   CCbTrader         m_trader;
   CJsonReader       m_in;
   CJsonWriter       m_out;
   //--- settings
   string            m_account;
   string            m_push_endpoint;
   string            m_sub_endpoint;
   string            m_server_key;
   string            m_client_public;
   string            m_client_secret;
   long              m_magic_input;
   int               m_timer_ms;
   //--- session
   bool              m_started;
   long              m_seq;
   int               m_role;
   bool              m_welcomed;
   long              m_magic;
   int               m_heartbeat_ms;
   int               m_snapshot_ms;
   string            m_hub_version;
   string            m_margin_mode;
   int               m_hello_interval_ms;
   int               m_hellos;
   long              m_last_hello_ms;
   long              m_last_heartbeat_ms;
   long              m_last_snapshot_ms;
   long              m_last_rx_ms;
   long              m_welcome_ms;
   long              m_last_open_try_ms;
   long              m_snapshot_due_ms;
   string            m_hub_error;
   bool              m_trade_allowed;
   long              m_hub_seq;
   bool              m_hello_due;
   //--- watched symbols
   CB_ARRAY(string,  m_watch);
   CB_ARRAY(double,  m_watch_bid);
   CB_ARRAY(double,  m_watch_ask);
   CB_ARRAY(long,    m_watch_sent_ms);
   int               m_watch_count;
   //--- deals already reported
   ulong             m_sent_deals[CB_SENT_DEALS_RING];
   int               m_sent_deal_next;
   //--- chart status
   string            m_last_event;
   long              m_last_latency_ms;
   long              m_commands;
   long              m_deals_sent;
   string            m_status_text;
   long              m_status_ms;

   //+---------------------------------------------------------------+
   //| helpers                                                       |
   //+---------------------------------------------------------------+
   string            RoleName(const int role) const
     {
      if(role==CB_ROLE_MASTER)
         return("master");
      if(role==CB_ROLE_SLAVE)
         return("slave");
      if(role==CB_ROLE_DISABLED)
         return("disabled");
      return("unknown");
     }
   string            MarginModeName(void)
     {
      long mode=AccountInfoInteger(ACCOUNT_MARGIN_MODE);
      if(mode==ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
         return("hedging");
      if(mode==ACCOUNT_MARGIN_MODE_EXCHANGE)
         return("exchange");
      return("netting");
     }
   string            SideName(const bool buy) const { return(buy ? "buy" : "sell"); }
   string            ReasonName(const long reason) const
     {
      switch((int)reason)
        {
         case DEAL_REASON_CLIENT:
            return("client");
         case DEAL_REASON_MOBILE:
            return("mobile");
         case DEAL_REASON_WEB:
            return("web");
         case DEAL_REASON_EXPERT:
            return("expert");
         case DEAL_REASON_SL:
            return("sl");
         case DEAL_REASON_TP:
            return("tp");
         case DEAL_REASON_SO:
            return("so");
         case DEAL_REASON_ROLLOVER:
            return("rollover");
         case DEAL_REASON_VMARGIN:
            return("vmargin");
         case DEAL_REASON_SPLIT:
            return("split");
        }
      return("other");
     }
   string            EntryName(const long entry) const
     {
      if(entry==DEAL_ENTRY_IN)
         return("in");
      if(entry==DEAL_ENTRY_OUT)
         return("out");
      if(entry==DEAL_ENTRY_INOUT)
         return("inout");
      if(entry==DEAL_ENTRY_OUT_BY)
         return("out_by");
      return("");
     }
   string            TradeModeName(const long mode) const
     {
      if(mode==SYMBOL_TRADE_MODE_DISABLED)
         return("disabled");
      if(mode==SYMBOL_TRADE_MODE_LONGONLY)
         return("longonly");
      if(mode==SYMBOL_TRADE_MODE_SHORTONLY)
         return("shortonly");
      if(mode==SYMBOL_TRADE_MODE_CLOSEONLY)
         return("closeonly");
      return("full");
     }
   int               SymbolDigits(const string symbol)
     {
      long d=SymbolInfoInteger(symbol,SYMBOL_DIGITS);
      if(d<=0 || d>10)
         return(8);
      return((int)d);
     }
   //--- POSITION_IDENTIFIER of an open position, 0 when it is not open
   ulong             IdentifierOf(const ulong ticket)
     {
      if(ticket==0 || !PositionSelectByTicket(ticket))
         return(0);
      return((ulong)PositionGetInteger(POSITION_IDENTIFIER));
     }
   //--- every copy this EA made carries the magic number (the hub's, or the input)
   bool              IsOurCopy(const ulong ticket)
     {
      if(!PositionSelectByTicket(ticket))
         return(false);
      string master="";
      string position="";
      if(m_journal.MasterOf((ulong)PositionGetInteger(POSITION_IDENTIFIER),master,position))
         return(true);
      if(m_magic>0 && PositionGetInteger(POSITION_MAGIC)==m_magic)
         return(true);
      return(CbCommentPosition(PositionGetString(POSITION_COMMENT))!="");
     }
   int               OpenCopies(void)
     {
      int n=0;
      int total=PositionsTotal();
      for(int i=0; i<total; i++)
        {
         ulong t=PositionGetTicket(i);
         if(t==0)
            continue;
         string master="";
         string position="";
         if(m_journal.MasterOf((ulong)PositionGetInteger(POSITION_IDENTIFIER),master,position) || (m_magic>0 && PositionGetInteger(POSITION_MAGIC)==m_magic))
            n++;
        }
      return(n);
     }

   //+---------------------------------------------------------------+
   //| permissions                                                   |
   //+---------------------------------------------------------------+
   //--- "" when the EA may call the DLL, else exactly what to tick
   string            DllProblem(void)
     {
      string what="";
      if(!(bool)TerminalInfoInteger(TERMINAL_DLLS_ALLOWED))
         what="in the terminal: Tools > Options > Expert Advisors, tick 'Allow DLL imports'";
      if(!(bool)MQLInfoInteger(MQL_DLLS_ALLOWED))
        {
         if(what!="")
            what+="; and ";
         what+="on the chart: open the EA's properties (F7), Dependencies tab (Common tab in older terminals), tick 'Allow DLL imports'";
        }
      return(what);
     }
   //--- "" when the EA may trade, else exactly what to enable
   string            TradeProblem(void)
     {
      string what="";
      if(!(bool)TerminalInfoInteger(TERMINAL_TRADE_ALLOWED))
         what="press the 'Algo Trading' button on the terminal's toolbar (it turns green)";
      if(!(bool)MQLInfoInteger(MQL_TRADE_ALLOWED))
        {
         if(what!="")
            what+="; and ";
         what+="open the EA's properties (F7 on the chart), Common tab, tick 'Allow Algo Trading'";
        }
      if(!(bool)AccountInfoInteger(ACCOUNT_TRADE_EXPERT))
        {
         if(what!="")
            what+="; and ";
         what+="the broker does not allow Expert Advisors to trade on this account";
        }
      if(!(bool)AccountInfoInteger(ACCOUNT_TRADE_ALLOWED))
        {
         if(what!="")
            what+="; and ";
         what+="trading is disabled for this account (investor password or blocked account)";
        }
      return(what);
     }
   void              CheckTradeAllowed(const bool announce)
     {
      string problem=TradeProblem();
      bool allowed=(problem=="");
      if(allowed!=m_trade_allowed || announce)
        {
         if(!allowed)
            CbLogWarn("algo trading is off: "+problem+". A master still reports its trades; a slave cannot copy until this is fixed.");
         else
            if(!announce)
               CbLogEvent("algo trading is on again");
        }
      m_trade_allowed=allowed;
     }

   //+---------------------------------------------------------------+
   //| sending                                                       |
   //+---------------------------------------------------------------+
   void              Envelope(const string type)
     {
      m_seq++;
      m_out.Begin();
      m_out.Int("v",CB_PROTOCOL_VERSION);
      m_out.Str("type",type);
      m_out.Str("account",m_account);
      m_out.Int("seq",m_seq);
      m_out.Int("ts",m_clock.NowMs());
     }
   bool              Flush(void)
     {
      string json=m_out.Finish();
      CbLogDebug("-> "+json);
      return(m_bridge.Send(json));
     }
   void              SendHello(void)
     {
      m_margin_mode=MarginModeName();
      m_trader.SetHedging(m_margin_mode=="hedging");
      Envelope("hello");
      m_out.Int("login",AccountInfoInteger(ACCOUNT_LOGIN));
      m_out.Str("server",AccountInfoString(ACCOUNT_SERVER));
      m_out.Str("broker",AccountInfoString(ACCOUNT_COMPANY));
      m_out.Str("currency",AccountInfoString(ACCOUNT_CURRENCY));
      m_out.Str("margin_mode",m_margin_mode);
      m_out.Str("ea_version",CB_EA_VERSION);
      Flush();
      m_hellos++;
      m_last_hello_ms=m_clock.NowMs();
      if(m_hellos==1)
         CbLogEvent("hello sent to "+m_push_endpoint+" as \""+m_account+"\"; waiting for the hub's welcome");
      else
         if(m_hellos%30==0)
            CbLogWarn("no welcome from the hub after "+IntegerToString(m_hellos)+" hellos: is the hub running and are "+m_push_endpoint+" and "+m_sub_endpoint+" its PULL and PUB endpoints?");
     }
   void              SendHeartbeat(void)
     {
      Envelope("heartbeat");
      m_out.Num("balance",AccountInfoDouble(ACCOUNT_BALANCE),2);
      m_out.Num("equity",AccountInfoDouble(ACCOUNT_EQUITY),2);
      m_out.Num("margin",AccountInfoDouble(ACCOUNT_MARGIN),2);
      m_out.Num("free_margin",AccountInfoDouble(ACCOUNT_MARGIN_FREE),2);
      m_out.Bool("trade_allowed",m_trade_allowed);
      Flush();
      m_last_heartbeat_ms=m_clock.NowMs();
     }
   void              SendSymbols(void)
     {
      int total=SymbolsTotal(false);
      int sent=0;
      int chunk=0;
      bool first=true;
      for(int i=0; i<total; i++)
        {
         string name=SymbolName(i,false);
         if(name=="")
            continue;
         if(chunk==0)
           {
            Envelope("symbols");
            m_out.Bool("replace",first);
            m_out.BeginArray("symbols");
            first=false;
           }
         m_out.BeginObject();
         m_out.Str("name",name);
         m_out.Int("digits",SymbolInfoInteger(name,SYMBOL_DIGITS));
         m_out.Num("point",SymbolInfoDouble(name,SYMBOL_POINT),10);
         m_out.Num("volume_min",SymbolInfoDouble(name,SYMBOL_VOLUME_MIN),8);
         m_out.Num("volume_step",SymbolInfoDouble(name,SYMBOL_VOLUME_STEP),8);
         m_out.Num("volume_max",SymbolInfoDouble(name,SYMBOL_VOLUME_MAX),8);
         m_out.Num("volume_limit",SymbolInfoDouble(name,SYMBOL_VOLUME_LIMIT),8);
         m_out.Num("contract_size",SymbolInfoDouble(name,SYMBOL_TRADE_CONTRACT_SIZE),8);
         m_out.Int("filling_modes",SymbolInfoInteger(name,SYMBOL_FILLING_MODE));
         m_out.Str("trade_mode",TradeModeName(SymbolInfoInteger(name,SYMBOL_TRADE_MODE)));
         m_out.Int("stops_level",SymbolInfoInteger(name,SYMBOL_TRADE_STOPS_LEVEL));
         m_out.Int("freeze_level",SymbolInfoInteger(name,SYMBOL_TRADE_FREEZE_LEVEL));
         m_out.EndObject();
         chunk++;
         sent++;
         if(chunk>=CB_SYMBOLS_PER_MESSAGE)
           {
            Flush();
            chunk=0;
           }
        }
      if(chunk>0 || first)
        {
         if(first)
           {
            Envelope("symbols");
            m_out.Bool("replace",true);
            m_out.BeginArray("symbols");
           }
         Flush();
        }
      CbLogEvent("symbol specs sent: "+IntegerToString(sent)+" symbols");
     }
   void              SendSnapshot(void)
     {
      Envelope("snapshot");
      m_out.Str("margin_mode",m_margin_mode);
      m_out.BeginArray("positions");
      int total=PositionsTotal();
      int n=0;
      for(int i=0; i<total && n<CB_MAX_SNAPSHOT_POSITIONS; i++)
        {
         ulong ticket=PositionGetTicket(i);
         if(ticket==0)
            continue;
         string symbol=PositionGetString(POSITION_SYMBOL);
         ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
         int digits=SymbolDigits(symbol);
         m_out.BeginObject();
         m_out.Str("ticket",CbTicketString(ticket));
         m_out.Str("position",CbTicketString(identifier));
         m_out.Str("symbol",symbol);
         m_out.Str("side",SideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY));
         m_out.Num("volume",PositionGetDouble(POSITION_VOLUME),8);
         m_out.Num("price_open",PositionGetDouble(POSITION_PRICE_OPEN),digits);
         m_out.Num("sl",PositionGetDouble(POSITION_SL),digits);
         m_out.Num("tp",PositionGetDouble(POSITION_TP),digits);
         m_out.Int("magic",PositionGetInteger(POSITION_MAGIC));
         m_out.Str("comment",PositionGetString(POSITION_COMMENT));
         m_out.Int("time_ms",m_clock.ServerMsToUtc(PositionGetInteger(POSITION_TIME_MSC)));
         string master="";
         string mpos="";
         if(m_journal.MasterOf(identifier,master,mpos))
           {
            m_out.Str("master",master);
            m_out.Str("master_position",mpos);
           }
         m_out.EndObject();
         n++;
        }
      if(total>CB_MAX_SNAPSHOT_POSITIONS)
         CbLogError("SendSnapshot",IntegerToString(total)+" positions open; only the first "+IntegerToString(CB_MAX_SNAPSHOT_POSITIONS)+" fit in one message");
      m_out.EndArray();
      Flush();
      m_last_snapshot_ms=m_clock.NowMs();
      m_snapshot_due_ms=0;
      CbLogDebug("snapshot sent: "+IntegerToString(n)+" positions");
     }
   void              SendResult(const string cmd_id,CbOutcome &o)
     {
      Envelope("result");
      m_out.Str("cmd_id",cmd_id);
      m_out.Str("status",o.status);
      m_out.Int("retcode",o.retcode);
      m_out.Str("message",StringSubstr(o.message,0,500));
      if(o.ticket>0)
         m_out.Str("ticket",CbTicketString(o.ticket));
      if(o.position>0)
         m_out.Str("position",CbTicketString(o.position));
      if(o.deal>0)
         m_out.Str("deal",CbTicketString(o.deal));
      if(o.price>0.0)
         m_out.Num("price",o.price,o.digits);
      if(o.volume>0.0)
         m_out.Num("volume",o.volume,8);
      if(o.has_remaining)
         m_out.Num("remaining_volume",o.remaining,8);
      Flush();
     }

   //+---------------------------------------------------------------+
   //| trade events of this account                                  |
   //+---------------------------------------------------------------+
   bool              DealAlreadySent(const ulong deal)
     {
      for(int i=0; i<CB_SENT_DEALS_RING; i++)
         if(m_sent_deals[i]==deal)
            return(true);
      m_sent_deals[m_sent_deal_next]=deal;
      m_sent_deal_next=(m_sent_deal_next+1)%CB_SENT_DEALS_RING;
      return(false);
     }
   void              ReportDeal(const ulong deal)
     {
      ResetLastError();
      if(!HistoryDealSelect(deal))
        {
         int err=GetLastError();
         CbLogError("HistoryDealSelect","deal #"+CbTicketString(deal)+": "+CbErrorText(err)+" ("+IntegerToString(err)+"); the next snapshot carries the change");
         m_snapshot_due_ms=m_clock.NowMs();
         return;
        }
      long type=HistoryDealGetInteger(deal,DEAL_TYPE);
      if(type!=DEAL_TYPE_BUY && type!=DEAL_TYPE_SELL)
         return;
      if(DealAlreadySent(deal))
         return;
      string entry=EntryName(HistoryDealGetInteger(deal,DEAL_ENTRY));
      if(entry=="")
         return;
      ulong position=(ulong)HistoryDealGetInteger(deal,DEAL_POSITION_ID);
      ulong order=(ulong)HistoryDealGetInteger(deal,DEAL_ORDER);
      string symbol=HistoryDealGetString(deal,DEAL_SYMBOL);
      int digits=SymbolDigits(symbol);
      double volume=HistoryDealGetDouble(deal,DEAL_VOLUME);
      double price=HistoryDealGetDouble(deal,DEAL_PRICE);
      string reason=ReasonName(HistoryDealGetInteger(deal,DEAL_REASON));
      //--- the position after the deal
      double position_volume=0.0;
      double sl=0.0;
      double tp=0.0;
      string position_side="";
      ulong ticket=m_trader.TicketOfPosition(position);
      if(ticket>0 && PositionSelectByTicket(ticket))
        {
         position_volume=PositionGetDouble(POSITION_VOLUME);
         sl=PositionGetDouble(POSITION_SL);
         tp=PositionGetDouble(POSITION_TP);
         position_side=SideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
        }
      //--- close by: the opposite position is on the close-by order
      string position_by="";
      if(entry=="out_by" && order>0 && HistoryOrderSelect(order))
        {
         ulong a=(ulong)HistoryOrderGetInteger(order,ORDER_POSITION_ID);
         ulong b=(ulong)HistoryOrderGetInteger(order,ORDER_POSITION_BY_ID);
         ulong other=(a==position ? b : a);
         if(other>0)
            position_by=CbTicketString(other);
        }
      Envelope("deal");
      m_out.Str("deal",CbTicketString(deal));
      if(order>0)
         m_out.Str("order",CbTicketString(order));
      m_out.Str("position",CbTicketString(position));
      if(position_by!="")
         m_out.Str("position_by",position_by);
      m_out.Str("symbol",symbol);
      m_out.Str("side",SideName(type==DEAL_TYPE_BUY));
      m_out.Str("entry",entry);
      m_out.Num("volume",volume,8);
      m_out.Num("price",price,digits);
      m_out.Num("sl",sl,digits);
      m_out.Num("tp",tp,digits);
      m_out.Int("magic",HistoryDealGetInteger(deal,DEAL_MAGIC));
      m_out.Str("comment",HistoryDealGetString(deal,DEAL_COMMENT));
      m_out.Str("reason",reason);
      m_out.Int("time_ms",m_clock.ServerMsToUtc(HistoryDealGetInteger(deal,DEAL_TIME_MSC)));
      m_out.Num("position_volume",position_volume,8);
      if(position_side!="")
         m_out.Str("position_side",position_side);
      Flush();
      m_deals_sent++;
      string line="deal #"+CbTicketString(deal)+" "+entry+" "+SideName(type==DEAL_TYPE_BUY)+" "+JsonNumber(volume,8)+" "+symbol+" @ "+DoubleToString(price,digits)+
                  ", position #"+CbTicketString(position)+(position_by!="" ? " by #"+position_by : "")+" now "+JsonNumber(position_volume,8)+" lots ("+reason+")";
      CbLogEvent(line+" -> hub");
      m_last_event=line;
     }
   void              ReportPosition(const ulong position,const string symbol)
     {
      ulong ticket=m_trader.TicketOfPosition(position);
      if(ticket==0 || !PositionSelectByTicket(ticket))
         return;
      int digits=SymbolDigits(symbol);
      double sl=PositionGetDouble(POSITION_SL);
      double tp=PositionGetDouble(POSITION_TP);
      Envelope("position");
      m_out.Str("position",CbTicketString(position));
      m_out.Str("symbol",PositionGetString(POSITION_SYMBOL));
      m_out.Str("side",SideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY));
      m_out.Num("volume",PositionGetDouble(POSITION_VOLUME),8);
      m_out.Num("sl",sl,digits);
      m_out.Num("tp",tp,digits);
      Flush();
      string line="position #"+CbTicketString(position)+" "+symbol+" SL "+DoubleToString(sl,digits)+" TP "+DoubleToString(tp,digits);
      CbLogEvent(line+" -> hub");
      m_last_event=line;
     }

   //+---------------------------------------------------------------+
   //| ticks of watched symbols                                      |
   //+---------------------------------------------------------------+
   void              SendTicks(void)
     {
      if(m_watch_count==0)
         return;
      long now=m_clock.NowMs();
      for(int i=0; i<m_watch_count; i++)
        {
         if(now-m_watch_sent_ms[i]<CB_TICK_MIN_INTERVAL_MS)
            continue;
         MqlTick tick;
         if(!SymbolInfoTick(m_watch[i],tick))
            continue;
         if(tick.bid==m_watch_bid[i] && tick.ask==m_watch_ask[i])
            continue;
         int digits=SymbolDigits(m_watch[i]);
         Envelope("tick");
         m_out.Str("symbol",m_watch[i]);
         m_out.Num("bid",tick.bid,digits);
         m_out.Num("ask",tick.ask,digits);
         m_out.Int("time_ms",m_clock.ServerMsToUtc(tick.time_msc));
         Flush();
         m_watch_bid[i]=tick.bid;
         m_watch_ask[i]=tick.ask;
         m_watch_sent_ms[i]=now;
        }
     }

   //+---------------------------------------------------------------+
   //| chart status                                                  |
   //+---------------------------------------------------------------+
   void              UpdateStatus(const bool force)
     {
      long now=m_clock.NowMs();
      if(!force && now-m_status_ms<CB_STATUS_INTERVAL_MS)
         return;
      m_status_ms=now;
      string connection;
      if(!m_bridge.IsOpen())
         connection="NOT CONNECTED (bridge not open, retrying)";
      else
         if(m_hub_error!="")
            connection="ERROR "+m_hub_error;
         else
            if(!m_welcomed)
               connection="waiting for the hub ("+IntegerToString(m_hellos)+" hello sent to "+m_push_endpoint+")";
            else
               connection="connected, last message "+IntegerToString((now-m_last_rx_ms)/1000)+" s ago";
      string dropped="";
      long sd=m_bridge.SendDropped();
      long rd=m_bridge.RecvDropped();
      if(sd>0 || rd>0)
         dropped="   DROPPED: "+IntegerToString(sd)+" sent, "+IntegerToString(rd)+" received";
      string text="CopyBridge "+CbVersion()+"  account "+m_account+" ("+m_margin_mode+")\n"+
                  "Hub: "+connection+"\n"+
                  "Role: "+RoleName(m_role)+(m_magic>0 ? ", magic "+IntegerToString(m_magic) : "")+(m_trade_allowed ? "" : "  ALGO TRADING OFF")+"\n"+
                  "Open copies: "+IntegerToString(OpenCopies())+"   commands: "+IntegerToString(m_commands)+"   deals sent: "+IntegerToString(m_deals_sent)+"\n"+
                  "Last latency: "+(m_last_latency_ms>=0 ? IntegerToString(m_last_latency_ms)+" ms" : "-")+dropped+"\n"+
                  "Last: "+(m_last_event!="" ? m_last_event : "-")+
                  (m_trade_allowed ? "" : "\nALGO TRADING OFF: "+TradeProblem());
      if(text!=m_status_text)
        {
         m_status_text=text;
         Comment(text);
        }
     }

   //+---------------------------------------------------------------+
   //| commands (slave)                                              |
   //+---------------------------------------------------------------+
   //--- ticket of the open copy of a master position: journal first, then magic + comment
   ulong             FindCopy(const string master,const string master_position,const long magic,const string comment)
     {
      ulong id=m_journal.FindCopy(master,master_position);
      while(id>0)
        {
         ulong live=m_trader.TicketOfPosition(id);
         if(live>0)
            return(live);
         m_journal.RecordGone(id);
         id=m_journal.FindCopy(master,master_position);
        }
      ulong t=m_trader.FindByComment(magic,comment);
      if(t==0)
         t=m_trader.FindByComment(magic,CbCopyComment(master,master_position));
      if(t>0)
        {
         CbLogEvent("copy of "+master+"#"+master_position+" found by magic and comment: position #"+CbTicketString(t)+" (recorded in the journal)");
         m_journal.RecordCopy(master,master_position,IdentifierOf(t));
        }
      return(t);
     }
   //--- copies closed while the EA was away are dropped from the journal
   void              ForgetClosedCopies(void)
     {
      for(int i=m_journal.CopyCount()-1; i>=0; i--)
        {
         //--- RecordGone drops every copy of a position (netting: several master positions share one)
         if(i>=m_journal.CopyCount())
            continue;
         ulong id=m_journal.CopyIdentifier(i);
         if(m_trader.TicketOfPosition(id)==0)
            m_journal.RecordGone(id);
        }
     }
   void              ExecOpen(CbOutcome &o)
     {
      string master=m_in.GetString("master","");
      string mpos=m_in.GetString("master_position","");
      string symbol=m_in.GetString("symbol","");
      bool buy=(m_in.GetString("side","")=="buy");
      double volume=m_in.GetDouble("volume",0.0);
      double ref_price=m_in.GetDouble("price",0.0);
      double max_dev=m_in.GetDouble("max_deviation_points",0.0);
      double sl=m_in.GetDouble("sl",0.0);
      double tp=m_in.GetDouble("tp",0.0);
      long magic=m_in.GetLong("magic",m_magic);
      string comment=m_in.GetString("comment",CbCopyComment(master,mpos));
      bool increase=m_in.GetBool("increase",false);
      if(magic<=0)
         magic=m_magic;
      //--- never a second copy of the same master position
      if(!increase)
        {
         ulong existing=FindCopy(master,mpos,magic,comment);
         if(existing>0 && PositionSelectByTicket(existing))
           {
            o.status="duplicate";
            o.retcode=0;
            o.message="master position "+master+"#"+mpos+" is already copied as position #"+CbTicketString(existing);
            o.ticket=existing;
            o.position=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
            o.digits=SymbolDigits(PositionGetString(POSITION_SYMBOL));
            o.price=PositionGetDouble(POSITION_PRICE_OPEN);
            o.volume=PositionGetDouble(POSITION_VOLUME);
            return;
           }
        }
      string error="";
      if(!m_trader.Select(symbol,error))
        {
         CbRefuse(o,error);
         return;
        }
      long mode=SymbolInfoInteger(symbol,SYMBOL_TRADE_MODE);
      if(mode==SYMBOL_TRADE_MODE_DISABLED || mode==SYMBOL_TRADE_MODE_CLOSEONLY || (mode==SYMBOL_TRADE_MODE_LONGONLY && !buy) || (mode==SYMBOL_TRADE_MODE_SHORTONLY && buy))
        {
         CbRefuse(o,"trade mode of "+symbol+" is "+TradeModeName(mode)+": cannot open a "+SideName(buy));
         return;
        }
      int digits=SymbolDigits(symbol);
      o.digits=digits;
      double lots=m_trader.NormalizeVolume(symbol,volume,error);
      if(lots<=0.0)
        {
         CbRefuse(o,error);
         return;
        }
      MqlTradeRequest request;
      ZeroMemory(request);
      request.action=TRADE_ACTION_DEAL;
      request.symbol=symbol;
      request.volume=lots;
      request.type=(buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL);
      request.sl=m_trader.NormalizePrice(symbol,sl);
      request.tp=m_trader.NormalizePrice(symbol,tp);
      request.deviation=(ulong)MathMax(0.0,max_dev);
      request.magic=(ulong)magic;
      request.comment=comment;
      request.type_filling=m_trader.Filling(symbol);
      request.type_time=ORDER_TIME_GTC;
      bool ok=false;
      for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
        {
         double price=0.0;
         if(!m_trader.MarketPrice(symbol,buy,price,error))
           {
            CbRefuse(o,error);
            return;
           }
         //--- under market execution the broker fills at its price: check the fresh tick first
         double dev=m_trader.DeviationPoints(symbol,price,ref_price);
         if(dev>max_dev+1e-6)
           {
            string retried=(attempt>0 ? " after "+IntegerToString(attempt)+" attempt(s) (last retcode "+IntegerToString(o.retcode)+")" : "");
            CbRefuse(o,"price moved "+JsonNumber(dev,1)+" points: "+(buy ? "ask " : "bid ")+DoubleToString(price,digits)+" vs master price "+DoubleToString(ref_price,digits)+
                     ", more than the allowed "+JsonNumber(max_dev,1)+" points"+retried);
            return;
           }
         request.price=NormalizeDouble(price,digits);
         ok=m_trader.SendOnce(request,o);
         if(ok || !CbRetcodeRetryable((uint)o.retcode))
            break;
         CbLogEvent("OrderSend "+symbol+": "+IntegerToString(o.retcode)+" "+o.message+"; retrying with a fresh price");
        }
      if(!ok)
         return;
      ulong ticket=m_trader.TicketOfPosition(o.position);
      if(ticket==0)
         ticket=m_trader.FindByComment(magic,comment);
      if(ticket==0)
         ticket=o.position;
      o.ticket=ticket;
      if(o.position==0)
         o.position=IdentifierOf(ticket);
      if(o.position>0)
         m_journal.RecordCopy(master,mpos,o.position);
      m_snapshot_due_ms=m_clock.NowMs()+500;
     }
   //--- ticket named by the command; else the position with that identifier (tickets may change,
   //--- identifiers never do); else the journal's copy of the master position
   ulong             CommandTicket(const string key)
     {
      ulong ticket=CbParseTicket(m_in.GetString(key,""));
      if(ticket>0 && PositionSelectByTicket(ticket))
         return(ticket);
      ulong t=m_trader.TicketOfPosition(ticket);
      string master=m_in.GetString("master","");
      string mpos=m_in.GetString(key=="ticket_by" ? "master_position_by" : "master_position","");
      ulong id=m_journal.FindCopy(master,mpos);
      if(t==0)
         t=m_trader.TicketOfPosition(id);
      if(t>0)
        {
         CbLogEvent("position #"+CbTicketString(ticket)+" is now ticket #"+CbTicketString(t)+" (copy of "+master+"#"+mpos+", identifier "+CbTicketString(IdentifierOf(t))+")");
         return(t);
        }
      if(id>0)
         m_journal.RecordGone(id);
      return(0);
     }
   bool              RefuseForeign(CbOutcome &o,const ulong ticket)
     {
      if(IsOurCopy(ticket))
         return(false);
      PositionSelectByTicket(ticket);
      CbRefuse(o,"position #"+CbTicketString(ticket)+" is not a CopyBridge copy (magic "+IntegerToString(PositionGetInteger(POSITION_MAGIC))+", comment \""+PositionGetString(POSITION_COMMENT)+"\"): left alone");
      return(true);
     }
   void              ExecClose(CbOutcome &o)
     {
      string wanted=m_in.GetString("ticket","");
      ulong ticket=CommandTicket("ticket");
      if(ticket==0)
        {
         CbRefuse(o,"position #"+wanted+" not found (already closed?)");
         o.has_remaining=true;
         o.remaining=0.0;
         return;
        }
      if(RefuseForeign(o,ticket))
         return;
      PositionSelectByTicket(ticket);
      string symbol=PositionGetString(POSITION_SYMBOL);
      double pos_volume=PositionGetDouble(POSITION_VOLUME);
      bool pos_buy=(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
      ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      long magic=PositionGetInteger(POSITION_MAGIC);
      int digits=SymbolDigits(symbol);
      o.digits=digits;
      string error="";
      if(!m_trader.Select(symbol,error))
        {
         CbRefuse(o,error);
         return;
        }
      double volume=m_in.GetDouble("volume",pos_volume);
      double lots=pos_volume;
      if(volume<pos_volume-1e-9)
        {
         lots=m_trader.NormalizeVolume(symbol,volume,error);
         if(lots<=0.0)
           {
            CbRefuse(o,"partial close of #"+CbTicketString(ticket)+": "+error);
            o.has_remaining=true;
            o.remaining=pos_volume;
            return;
           }
        }
      MqlTradeRequest request;
      ZeroMemory(request);
      request.action=TRADE_ACTION_DEAL;
      request.position=ticket;
      request.symbol=symbol;
      request.volume=lots;
      request.type=(pos_buy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY);
      request.deviation=CB_CLOSE_DEVIATION_POINTS;
      request.magic=(ulong)magic;
      request.type_filling=m_trader.Filling(symbol);
      request.type_time=ORDER_TIME_GTC;
      bool ok=false;
      for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
        {
         double price=0.0;
         if(!m_trader.MarketPrice(symbol,!pos_buy,price,error))
           {
            CbRefuse(o,error);
            return;
           }
         //--- closes are never refused for deviation: getting out matters more than the price
         request.price=NormalizeDouble(price,digits);
         ok=m_trader.SendOnce(request,o);
         if(ok || !CbRetcodeRetryable((uint)o.retcode))
            break;
         CbLogEvent("OrderSend close #"+CbTicketString(ticket)+": "+IntegerToString(o.retcode)+" "+o.message+"; retrying with a fresh price");
        }
      o.ticket=ticket;
      o.position=identifier;
      o.has_remaining=true;
      o.remaining=(PositionSelectByTicket(ticket) ? PositionGetDouble(POSITION_VOLUME) : 0.0);
      if(ok && o.remaining<=0.0)
         m_journal.RecordGone(identifier);
      m_snapshot_due_ms=m_clock.NowMs()+500;
     }
   void              ExecCloseBy(CbOutcome &o)
     {
      if(!m_trader.IsHedging())
        {
         CbRefuse(o,"close_by needs a hedging account; this account is "+m_margin_mode);
         return;
        }
      string wanted=m_in.GetString("ticket","");
      string wanted_by=m_in.GetString("ticket_by","");
      ulong a=CommandTicket("ticket");
      ulong b=CommandTicket("ticket_by");
      if(a==0 || b==0)
        {
         CbRefuse(o,"position #"+(a==0 ? wanted : wanted_by)+" not found (already closed?)");
         o.has_remaining=true;
         o.remaining=0.0;
         return;
        }
      if(RefuseForeign(o,a) || RefuseForeign(o,b))
         return;
      PositionSelectByTicket(a);
      string symbol=PositionGetString(POSITION_SYMBOL);
      double va=PositionGetDouble(POSITION_VOLUME);
      ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      long magic=PositionGetInteger(POSITION_MAGIC);
      PositionSelectByTicket(b);
      double vb=PositionGetDouble(POSITION_VOLUME);
      ulong identifier_by=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      o.digits=SymbolDigits(symbol);
      MqlTradeRequest request;
      ZeroMemory(request);
      request.action=TRADE_ACTION_CLOSE_BY;
      request.position=a;
      request.position_by=b;
      request.symbol=symbol;
      request.magic=(ulong)magic;
      bool ok=false;
      for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
        {
         ok=m_trader.SendOnce(request,o);
         if(ok || !CbRetcodeRetryable((uint)o.retcode))
            break;
        }
      o.ticket=a;
      o.position=identifier;
      if(ok && o.volume<=0.0)
         o.volume=MathMin(va,vb);
      o.has_remaining=true;
      o.remaining=(PositionSelectByTicket(a) ? PositionGetDouble(POSITION_VOLUME) : 0.0);
      if(ok)
        {
         if(m_trader.TicketOfPosition(identifier)==0)
            m_journal.RecordGone(identifier);
         if(m_trader.TicketOfPosition(identifier_by)==0)
            m_journal.RecordGone(identifier_by);
        }
      m_snapshot_due_ms=m_clock.NowMs()+500;
     }
   void              ExecModify(CbOutcome &o)
     {
      string wanted=m_in.GetString("ticket","");
      ulong ticket=CommandTicket("ticket");
      if(ticket==0)
        {
         CbRefuse(o,"position #"+wanted+" not found (already closed?)");
         return;
        }
      if(RefuseForeign(o,ticket))
         return;
      PositionSelectByTicket(ticket);
      string symbol=PositionGetString(POSITION_SYMBOL);
      ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      int digits=SymbolDigits(symbol);
      o.digits=digits;
      double sl=m_trader.NormalizePrice(symbol,m_in.GetDouble("sl",0.0));
      double tp=m_trader.NormalizePrice(symbol,m_in.GetDouble("tp",0.0));
      double cur_sl=NormalizeDouble(PositionGetDouble(POSITION_SL),digits);
      double cur_tp=NormalizeDouble(PositionGetDouble(POSITION_TP),digits);
      o.ticket=ticket;
      o.position=identifier;
      if(sl==cur_sl && tp==cur_tp)
        {
         o.status="done";
         o.retcode=0;
         o.message="SL "+DoubleToString(sl,digits)+" and TP "+DoubleToString(tp,digits)+" already set";
         return;
        }
      MqlTradeRequest request;
      ZeroMemory(request);
      request.action=TRADE_ACTION_SLTP;
      request.position=ticket;
      request.symbol=symbol;
      request.sl=sl;
      request.tp=tp;
      request.magic=(ulong)PositionGetInteger(POSITION_MAGIC);
      for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
        {
         if(m_trader.SendOnce(request,o) || !CbRetcodeRetryable((uint)o.retcode))
            break;
        }
      o.ticket=ticket;
      o.position=identifier;
     }
   void              OnCommand(const string type)
     {
      string cmd_id=m_in.GetString("cmd_id","");
      if(cmd_id=="")
        {
         CbLogError("OnCommand",type+" without cmd_id ignored");
         return;
        }
      if(!m_welcomed)
        {
         //--- the hub re-sends until it gets a result; the welcome comes first
         CbLogDebug(type+" "+cmd_id+" before the welcome: ignored for now");
         return;
        }
      long now=m_clock.NowMs();
      long sent_ms=m_in.GetLong("ts",now);
      ulong started=GetMicrosecondCount();
      string what=type+" "+m_in.GetString("master","")+"#"+m_in.GetString("master_position","");
      CbOutcome o;
      CbOutcomeReset(o);
      int index=m_journal.FindCmd(cmd_id);
      if(index>=0)
        {
         //--- the same command again: never executed twice
         string prev=m_journal.CmdStatus(index);
         bool executed=(prev=="done" || prev=="partial" || prev=="duplicate");
         o.status=(executed ? "duplicate" : prev);
         o.retcode=(executed ? 0 : m_journal.CmdRetcode(index));
         o.message="cmd_id "+cmd_id+" already handled ("+prev+": "+m_journal.CmdMessage(index)+")";
         o.ticket=CbParseTicket(m_journal.CmdTicket(index));
         o.position=CbParseTicket(m_journal.CmdPosition(index));
         SendResult(cmd_id,o);
         CbLogEvent(what+" "+cmd_id+": "+o.status+", "+o.message);
         return;
        }
      long expires=m_in.GetLong("expires_ms",0);
      if(m_role!=CB_ROLE_SLAVE)
         CbRefuse(o,"this terminal's role is "+RoleName(m_role)+"; only slaves execute "+type+" commands");
      else
         if(expires>0 && now>expires)
           {
            o.status="expired";
            o.message="command expired "+IntegerToString(now-expires)+" ms ago (sent by the hub "+IntegerToString(now-sent_ms)+" ms ago)";
           }
         else
           {
            CheckTradeAllowed(false);
            if(!m_trade_allowed)
              {
               CbRefuse(o,"algo trading is off: "+TradeProblem());
               o.retcode=TRADE_RETCODE_CLIENT_DISABLES_AT;
              }
            else
               if(type=="open")
                  ExecOpen(o);
               else
                  if(type=="close")
                     ExecClose(o);
                  else
                     if(type=="close_by")
                        ExecCloseBy(o);
                     else
                        ExecModify(o);
           }
      long exec_ms=(long)((GetMicrosecondCount()-started)/1000);
      m_journal.RecordCmd(cmd_id,o.status,o.retcode,(o.ticket>0 ? CbTicketString(o.ticket) : ""),(o.position>0 ? CbTicketString(o.position) : ""),o.message);
      SendResult(cmd_id,o);
      m_commands++;
      //--- the EA's ms clock is only as fine as its timer: a negative age is a few ms of clock skew
      long total_ms=m_clock.NowMs()-sent_ms;
      if(total_ms<0)
         total_ms=0;
      m_last_latency_ms=total_ms;
      string detail=what;
      if(type=="open")
         detail+=" "+m_in.GetString("side","")+" "+JsonNumber(m_in.GetDouble("volume",0.0),8)+" "+m_in.GetString("symbol","");
      else
         if(type=="close")
            detail+=" #"+m_in.GetString("ticket","")+" "+JsonNumber(m_in.GetDouble("volume",0.0),8)+" lots";
         else
            if(type=="close_by")
               detail+=" #"+m_in.GetString("ticket","")+" by #"+m_in.GetString("ticket_by","");
            else
               detail+=" #"+m_in.GetString("ticket","")+" SL "+JsonNumber(m_in.GetDouble("sl",0.0),8)+" TP "+JsonNumber(m_in.GetDouble("tp",0.0),8);
      string outcome=o.status;
      if(o.ticket>0)
         outcome+=" #"+CbTicketString(o.ticket);
      if(o.price>0.0)
         outcome+=" @ "+DoubleToString(o.price,o.digits);
      outcome+=": "+o.message;
      if(o.retcode!=0)
         outcome+=" (retcode "+IntegerToString(o.retcode)+")";
      string line=detail+" -> "+outcome+"; "+IntegerToString(exec_ms)+" ms here, "+IntegerToString(total_ms)+" ms since the hub sent it";
      if(o.status=="refused" || o.status=="expired")
         CbLogRefusal(line);
      else
         if(o.status=="rejected")
            CbLogError("OrderSend",line);
         else
            CbLogEvent(line);
      m_last_event=detail+" -> "+o.status;
      UpdateStatus(true);
     }

   //+---------------------------------------------------------------+
   //| messages from the hub                                         |
   //+---------------------------------------------------------------+
   void              OnWelcome(void)
     {
      string role=m_in.GetString("role","");
      int new_role=CB_ROLE_DISABLED;
      if(role=="master")
         new_role=CB_ROLE_MASTER;
      else
         if(role=="slave")
            new_role=CB_ROLE_SLAVE;
      long hub_magic=m_in.GetLong("magic",0);
      m_magic=(m_magic_input>0 ? m_magic_input : hub_magic);
      if(m_magic_input>0 && hub_magic>0 && hub_magic!=m_magic_input)
         CbLogWarn("magic number input "+IntegerToString(m_magic_input)+" differs from the hub's "+IntegerToString(hub_magic)+": copies are recognised by "+IntegerToString(m_magic_input));
      m_heartbeat_ms=(int)m_in.GetLong("heartbeat_ms",2000);
      if(m_heartbeat_ms<100)
         m_heartbeat_ms=100;
      m_snapshot_ms=(int)m_in.GetLong("snapshot_ms",30000);
      m_hub_version=m_in.GetString("hub_version","");
      bool changed=(!m_welcomed || new_role!=m_role);
      m_role=new_role;
      m_welcomed=true;
      m_hub_error="";
      m_hello_interval_ms=CB_HELLO_INTERVAL_MS;
      m_welcome_ms=m_clock.NowMs();
      CbLogEvent("welcome from hub "+m_hub_version+(changed ? "" : " again (hub restarted or reconnected)")+": role "+RoleName(m_role)+", magic "+IntegerToString(m_magic)+
                 ", heartbeat "+IntegerToString(m_heartbeat_ms)+" ms, snapshot every "+IntegerToString(m_snapshot_ms)+" ms; sending symbols and positions");
      if(m_role==CB_ROLE_DISABLED)
         CbLogWarn("the hub has this account disabled: nothing is copied to or from it until it is enabled on the hub");
      ForgetClosedCopies();
      SendSymbols();
      SendSnapshot();
      SendHeartbeat();
      UpdateStatus(true);
     }
   void              OnWatch(void)
     {
      int n=m_in.ArrayLength("symbols");
      if(n<0)
         n=0;
      ArrayResize(m_watch,n);
      ArrayResize(m_watch_bid,n);
      ArrayResize(m_watch_ask,n);
      ArrayResize(m_watch_sent_ms,n);
      m_watch_count=0;
      string list="";
      for(int i=0; i<n; i++)
        {
         string symbol=m_in.GetString("symbols["+IntegerToString(i)+"]","");
         if(symbol=="")
            continue;
         string error="";
         if(!m_trader.Select(symbol,error))
           {
            CbLogError("SymbolSelect",error+"; no ticks for it");
            continue;
           }
         m_watch[m_watch_count]=symbol;
         m_watch_bid[m_watch_count]=0.0;
         m_watch_ask[m_watch_count]=0.0;
         m_watch_sent_ms[m_watch_count]=0;
         m_watch_count++;
         list+=(list=="" ? "" : ", ")+symbol;
        }
      CbLogEvent("watching "+IntegerToString(m_watch_count)+" symbols for the hub"+(list!="" ? ": "+list : ""));
      SendTicks();
     }
   void              OnHubError(void)
     {
      string code=m_in.GetString("code","");
      string message=m_in.GetString("message","");
      string ref=m_in.GetString("ref_type","");
      CbLogError("hub",code+": "+message+(ref!="" ? " (about our "+ref+" message)" : ""));
      if(code=="E_UNKNOWN_ACCOUNT")
        {
         m_hub_error=code+": account \""+m_account+"\" is not registered on the hub";
         m_welcomed=false;
         m_role=CB_ROLE_UNKNOWN;
         m_hello_interval_ms=CB_HELLO_AFTER_ERROR_MS;
        }
      UpdateStatus(true);
     }
   void              Dispatch(const string json)
     {
      CbLogDebug("<- "+json);
      if(!m_in.Parse(json))
        {
         CbLogError("Dispatch","message from the hub is not valid JSON ("+m_in.Error()+"): "+StringSubstr(json,0,200));
         return;
        }
      long v=m_in.GetLong("v",0);
      string type=m_in.GetString("type","");
      if(v!=CB_PROTOCOL_VERSION)
        {
         CbLogError("Dispatch","hub speaks protocol v"+IntegerToString(v)+", this EA v"+IntegerToString(CB_PROTOCOL_VERSION)+": update the EA or the hub ("+type+" ignored)");
         return;
        }
      string to=m_in.GetString("account","");
      if(to!=m_account)
        {
         CbLogDebug("message for \""+to+"\" ignored");
         return;
        }
      m_last_rx_ms=m_clock.NowMs();
      //--- a restarted hub numbers its messages from 1 again; its welcome may have been lost
      //--- while this terminal's SUB socket was reconnecting, so say hello again
      long seq=m_in.GetLong("seq",0);
      if(m_welcomed && type!="welcome" && seq>0 && seq<=m_hub_seq)
        {
         CbLogWarn("the hub's message numbers started again (seq "+IntegerToString(seq)+" after "+IntegerToString(m_hub_seq)+"): hub restarted, saying hello again");
         m_hello_due=true;
        }
      if(seq>0)
         m_hub_seq=seq;
      if(type=="welcome")
         OnWelcome();
      else
         if(type=="ping")
            SendHeartbeat();
         else
            if(type=="snapshot_request")
               SendSnapshot();
            else
               if(type=="watch")
                  OnWatch();
               else
                  if(type=="error")
                     OnHubError();
                  else
                     if(type=="open" || type=="close" || type=="close_by" || type=="modify")
                        OnCommand(type);
                     else
                        CbLogWarn("unknown message type \""+type+"\" from the hub ignored (newer hub?)");
     }

public:
                     CCopyBridgeEA(void) : m_account(""), m_push_endpoint(""), m_sub_endpoint(""), m_server_key(""), m_client_public(""), m_client_secret(""),
                     m_magic_input(0), m_timer_ms(20), m_started(false), m_seq(0), m_role(CB_ROLE_UNKNOWN), m_welcomed(false), m_magic(0),
                     m_heartbeat_ms(2000), m_snapshot_ms(30000), m_hub_version(""), m_margin_mode(""), m_hello_interval_ms(CB_HELLO_INTERVAL_MS),
                     m_hellos(0), m_last_hello_ms(0), m_last_heartbeat_ms(0), m_last_snapshot_ms(0), m_last_rx_ms(0), m_welcome_ms(0),
                     m_last_open_try_ms(0), m_snapshot_due_ms(0), m_hub_error(""), m_trade_allowed(false), m_hub_seq(0), m_hello_due(false), m_watch_count(0), m_sent_deal_next(0),
                     m_last_event(""), m_last_latency_ms(-1), m_commands(0), m_deals_sent(0), m_status_text(""), m_status_ms(0)
     {
      ArrayInitialize(m_sent_deals,0);
     }

   string            Account(void) const { return(m_account); }
   string            StatusText(void) const { return(m_status_text); }

   //--- default account name: <server>-<login>
   static string     DefaultAccountName(void)
     {
      string raw=AccountInfoString(ACCOUNT_SERVER)+"-"+IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN));
      string name="";
      int n=StringLen(raw);
      for(int i=0; i<n && i<64; i++)
        {
         ushort c=StringGetCharacter(raw,i);
         bool ok=(c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9') || c=='.' || c=='_' || c=='@' || c=='-';
         name+=(ok ? ShortToString(c) : "-");
        }
      return(name);
     }

   //+---------------------------------------------------------------+
   //| OnInit                                                        |
   //+---------------------------------------------------------------+
   int               Init(const string hub_host,const int pull_port,const int pub_port,const string account,const long magic,
                          const int timer_ms,const int log_level,const string server_key,const string client_public,const string client_secret)
     {
      g_cb_log_level=log_level;
      m_account=account;
      StringTrimLeft(m_account);
      StringTrimRight(m_account);
      if(m_account=="")
         m_account=DefaultAccountName();
      g_cb_log_prefix="CopyBridge["+m_account+"]";
      string host=hub_host;
      StringTrimLeft(host);
      StringTrimRight(host);
      if(StringFind(host,"tcp://")==0)
         host=StringSubstr(host,6);
      m_push_endpoint="tcp://"+host+":"+IntegerToString(pull_port);
      m_sub_endpoint="tcp://"+host+":"+IntegerToString(pub_port);
      m_server_key=server_key;
      m_client_public=client_public;
      m_client_secret=client_secret;
      m_magic_input=magic;
      m_magic=magic;
      m_timer_ms=(timer_ms<10 ? 10 : timer_ms);
      m_margin_mode=MarginModeName();
      m_trader.SetHedging(m_margin_mode=="hedging");
      //--- a re-initialisation (chart change, new inputs) starts a new session
      m_welcomed=false;
      m_role=CB_ROLE_UNKNOWN;
      m_hellos=0;
      m_hub_error="";
      m_watch_count=0;
      m_hello_interval_ms=CB_HELLO_INTERVAL_MS;
      m_hub_seq=0;
      m_hello_due=false;
      m_last_event="";
      if(StringLen(m_account)>64)
        {
         CbLogError("OnInit","account name \""+m_account+"\" is longer than 64 characters; set a shorter 'Account name on the hub' input");
         Comment("CopyBridge: account name too long (max 64 characters)");
         return(INIT_PARAMETERS_INCORRECT);
        }
      //--- the DLL must be allowed before the first call into it
      string dll=DllProblem();
      if(dll!="")
        {
         string text="DLL imports are not allowed, so the EA cannot reach the hub. Fix: "+dll+". Then attach the EA again.";
         CbLogError("OnInit",text);
         Comment("CopyBridge: STOPPED\n"+text);
         return(INIT_FAILED);
        }
      CheckTradeAllowed(true);
      CbLogEvent("starting "+CbVersion()+": account \""+m_account+"\", "+AccountInfoString(ACCOUNT_COMPANY)+" "+AccountInfoString(ACCOUNT_SERVER)+" login "+
                 IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN))+", "+m_margin_mode+", hub "+m_push_endpoint+" / "+m_sub_endpoint+", timer "+IntegerToString(m_timer_ms)+" ms");
      m_journal.Load(m_account);
      ForgetClosedCopies();
      if(m_bridge.Open(m_push_endpoint,m_sub_endpoint,m_account,m_server_key,m_client_public,m_client_secret))
         m_bridge.SetWakeup(ChartGetInteger(0,CHART_WINDOW_HANDLE));
      m_last_open_try_ms=m_clock.NowMs();
      ResetLastError();
      if(!EventSetMillisecondTimer(m_timer_ms))
        {
         int err=GetLastError();
         CbLogError("EventSetMillisecondTimer",CbErrorText(err)+" ("+IntegerToString(err)+"); falling back to a 1 s timer");
         EventSetTimer(1);
        }
      m_started=true;
      if(m_bridge.IsOpen())
         SendHello();
      UpdateStatus(true);
      return(INIT_SUCCEEDED);
     }

   //+---------------------------------------------------------------+
   //| OnDeinit: nothing here may block                              |
   //+---------------------------------------------------------------+
   void              Deinit(const int reason)
     {
      EventKillTimer();
      if(!m_started)
         return;
      m_started=false;
      m_bridge.Close();
      CbLogEvent("stopped (reason "+IntegerToString(reason)+")");
      if(reason!=REASON_CHARTCHANGE && reason!=REASON_PARAMETERS)
         Comment("");
     }

   //+---------------------------------------------------------------+
   //| OnTimer (and OnTick / OnChartEvent): read, answer, report     |
   //+---------------------------------------------------------------+
   void              Pump(void)
     {
      if(!m_started)
         return;
      long now=m_clock.NowMs();
      if(!m_bridge.IsOpen())
        {
         if(now-m_last_open_try_ms>=CB_REOPEN_INTERVAL_MS)
           {
            m_last_open_try_ms=now;
            if(m_bridge.Open(m_push_endpoint,m_sub_endpoint,m_account,m_server_key,m_client_public,m_client_secret))
              {
               m_bridge.SetWakeup(ChartGetInteger(0,CHART_WINDOW_HANDLE));
               SendHello();
              }
           }
         UpdateStatus(false);
         return;
        }
      //--- every waiting message, up to a limit per call
      for(int i=0; i<CB_MAX_READS_PER_POLL; i++)
        {
         string json="";
         int got=m_bridge.Receive(json);
         if(got<=0)
            break;
         Dispatch(json);
        }
      now=m_clock.NowMs();
      if(!m_welcomed)
        {
         if(now-m_last_hello_ms>=m_hello_interval_ms)
            SendHello();
        }
      else
        {
         if(m_hello_due)
           {
            m_hello_due=false;
            SendHello();
           }
         if(now-m_last_heartbeat_ms>=m_heartbeat_ms)
           {
            CheckTradeAllowed(false);
            SendHeartbeat();
           }
         if((m_snapshot_ms>0 && now-m_last_snapshot_ms>=m_snapshot_ms) || (m_snapshot_due_ms>0 && now>=m_snapshot_due_ms))
            SendSnapshot();
         SendTicks();
        }
      UpdateStatus(false);
     }

   //+---------------------------------------------------------------+
   //| OnTradeTransaction                                            |
   //+---------------------------------------------------------------+
   void              TradeTransaction(const MqlTradeTransaction &trans)
     {
      if(!m_started || !m_bridge.IsOpen() || m_role==CB_ROLE_DISABLED)
         return;
      if(trans.type==TRADE_TRANSACTION_DEAL_ADD)
        {
         //--- every role reports its deals: a master's are copied, a slave's tell the hub about SL/TP hits and stop-outs
         ReportDeal(trans.deal);
        }
      else
         if(trans.type==TRADE_TRANSACTION_POSITION)
           {
            if(m_role!=CB_ROLE_SLAVE)
               ReportPosition(trans.position,trans.symbol);
           }
     }
  };

#endif
