//+------------------------------------------------------------------+
//| Pending.mqh - pending orders: listed, placed, modified, removed  |
//|                                                                  |
//| The wire names of order types and expiries, one pending order as |
//| JSON (snapshot.orders and the order message), and the hub's      |
//| place, modify_order and remove commands (docs/pending.md). A     |
//| copy's journal entry names its order's ticket, which the         |
//| position keeps when the order fills (POSITION_IDENTIFIER).       |
//+------------------------------------------------------------------+
#ifndef CB_PENDING_MQH
#define CB_PENDING_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Protocol.mqh"
#include "Journal.mqh"
#include "Trade.mqh"
#include "Link.mqh"

//--- one pending order as the EA reports it
struct CbOrderInfo
  {
   ulong             ticket;
   string            symbol;
   long              type;
   double            volume;
   double            price;
   double            stoplimit;
   double            sl;
   double            tp;
   long              type_time;
   long              expiration;   // server time, seconds
   long              magic;
   string            comment;
   long              setup_msc;    // server time, ms
  };

//+------------------------------------------------------------------+
//| Wire names                                                       |
//+------------------------------------------------------------------+
bool CbIsPendingType(const long type)
  {
   return(type==ORDER_TYPE_BUY_LIMIT || type==ORDER_TYPE_SELL_LIMIT || type==ORDER_TYPE_BUY_STOP ||
          type==ORDER_TYPE_SELL_STOP || type==ORDER_TYPE_BUY_STOP_LIMIT || type==ORDER_TYPE_SELL_STOP_LIMIT);
  }

string CbOrderTypeName(const long type)
  {
   switch((int)type)
     {
      case ORDER_TYPE_BUY_LIMIT:
         return("buy_limit");
      case ORDER_TYPE_SELL_LIMIT:
         return("sell_limit");
      case ORDER_TYPE_BUY_STOP:
         return("buy_stop");
      case ORDER_TYPE_SELL_STOP:
         return("sell_stop");
      case ORDER_TYPE_BUY_STOP_LIMIT:
         return("buy_stop_limit");
      case ORDER_TYPE_SELL_STOP_LIMIT:
         return("sell_stop_limit");
      default:
         return("");
     }
  }

//--- false for a name that is no pending order type
bool CbParseOrderType(const string name,ENUM_ORDER_TYPE &type)
  {
   if(name=="buy_limit")
      type=ORDER_TYPE_BUY_LIMIT;
   else
      if(name=="sell_limit")
         type=ORDER_TYPE_SELL_LIMIT;
      else
         if(name=="buy_stop")
            type=ORDER_TYPE_BUY_STOP;
         else
            if(name=="sell_stop")
               type=ORDER_TYPE_SELL_STOP;
            else
               if(name=="buy_stop_limit")
                  type=ORDER_TYPE_BUY_STOP_LIMIT;
               else
                  if(name=="sell_stop_limit")
                     type=ORDER_TYPE_SELL_STOP_LIMIT;
                  else
                     return(false);
   return(true);
  }

string CbExpiryName(const long type_time)
  {
   switch((int)type_time)
     {
      case ORDER_TIME_DAY:
         return("day");
      case ORDER_TIME_SPECIFIED:
         return("specified");
      case ORDER_TIME_SPECIFIED_DAY:
         return("specified_day");
      default:
         return("gtc");
     }
  }

//--- false for a name that is no expiry
bool CbParseExpiry(const string name,ENUM_ORDER_TYPE_TIME &type_time)
  {
   if(name=="gtc")
      type_time=ORDER_TIME_GTC;
   else
      if(name=="day")
         type_time=ORDER_TIME_DAY;
      else
         if(name=="specified")
            type_time=ORDER_TIME_SPECIFIED;
         else
            if(name=="specified_day")
               type_time=ORDER_TIME_SPECIFIED_DAY;
            else
               return(false);
   return(true);
  }

bool CbHasExpiration(const long type_time)
  {
   return(type_time==ORDER_TIME_SPECIFIED || type_time==ORDER_TIME_SPECIFIED_DAY);
  }

//--- the pending order OrderGetTicket or OrderSelect selected
void CbSelectedOrder(CbOrderInfo &o)
  {
   o.ticket=(ulong)OrderGetInteger(ORDER_TICKET);
   o.symbol=OrderGetString(ORDER_SYMBOL);
   o.type=OrderGetInteger(ORDER_TYPE);
   o.volume=OrderGetDouble(ORDER_VOLUME_CURRENT);
   o.price=OrderGetDouble(ORDER_PRICE_OPEN);
   o.stoplimit=OrderGetDouble(ORDER_PRICE_STOPLIMIT);
   o.sl=OrderGetDouble(ORDER_SL);
   o.tp=OrderGetDouble(ORDER_TP);
   o.type_time=OrderGetInteger(ORDER_TYPE_TIME);
   o.expiration=OrderGetInteger(ORDER_TIME_EXPIRATION);
   o.magic=OrderGetInteger(ORDER_MAGIC);
   o.comment=OrderGetString(ORDER_COMMENT);
   o.setup_msc=OrderGetInteger(ORDER_TIME_SETUP_MSC);
  }

