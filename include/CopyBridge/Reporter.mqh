//+------------------------------------------------------------------+
//| Reporter.mqh - what happens in this account, told to the hub     |
//|                                                                  |
//| Deals (every role: a master's are copied, a slave's tell the hub |
//| about SL/TP hits and stop-outs), SL/TP changes of positions, the |
//| full position snapshot, the symbol specs and the ticks of the    |
//| symbols the hub watches.                                         |
//+------------------------------------------------------------------+
#ifndef CB_REPORTER_MQH
#define CB_REPORTER_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Protocol.mqh"
#include "Journal.mqh"
#include "Trade.mqh"
#include "Link.mqh"
#include "Status.mqh"

#define CB_TICK_MIN_INTERVAL_MS     100
#define CB_SYMBOLS_PER_MESSAGE      200
#define CB_MAX_SNAPSHOT_POSITIONS   3500
#define CB_SENT_DEALS_RING          128

string CbDealReasonName(const long reason)
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

//--- "" for entries that are not reported
string CbDealEntryName(const long entry)
  {
   switch((int)entry)
     {
      case DEAL_ENTRY_IN:
         return("in");
      case DEAL_ENTRY_OUT:
         return("out");
      case DEAL_ENTRY_INOUT:
         return("inout");
      case DEAL_ENTRY_OUT_BY:
         return("out_by");
     }
   return("");
  }

class CCbReporter
  {
private:
   CCbTrader         m_trader;
   //--- watched symbols and what was last sent of each
   CB_ARRAY(string,  m_watch);
   CB_ARRAY(double,  m_watch_bid);
   CB_ARRAY(double,  m_watch_ask);
   CB_ARRAY(long,    m_watch_sent_ms);
   int               m_watch_count;
   //--- deals already reported
   ulong             m_sent_deals[CB_SENT_DEALS_RING];
   int               m_sent_deal_next;

   bool              DealAlreadySent(const ulong deal);
   void              WriteSymbol(CCbHubLink &link,const string name);
   //--- the opposite position of a close-by deal (on its order), "" when none
   string            PositionBy(const ulong order,const ulong position);

public:
                     CCbReporter(void) : m_watch_count(0), m_sent_deal_next(0) { ArrayInitialize(m_sent_deals,0); }
   //--- a new session watches nothing until the hub says so
   void              Unwatch(void) { m_watch_count=0; }
   void              SendSymbols(CCbHubLink &link);
   void              SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode);
   //--- false when the deal cannot be read: the next snapshot carries the change
   bool              ReportDeal(CCbHubLink &link,CCbChartStatus &status,const ulong deal);
   void              ReportPosition(CCbHubLink &link,CCbChartStatus &status,const ulong position,const string symbol);
   //--- n symbols of the hub's watch message
   void              Watch(CCbHubLink &link,CB_ARRAY_REF(string,symbols),const int n);
   void              SendTicks(CCbHubLink &link);
  };

bool CCbReporter::DealAlreadySent(const ulong deal)
  {
   for(int i=0; i<CB_SENT_DEALS_RING; i++)
      if(m_sent_deals[i]==deal)
         return(true);
   m_sent_deals[m_sent_deal_next]=deal;
   m_sent_deal_next=(m_sent_deal_next+1)%CB_SENT_DEALS_RING;
   return(false);
  }

void CCbReporter::WriteSymbol(CCbHubLink &link,const string name)
  {
   link.BeginObject();
   link.Str("name",name);
   link.Int("digits",SymbolInfoInteger(name,SYMBOL_DIGITS));
   link.Num("point",SymbolInfoDouble(name,SYMBOL_POINT),10);
   link.Num("volume_min",SymbolInfoDouble(name,SYMBOL_VOLUME_MIN),8);
   link.Num("volume_step",SymbolInfoDouble(name,SYMBOL_VOLUME_STEP),8);
   link.Num("volume_max",SymbolInfoDouble(name,SYMBOL_VOLUME_MAX),8);
   link.Num("volume_limit",SymbolInfoDouble(name,SYMBOL_VOLUME_LIMIT),8);
   link.Num("contract_size",SymbolInfoDouble(name,SYMBOL_TRADE_CONTRACT_SIZE),8);
   link.Int("filling_modes",SymbolInfoInteger(name,SYMBOL_FILLING_MODE));
   link.Str("trade_mode",CbTradeModeName(SymbolInfoInteger(name,SYMBOL_TRADE_MODE)));
   link.Int("stops_level",SymbolInfoInteger(name,SYMBOL_TRADE_STOPS_LEVEL));
   link.Int("freeze_level",SymbolInfoInteger(name,SYMBOL_TRADE_FREEZE_LEVEL));
   link.EndObject();
  }

