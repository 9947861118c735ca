//+------------------------------------------------------------------+
//| Market.mqh - the account's state and its symbols, told to the hub|
//|                                                                  |
//| The full position snapshot, the symbol specs (in chunks) and the |
//| ticks of the symbols the hub watches. Deals are in Reporter.mqh. |
//+------------------------------------------------------------------+
#ifndef CB_MARKET_MQH
#define CB_MARKET_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Journal.mqh"
#include "Trade.mqh"
#include "Link.mqh"

#define CB_TICK_MIN_INTERVAL_MS     100
#define CB_SYMBOLS_PER_MESSAGE      200
#define CB_MAX_SNAPSHOT_POSITIONS   3500

class CCbMarket
  {
private:
   CCbTrader         m_trader;
   //--- watched symbols and what was last sent of each
   CB_ARRAY(string,  m_watch);
   CB_ARRAY(double,  m_watch_bid);
   CB_ARRAY(double,  m_watch_ask);
   CB_ARRAY(long,    m_watch_sent_ms);
   int               m_watch_count;

   void              WriteSymbol(CCbHubLink &link,const string name);

public:
                     CCbMarket(void) : m_watch_count(0) {}
   //--- a new session watches nothing until the hub says so
   void              Unwatch(void) { m_watch_count=0; }
   void              SendSymbols(CCbHubLink &link);
   void              SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode);
   //--- n symbols of the hub's watch message
   void              Watch(CCbHubLink &link,CB_ARRAY_REF(string,symbols),const int n);
   void              SendTicks(CCbHubLink &link);
  };

void CCbMarket::WriteSymbol(CCbHubLink &link,const string name)
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
   link.Num("tick_size",SymbolInfoDouble(name,SYMBOL_TRADE_TICK_SIZE),10);
   link.EndObject();
  }

//--- in messages of at most CB_SYMBOLS_PER_MESSAGE symbols; the first replaces the hub's list
void CCbMarket::SendSymbols(CCbHubLink &link)
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

void CCbMarket::SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode)
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

void CCbMarket::Watch(CCbHubLink &link,CB_ARRAY_REF(string,symbols),const int n)
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
void CCbMarket::SendTicks(CCbHubLink &link)
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