//--- the fields of one order (PendingOrderSchema) into the open object of json
void CbWriteOrder(CJsonWriter &json,CCbJournal &journal,const CbOrderInfo &o)
  {
   int digits=CbSymbolDigits(o.symbol);
   json.Str("ticket",CbTicketString(o.ticket));
   json.Str("symbol",o.symbol);
   json.Str("order_type",CbOrderTypeName(o.type));
   json.Num("volume",o.volume,8);
   json.Num("price",o.price,digits);
   if(o.stoplimit>0.0)
      json.Num("stoplimit",o.stoplimit,digits);
   json.Num("sl",o.sl,digits);
   json.Num("tp",o.tp,digits);
   json.Str("expiration",CbExpiryName(o.type_time));
   if(CbHasExpiration(o.type_time) && o.expiration>0)
      json.Int("expiration_ms",CbServerMsToUtc(o.expiration*1000));
   json.Int("magic",o.magic);
   json.Str("comment",o.comment);
   json.Int("time_ms",CbServerMsToUtc(o.setup_msc));
   string master="";
   string mpos="";
   if(journal.MasterOf(o.ticket,master,mpos))
     {
      json.Str("master",master);
      json.Str("master_position",mpos);
     }
  }

//+------------------------------------------------------------------+
//| The hub's pending order commands on a slave                      |
//+------------------------------------------------------------------+
class CCbPending
  {
private:
   CCbTrader         m_trader;

   //--- the live order or position copying this master order; 0 when none
   ulong             Existing(CCbJournal &journal,const CbCommand &cmd,const long magic,CbOutcome &o);
   //--- the target fields of a command into the request; false with the outcome refused
   bool              Target(const CbCommand &cmd,const string symbol,MqlTradeRequest &request,CbOutcome &o);

public:
   //--- each false: no position changed (a placed order is no position)
   bool              Place(CCbJournal &journal,const long magic,const CbCommand &cmd,CbOutcome &o);
   bool              Modify(const CbCommand &cmd,CbOutcome &o);
   bool              Remove(const CbCommand &cmd,CbOutcome &o);
  };

ulong CCbPending::Existing(CCbJournal &journal,const CbCommand &cmd,const long magic,CbOutcome &o)
  {
   ulong id=journal.FindCopy(cmd.master,cmd.master_position);
   int total=OrdersTotal();
   for(int i=0; i<total; i++)
     {
      ulong t=OrderGetTicket(i);
      if(t==0)
         continue;
      if(t==id || (OrderGetInteger(ORDER_MAGIC)==magic && OrderGetString(ORDER_COMMENT)==cmd.comment))
        {
         o.volume=OrderGetDouble(ORDER_VOLUME_CURRENT);
         o.price=OrderGetDouble(ORDER_PRICE_OPEN);
         o.message="master order "+cmd.master+"/"+cmd.master_position+" is already copied as order "+CbTicketString(t);
         return(t);
        }
     }
   ulong p=m_trader.TicketOfPosition(id);
   if(p==0)
      p=m_trader.FindByComment(magic,cmd.comment);
   if(p>0 && PositionSelectByTicket(p))
     {
      o.volume=PositionGetDouble(POSITION_VOLUME);
      o.price=PositionGetDouble(POSITION_PRICE_OPEN);
      o.message="master order "+cmd.master+"/"+cmd.master_position+" is already copied as position "+CbTicketString((ulong)PositionGetInteger(POSITION_IDENTIFIER));
      return((ulong)PositionGetInteger(POSITION_IDENTIFIER));
     }
   return(0);
  }

bool CCbPending::Target(const CbCommand &cmd,const string symbol,MqlTradeRequest &request,CbOutcome &o)
  {
   ENUM_ORDER_TYPE_TIME type_time=ORDER_TIME_GTC;
   if(!CbParseExpiry(cmd.expiration,type_time))
     {
      CbRefuse(o,"unknown expiration \""+cmd.expiration+"\" (gtc, day, specified or specified_day): update the EA");
      return(false);
     }
   if(CbHasExpiration(type_time) && cmd.expiration_ms<=0)
     {
      CbRefuse(o,"expiration "+cmd.expiration+" without expiration_ms");
      return(false);
     }
   request.price=m_trader.NormalizePrice(symbol,cmd.price);
   request.stoplimit=(cmd.stoplimit>0.0 ? m_trader.NormalizePrice(symbol,cmd.stoplimit) : 0.0);
   request.sl=m_trader.NormalizePrice(symbol,cmd.sl);
   request.tp=m_trader.NormalizePrice(symbol,cmd.tp);
   request.type_time=type_time;
   request.expiration=(CbHasExpiration(type_time) ? (datetime)(CbUtcMsToServer(cmd.expiration_ms)/1000) : 0);
   o.digits=CbSymbolDigits(symbol);
   return(true);
  }

