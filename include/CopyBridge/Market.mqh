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
#include "Pending.mqh"

#define CB_TICK_MIN_INTERVAL_MS     100
#define CB_SYMBOLS_PER_MESSAGE      200
//--- room in a snapshot message for everything but its positions, bytes
#define CB_SNAPSHOT_ENVELOPE_BYTES  1024
//--- a UTF-16 character of a string is at most 3 bytes of UTF-8
#define CB_UTF8_MAX_PER_CHAR        3

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

   long              m_snapshots;
   //--- the pending orders of the snapshot being sent, as JSON (they go in its first part)
   CB_ARRAY(string,  m_orders);
   int               m_order_count;
   long              m_orders_len;

   void              WriteSymbol(CCbHubLink &link,const string name);
   //--- every open position as JSON; returns how many
   int               Positions(CCbJournal &journal,CB_ARRAY_REF(string,items));
   //--- every pending order as JSON into m_orders
   void              Orders(CCbJournal &journal);
   //--- one snapshot message with items [from, to); parts 0: a whole snapshot
   void              SendPart(CCbHubLink &link,const string margin_mode,CB_ARRAY_REF(string,items),const int from,const int to,
                              const string id,const int part,const int parts);

public:
                     CCbMarket(void) : m_watch_count(0), m_snapshots(0), m_order_count(0), m_orders_len(0) {}
   //--- a new session watches nothing until the hub says so
   void              Unwatch(void) { m_watch_count=0; }
   void              SendSymbols(CCbHubLink &link);
   //--- the positions, in parts under max_message_bytes when they do not fit one message and
   //--- the hub takes parts (max_message_bytes>0: its welcome said so)
   void              SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode,const long max_message_bytes);
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
   link.Num("tick_value",SymbolInfoDouble(name,SYMBOL_TRADE_TICK_VALUE),8);
   link.Num("tick_size",SymbolInfoDouble(name,SYMBOL_TRADE_TICK_SIZE),10);
   link.Int("filling_modes",SymbolInfoInteger(name,SYMBOL_FILLING_MODE));
   link.Str("trade_mode",CbTradeModeName(SymbolInfoInteger(name,SYMBOL_TRADE_MODE)));
   link.Int("stops_level",SymbolInfoInteger(name,SYMBOL_TRADE_STOPS_LEVEL));
   link.Int("freeze_level",SymbolInfoInteger(name,SYMBOL_TRADE_FREEZE_LEVEL));
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

int CCbMarket::Positions(CCbJournal &journal,CB_ARRAY_REF(string,items))
  {
   int total=PositionsTotal();
   ArrayResize(items,total);
   int n=0;
   CJsonWriter json;
   for(int i=0; i<total; i++)
     {
      ulong ticket=PositionGetTicket(i);
      if(ticket==0)
         continue;
      string symbol=PositionGetString(POSITION_SYMBOL);
      ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      int digits=CbSymbolDigits(symbol);
      json.Begin();
      json.Str("ticket",CbTicketString(ticket));
      json.Str("position",CbTicketString(identifier));
      json.Str("symbol",symbol);
      json.Str("side",CbSideName(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY));
      json.Num("volume",PositionGetDouble(POSITION_VOLUME),8);
      json.Num("price_open",PositionGetDouble(POSITION_PRICE_OPEN),digits);
      json.Num("sl",PositionGetDouble(POSITION_SL),digits);
      json.Num("tp",PositionGetDouble(POSITION_TP),digits);
      json.Int("magic",PositionGetInteger(POSITION_MAGIC));
      json.Str("comment",PositionGetString(POSITION_COMMENT));
      json.Int("time_ms",CbServerMsToUtc(PositionGetInteger(POSITION_TIME_MSC)));
      string master="";
      string mpos="";
      if(journal.MasterOf(identifier,master,mpos))
        {
         json.Str("master",master);
         json.Str("master_position",mpos);
        }
      items[n]=json.Finish();
      n++;
     }
   return(n);
  }

void CCbMarket::Orders(CCbJournal &journal)
  {
   int total=OrdersTotal();
   ArrayResize(m_orders,total);
   m_order_count=0;
   m_orders_len=0;
   CJsonWriter json;
   CbOrderInfo o;
   for(int i=0; i<total; i++)
     {
      if(OrderGetTicket(i)==0)
         continue;
      CbSelectedOrder(o);
      if(!CbIsPendingType(o.type))
         continue;
      json.Begin();
      CbWriteOrder(json,journal,o);
      m_orders[m_order_count]=json.Finish();
      m_orders_len+=StringLen(m_orders[m_order_count])+1;
      m_order_count++;
     }
  }

void CCbMarket::SendPart(CCbHubLink &link,const string margin_mode,CB_ARRAY_REF(string,items),const int from,const int to,
                         const string id,const int part,const int parts)
  {
   link.Envelope("snapshot");
   link.Str("margin_mode",margin_mode);
   if(parts>0)
     {
      link.Str("snapshot_id",id);
      link.Int("part",part);
      link.Int("parts",parts);
     }
   link.BeginArray("positions");
   for(int i=from; i<to; i++)
      link.Element(items[i]);
   link.EndArray();
   //--- listing the orders (even none) tells the hub this EA reports them (docs/pending.md)
   if(part<=1)
     {
      link.BeginArray("orders");
      for(int i=0; i<m_order_count; i++)
         link.Element(m_orders[i]);
      link.EndArray();
     }
   link.Send();
  }

void CCbMarket::SendSnapshot(CCbHubLink &link,CCbJournal &journal,const string margin_mode,const long max_message_bytes)
  {
   CB_ARRAY(string,items);
   int n=Positions(journal,items);
   Orders(journal);
   //--- cut by size: a part's characters, at 3 bytes each at most, stay under the limit
   long limit=(max_message_bytes>0 && max_message_bytes<CB_MAX_MESSAGE ? max_message_bytes : CB_MAX_MESSAGE);
   long budget=(limit-CB_SNAPSHOT_ENVELOPE_BYTES)/CB_UTF8_MAX_PER_CHAR;
   CB_ARRAY(int,starts);
   int parts=0;
   long size=0;
   for(int i=0; i<n; i++)
     {
      long len=StringLen(items[i])+1;
      if(parts==0 || (size+len>budget && size>0))
        {
         ArrayResize(starts,parts+1,16);
         starts[parts]=i;
         //--- the orders go in the first part
         size=(parts==0 ? m_orders_len : 0);
         parts++;
        }
      size+=len;
     }
   if(parts<=1)
     {
      SendPart(link,margin_mode,items,0,n,"",0,0);
      CbLogDebug("snapshot sent: "+IntegerToString(n)+" positions, "+IntegerToString(m_order_count)+" orders");
      return;
     }
   if(max_message_bytes<=0)
     {
      //--- a hub that did not say its limit takes no parts: what fits, and why not the rest
      SendPart(link,margin_mode,items,0,starts[1],"",0,0);
      CbLogError("SendSnapshot",IntegerToString(n)+" positions open; only the first "+IntegerToString(starts[1])+
                 " fit in one message, and this hub takes no snapshot in parts: update the hub");
      return;
     }
   m_snapshots++;
   string id=IntegerToString(link.NowMs())+"-"+IntegerToString(m_snapshots);
   for(int p=0; p<parts; p++)
      SendPart(link,margin_mode,items,starts[p],(p+1<parts ? starts[p+1] : n),id,p+1,parts);
   CbLogDebug("snapshot "+id+" sent: "+IntegerToString(n)+" positions in "+IntegerToString(parts)+" parts");
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