//--- in messages of at most CB_SYMBOLS_PER_MESSAGE symbols; the first replaces the hub's list
void CCbReporter::SendSymbols(CCbHubLink &link)
  {
   int total=SymbolsTotal(false);
   int sent=0;
   int chunk=0;
   for(int i=0; i<total; i++)
     {
      string name=SymbolName(i,false);
      if(name=="")
         continue;
      if(chunk==0)
        {
         link.Envelope("symbols");
         link.Bool("replace",sent==0);
         link.BeginArray("symbols");
        }
      WriteSymbol(link,name);
      chunk++;
      sent++;
      if(chunk>=CB_SYMBOLS_PER_MESSAGE)
        {
         link.Send();
         chunk=0;
        }
     }
   if(sent==0)
     {
      link.Envelope("symbols");
      link.Bool("replace",true);
      link.BeginArray("symbols");
     }
   if(chunk>0 || sent==0)
      link.Send();
   CbLogEvent("symbol specs sent: "+IntegerToString(sent)+" symbols");
  }

void CCbReporter::SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode)
  {
   link.Envelope("snapshot");
   link.Str("margin_mode",margin_mode);
   link.BeginArray("positions");
   int total=PositionsTotal();
   int n=0;
   for(int i=0; i<total && n<CB_MAX_SNAPSHOT_POSITIONS; i++)
     {
      ulong ticket=PositionGetTicket(i);
      if(ticket==0)
         continue;
      string symbol=PositionGetString(POSITION_SYMBOL);
      ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      int digits=CbSymbolDigits(symbol);
      link.BeginObject();
      link.Str("ticket",CbTicketString(ticket));
      link.Str("position",CbTicketString(identifier));
      link.Str("symbol",symbol);
      link.Str("side",CbSideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY));
      link.Num("volume",PositionGetDouble(POSITION_VOLUME),8);
      link.Num("price_open",PositionGetDouble(POSITION_PRICE_OPEN),digits);
      link.Num("sl",PositionGetDouble(POSITION_SL),digits);
      link.Num("tp",PositionGetDouble(POSITION_TP),digits);
      link.Int("magic",PositionGetInteger(POSITION_MAGIC));
      link.Str("comment",PositionGetString(POSITION_COMMENT));
      link.Int("time_ms",CbServerMsToUtc(PositionGetInteger(POSITION_TIME_MSC)));
      string master="";
      string mpos="";
      if(journal.MasterOf(identifier,master,mpos))
        {
         link.Str("master",master);
         link.Str("master_position",mpos);
        }
      link.EndObject();
      n++;
     }
   if(total>CB_MAX_SNAPSHOT_POSITIONS)
      CbLogError("SendSnapshot",IntegerToString(total)+" positions open; only the first "+IntegerToString(CB_MAX_SNAPSHOT_POSITIONS)+" fit in one message");
   link.EndArray();
   link.Send();
   CbLogDebug("snapshot sent: "+IntegerToString(n)+" positions");
  }

string CCbReporter::PositionBy(const ulong order,const ulong position)
  {
   if(order==0 || !HistoryOrderSelect(order))
      return("");
   ulong a=(ulong)HistoryOrderGetInteger(order,ORDER_POSITION_ID);
   ulong b=(ulong)HistoryOrderGetInteger(order,ORDER_POSITION_BY_ID);
   ulong other=(a==position ? b : a);
   return(other>0 ? CbTicketString(other) : "");
  }