bool CCbPending::Place(CCbJournal &journal,const long magic,const CbCommand &cmd,CbOutcome &o)
  {
   ulong held=Existing(journal,cmd,magic,o);
   if(held>0)
     {
      o.status=CB_STATUS_DUPLICATE;
      o.ticket=held;
      return(false);
     }
   ENUM_ORDER_TYPE type=ORDER_TYPE_BUY_LIMIT;
   if(!CbParseOrderType(cmd.order_type,type))
     {
      CbRefuse(o,"unknown order_type \""+cmd.order_type+"\": update the EA");
      return(false);
     }
   string error="";
   if(!m_trader.Select(cmd.symbol,error))
     {
      CbRefuse(o,error);
      return(false);
     }
   double volume=m_trader.NormalizeVolume(cmd.symbol,cmd.volume,error);
   if(volume<=0.0)
     {
      CbRefuse(o,error);
      return(false);
     }
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_PENDING;
   request.symbol=cmd.symbol;
   request.type=type;
   request.volume=volume;
   request.magic=(ulong)magic;
   request.comment=cmd.comment;
   request.type_filling=ORDER_FILLING_RETURN;
   if(!Target(cmd,cmd.symbol,request,o))
      return(false);
   if(!m_trader.Send(request,o))
     {
      CbLogError("Place",cmd.master+"#"+cmd.master_position+" "+cmd.order_type+" "+cmd.symbol+": retcode "+IntegerToString(o.retcode)+", "+o.message);
      return(false);
     }
   o.ticket=o.order;
   o.price=request.price;
   o.volume=request.volume;
   journal.RecordCopy(cmd.master,cmd.master_position,o.order);
   return(false);
  }

bool CCbPending::Modify(const CbCommand &cmd,CbOutcome &o)
  {
   ulong ticket=CbParseTicket(cmd.ticket);
   if(ticket==0 || !OrderSelect(ticket))
     {
      CbRefuse(o,"order "+cmd.ticket+" not found (filled or removed?)");
      return(false);
     }
   string symbol=OrderGetString(ORDER_SYMBOL);
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_MODIFY;
   request.order=ticket;
   request.symbol=symbol;
   if(!Target(cmd,symbol,request,o))
      return(false);
   o.ticket=ticket;
   if(!m_trader.Send(request,o))
     {
      if(o.retcode==TRADE_RETCODE_NO_CHANGES)
        {
         //--- the command is idempotent: what it sets is set
         o.status=CB_STATUS_DONE;
         o.message="no changes ("+o.message+")";
         return(false);
        }
      CbLogError("Modify","order #"+cmd.ticket+": retcode "+IntegerToString(o.retcode)+", "+o.message);
     }
   o.ticket=ticket;
   return(false);
  }

bool CCbPending::Remove(const CbCommand &cmd,CbOutcome &o)
  {
   ulong ticket=CbParseTicket(cmd.ticket);
   if(ticket==0 || !OrderSelect(ticket))
     {
      CbRefuse(o,"order "+cmd.ticket+" not found (filled or removed?)");
      return(false);
     }
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_REMOVE;
   request.order=ticket;
   if(!m_trader.Send(request,o))
      CbLogError("Remove","order #"+cmd.ticket+": retcode "+IntegerToString(o.retcode)+", "+o.message);
   o.ticket=ticket;
   return(false);
  }

//+------------------------------------------------------------------+
//| The account's pending orders told to the hub as order messages:  |
//| placed and modified from ORDER_ADD / ORDER_UPDATE (the live      |
//| order), removed and filled from HISTORY_ADD (ORDER_DELETE comes  |
//| before it and would say the same). An order that ended is        |
//| described as it was last seen, as the history has no pending     |
//| order's prices in the stand-in or after a fill.                  |
//+------------------------------------------------------------------+
class CCbOrderReporter
  {
private:
   CB_ARRAY(CbOrderInfo,m_known);
   int               m_known_count;

   int               Find(const ulong ticket) const;
   void              Remember(const CbOrderInfo &o);
   void              Forget(const int index);
   //--- true when the price, SL/TP or expiry differ
   bool              Changed(const CbOrderInfo &a,const CbOrderInfo &b) const;
   void              Send(CCbHubLink &link,CCbJournal &journal,const string state,const CbOrderInfo &o,const string extra_key,const string extra);
   //--- an order as a transaction describes it (one never seen live)
   void              FromTransaction(const MqlTradeTransaction &trans,CbOrderInfo &o);

public:
                     CCbOrderReporter(void) : m_known_count(0) {}
   //--- the orders a snapshot lists are known: their later changes are modifications
   void              Learn(void);
   //--- true when the transaction was about a pending order
   bool              Transaction(CCbHubLink &link,CCbJournal &journal,const MqlTradeTransaction &trans);
  };

int CCbOrderReporter::Find(const ulong ticket) const
  {
   for(int i=0; i<m_known_count; i++)
      if(m_known[i].ticket==ticket)
         return(i);
   return(-1);
  }

void CCbOrderReporter::Remember(const CbOrderInfo &o)
  {
   int i=Find(o.ticket);
   if(i<0)
     {
      if(m_known_count>=ArraySize(m_known))
         ArrayResize(m_known,m_known_count*2+8);
      i=m_known_count;
      m_known_count++;
     }
   m_known[i]=o;
  }

void CCbOrderReporter::Forget(const int index)
  {
   for(int i=index; i<m_known_count-1; i++)
      m_known[i]=m_known[i+1];
   m_known_count--;
  }

bool CCbOrderReporter::Changed(const CbOrderInfo &a,const CbOrderInfo &b) const
  {
   return(a.price!=b.price || a.stoplimit!=b.stoplimit || a.sl!=b.sl || a.tp!=b.tp || a.type_time!=b.type_time ||
          a.expiration!=b.expiration || a.volume!=b.volume || a.type!=b.type);
  }

void CCbOrderReporter::FromTransaction(const MqlTradeTransaction &trans,CbOrderInfo &o)
  {
   o.ticket=trans.order;
   o.symbol=trans.symbol;
   o.type=trans.order_type;
   o.volume=trans.volume;
   o.price=trans.price;
   o.stoplimit=trans.price_trigger;
   o.sl=trans.price_sl;
   o.tp=trans.price_tp;
   o.type_time=trans.time_type;
   o.expiration=(long)trans.time_expiration;
   o.magic=0;
   o.comment="";
   o.setup_msc=0;
  }

void CCbOrderReporter::Send(CCbHubLink &link,CCbJournal &journal,const string state,const CbOrderInfo &o,const string extra_key,const string extra)
  {
   link.Envelope("order");
   link.Str("state",state);
   link.BeginMember("order");
   CbWriteOrder(link,journal,o);
   link.EndObject();
   if(extra_key!="")
      link.Str(extra_key,extra);
   link.Send();
   CbLogEvent("order #"+CbTicketString(o.ticket)+" "+CbOrderTypeName(o.type)+" "+o.symbol+" "+state+(extra!="" ? " ("+extra_key+" "+extra+")" : ""));
  }

void CCbOrderReporter::Learn(void)
  {
   int total=OrdersTotal();
   CbOrderInfo o;
   for(int i=0; i<total; i++)
     {
      if(OrderGetTicket(i)==0)
         continue;
      CbSelectedOrder(o);
      if(CbIsPendingType(o.type) && Find(o.ticket)<0)
         Remember(o);
     }
  }

bool CCbOrderReporter::Transaction(CCbHubLink &link,CCbJournal &journal,const MqlTradeTransaction &trans)
  {
   if(!CbIsPendingType(trans.order_type))
      return(false);
   int index=Find(trans.order);
   CbOrderInfo o;
   if(trans.type==TRADE_TRANSACTION_ORDER_ADD || trans.type==TRADE_TRANSACTION_ORDER_UPDATE)
     {
      //--- an order filled or removed meanwhile is told by its HISTORY_ADD
      if(!OrderSelect(trans.order))
         return(true);
      CbSelectedOrder(o);
      if(!CbIsPendingType(o.type))
         return(true);
      if(index<0)
         Send(link,journal,"placed",o,"","");
      else
         if(Changed(m_known[index],o))
            Send(link,journal,"modified",o,"","");
      Remember(o);
      return(true);
     }
   if(trans.type!=TRADE_TRANSACTION_HISTORY_ADD)
      return(trans.type==TRADE_TRANSACTION_ORDER_DELETE);
   if(index>=0)
      o=m_known[index];
   else
      FromTransaction(trans,o);
   if(trans.order_state==ORDER_STATE_FILLED || trans.order_state==ORDER_STATE_PARTIAL)
      Send(link,journal,"filled",o,"position",CbTicketString(trans.order));
   else
     {
      string reason=(trans.order_state==ORDER_STATE_EXPIRED ? "expired" : trans.order_state==ORDER_STATE_REJECTED ? "rejected" : "canceled");
      Send(link,journal,"removed",o,"reason",reason);
     }
   if(index>=0)
      Forget(index);
   return(true);
  }

#endif