bool CCbReporter::ReportDeal(CCbHubLink &link,CCbChartStatus &status,const ulong deal)
  {
   ResetLastError();
   if(!HistoryDealSelect(deal))
     {
      int err=GetLastError();
      CbLogError("HistoryDealSelect","deal #"+CbTicketString(deal)+": "+CbErrorText(err)+" ("+IntegerToString(err)+"); the next snapshot carries the change");
      return(false);
     }
   long type=HistoryDealGetInteger(deal,DEAL_TYPE);
   if(type!=DEAL_TYPE_BUY && type!=DEAL_TYPE_SELL)
      return(true);
   if(DealAlreadySent(deal))
      return(true);
   string entry=CbDealEntryName(HistoryDealGetInteger(deal,DEAL_ENTRY));
   if(entry=="")
      return(true);
   ulong position=(ulong)HistoryDealGetInteger(deal,DEAL_POSITION_ID);
   ulong order=(ulong)HistoryDealGetInteger(deal,DEAL_ORDER);
   string symbol=HistoryDealGetString(deal,DEAL_SYMBOL);
   int digits=CbSymbolDigits(symbol);
   double volume=HistoryDealGetDouble(deal,DEAL_VOLUME);
   double price=HistoryDealGetDouble(deal,DEAL_PRICE);
   string reason=CbDealReasonName(HistoryDealGetInteger(deal,DEAL_REASON));
   string side=CbSideName(type==DEAL_TYPE_BUY);
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
      position_side=CbSideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
     }
   string position_by=(entry=="out_by" ? PositionBy(order,position) : "");
   link.Envelope("deal");
   link.Str("deal",CbTicketString(deal));
   if(order>0)
      link.Str("order",CbTicketString(order));
   link.Str("position",CbTicketString(position));
   if(position_by!="")
      link.Str("position_by",position_by);
   link.Str("symbol",symbol);
   link.Str("side",side);
   link.Str("entry",entry);
   link.Num("volume",volume,8);
   link.Num("price",price,digits);
   link.Num("sl",sl,digits);
   link.Num("tp",tp,digits);
   link.Int("magic",HistoryDealGetInteger(deal,DEAL_MAGIC));
   link.Str("comment",HistoryDealGetString(deal,DEAL_COMMENT));
   link.Str("reason",reason);
   link.Int("time_ms",CbServerMsToUtc(HistoryDealGetInteger(deal,DEAL_TIME_MSC)));
   link.Num("position_volume",position_volume,8);
   if(position_side!="")
      link.Str("position_side",position_side);
   link.Send();
   string line="deal #"+CbTicketString(deal)+" "+entry+" "+side+" "+JsonNumber(volume,8)+" "+symbol+" @ "+DoubleToString(price,digits)+
               ", position #"+CbTicketString(position)+(position_by!="" ? " by #"+position_by : "")+" now "+JsonNumber(position_volume,8)+" lots ("+reason+")";
   CbLogEvent(line+" -> hub");
   status.DealSent(line);
   return(true);
  }

void CCbReporter::ReportPosition(CCbHubLink &link,CCbChartStatus &status,const ulong position,const string symbol)
  {
   ulong ticket=m_trader.TicketOfPosition(position);
   if(ticket==0 || !PositionSelectByTicket(ticket))
      return;
   int digits=CbSymbolDigits(symbol);
   double sl=PositionGetDouble(POSITION_SL);
   double tp=PositionGetDouble(POSITION_TP);
   link.Envelope("position");
   link.Str("position",CbTicketString(position));
   link.Str("symbol",PositionGetString(POSITION_SYMBOL));
   link.Str("side",CbSideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY));
   link.Num("volume",PositionGetDouble(POSITION_VOLUME),8);
   link.Num("sl",sl,digits);
   link.Num("tp",tp,digits);
   link.Send();
   string line="position #"+CbTicketString(position)+" "+symbol+" SL "+DoubleToString(sl,digits)+" TP "+DoubleToString(tp,digits);
   CbLogEvent(line+" -> hub");
   status.Event(line);
  }

void CCbReporter::Watch(CCbHubLink &link,CB_ARRAY_REF(string,symbols),const int n)
  {
   ArrayResize(m_watch,n);
   ArrayResize(m_watch_bid,n);
   ArrayResize(m_watch_ask,n);
   ArrayResize(m_watch_sent_ms,n);
   m_watch_count=0;
   string list="";
   for(int i=0; i<n; i++)
     {
      string symbol=symbols[i];
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
   SendTicks(link);
  }

//--- a tick of each watched symbol whose price changed, at most every CB_TICK_MIN_INTERVAL_MS
void CCbReporter::SendTicks(CCbHubLink &link)
  {
   if(m_watch_count==0)
      return;
   long now=link.NowMs();
   for(int i=0; i<m_watch_count; i++)
     {
      if(now-m_watch_sent_ms[i]<CB_TICK_MIN_INTERVAL_MS)
         continue;
      MqlTick tick;
      if(!SymbolInfoTick(m_watch[i],tick))
         continue;
      if(tick.bid==m_watch_bid[i] && tick.ask==m_watch_ask[i])
         continue;
      int digits=CbSymbolDigits(m_watch[i]);
      link.Envelope("tick");
      link.Str("symbol",m_watch[i]);
      link.Num("bid",tick.bid,digits);
      link.Num("ask",tick.ask,digits);
      link.Int("time_ms",CbServerMsToUtc(tick.time_msc));
      link.Send();
      m_watch_bid[i]=tick.bid;
      m_watch_ask[i]=tick.ask;
      m_watch_sent_ms[i]=now;
     }
  }

#endif
