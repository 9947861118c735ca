//+------------------------------------------------------------------+
//| Executor.mqh - the hub's commands, carried out on a slave        |
//|                                                                  |
//| open, close (in full or in part), close_by and modify, each      |
//| answered with a result. A command is never executed twice (the   |
//| journal remembers every cmd_id) and a master position is never   |
//| copied twice (journal, then magic number and comment). Opens are |
//| refused when the price moved too far (checked against a fresh    |
//| quote); closes never are. OrderSend may return before the deal   |
//| and the position are visible, and an exchange may only place the |
//| order (10008): the copy is recorded at once from result.order    |
//| and confirmed from its deal later (CbUnconfirmed).               |
//+------------------------------------------------------------------+
#ifndef CB_EXECUTOR_MQH
#define CB_EXECUTOR_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Protocol.mqh"
#include "Journal.mqh"
#include "Trade.mqh"
#include "Copies.mqh"
#include "Link.mqh"
#include "Session.mqh"
#include "Status.mqh"
#include "Pending.mqh"

#define CB_CLOSE_DEVIATION_POINTS   1000000
//--- a snapshot this long after a trade shows the hub the position as the server has it
#define CB_SNAPSHOT_AFTER_TRADE_MS  500
//--- a filled order whose deal the history does not show after this long is no longer waited for
#define CB_CONFIRM_GIVE_UP_MS       60000
//--- a placed order is waited for this long (the hub expires its command meanwhile)
#define CB_PLACED_GIVE_UP_MS        600000
//--- a copy just opened that the position list does not show yet is waited for this often, this long apart
#define CB_VISIBLE_TRIES            25
#define CB_VISIBLE_RETRY_MS         10

//--- a market order sent whose deal the history did not show yet
struct CbUnconfirmed
  {
   string            cmd_id;           // placed (10008): its result is still owed; "" when sent
   ENUM_CB_MESSAGE   type;             // open or close
   string            master;
   string            master_position;
   ulong             order;            // result.order
   ulong             deal;             // result.deal, 0 when placed
   ulong             identifier;       // as recorded in the journal until the deal says
   long              magic;
   string            comment;
   double            remaining;        // close: lots left once it fills
   double            sl;               // open: stops to set once it fills (refused with the order)
   double            tp;
   long              since_ms;
  };

class CCbExecutor
  {
private:
   CCbTrader         m_trader;
   CCbCopies         m_copies;
   CCbPending        m_pending;
   CB_ARRAY(CbUnconfirmed,m_unconfirmed);
   int               m_unconfirmed_count;

   void              Track(const CbCommand &cmd,const string cmd_id,const CbOutcome &o,const ulong identifier,const long magic,const string comment,
                           const double remaining,const double sl,const double tp,const long now);
   int               FindTracked(const string cmd_id) const;
   void              Untrack(const int index);
   //--- the deal of a tracked order, selected; 0 while the history does not show it
   ulong             DealOf(const CbUnconfirmed &u);
   //--- the identifier a new deal of this order gives its position while the list does not show it:
   //--- a new position is identified by the ticket of the order that opened it; a netting
   //--- account adds to the symbol's position
   ulong             IdentifierAfter(const CCbSession &session,const string symbol,const ulong order);
   //--- SL/TP the server refused with the order (10016), set once the position exists
   void              StopsAfterOpen(const string symbol,const ulong identifier,const long magic,const double sl,const double tp,CbOutcome &o);
   bool              RefuseForeign(CCbJournal &journal,const long magic,CbOutcome &o,const ulong ticket);
   void              RefuseMissing(CbOutcome &o,const string ticket_text,const bool with_remaining);
   //--- the copy a command names (CCbCopies::Named); one opened just now, which the position list
   //--- may not show yet, is waited for briefly
   ulong             Named(CCbJournal &journal,const string ticket_text,const string master,const string master_position);
   //--- the copy a close or modify names, selected; 0 with the outcome refused when it is not
   //--- open (with_remaining: the result says 0 lots remain) or not a copy
   ulong             Target(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const bool with_remaining);
   //--- each true when positions may have changed (a snapshot follows soon)
   bool              ExecOpen(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const long now);
   //--- true with the outcome refused when an open of lots would break the welcome's protection limits
   bool              RefuseBeyondLimits(const CCbSession &session,const CbCommand &cmd,const double lots,CbOutcome &o);
   bool              ExecClose(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const long now);
   bool              ExecCloseBy(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   bool              ExecModify(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   void              SendResult(CCbHubLink &link,const string cmd_id,CbOutcome &o);
   //--- one line in the Experts tab and the chart status per executed command
   void              Report(CCbChartStatus &status,const CbCommand &cmd,CbOutcome &o,const long exec_ms,const long total_ms);

public:
                     CCbExecutor(void) : m_unconfirmed_count(0) {}
   //--- false when the command was ignored (no id, before the welcome) or is a repeat
   bool              Execute(CCbHubLink &link,CCbJournal &journal,CCbSession &session,CCbChartStatus &status,const CbCommand &cmd);
   //--- orders sent whose deals were not seen yet: confirmed from the history (after a deal
   //--- event, and on the timer); a placed order's result goes to the hub when it fills.
   //--- true when positions changed
   bool              Confirm(CCbHubLink &link,CCbJournal &journal,CCbChartStatus &status,const long now);
   bool              Unconfirmed(void) const { return(m_unconfirmed_count>0); }
  };

void CCbExecutor::Track(const CbCommand &cmd,const string cmd_id,const CbOutcome &o,const ulong identifier,const long magic,const string comment,
                        const double remaining,const double sl,const double tp,const long now)
  {
   if(m_unconfirmed_count>=ArraySize(m_unconfirmed))
      ArrayResize(m_unconfirmed,m_unconfirmed_count*2+8);
   CbUnconfirmed u;
   u.cmd_id=cmd_id;
   u.type=cmd.type;
   u.master=cmd.master;
   u.master_position=cmd.master_position;
   u.order=o.order;
   u.deal=o.deal;
   u.identifier=identifier;
   u.magic=magic;
   u.comment=comment;
   u.remaining=remaining;
   u.sl=sl;
   u.tp=tp;
   u.since_ms=now;
   m_unconfirmed[m_unconfirmed_count]=u;
   m_unconfirmed_count++;
  }

int CCbExecutor::FindTracked(const string cmd_id) const
  {
   for(int i=0; i<m_unconfirmed_count; i++)
      if(m_unconfirmed[i].cmd_id==cmd_id)
         return(i);
   return(-1);
  }

void CCbExecutor::Untrack(const int index)
  {
   for(int i=index; i<m_unconfirmed_count-1; i++)
      m_unconfirmed[i]=m_unconfirmed[i+1];
   m_unconfirmed_count--;
  }

ulong CCbExecutor::DealOf(const CbUnconfirmed &u)
  {
   if(u.deal>0 && HistoryDealSelect(u.deal))
      return(u.deal);
   //--- a placed order's deal: by its order; an open whose order ticket is unknown, by magic
   //--- number and comment (an earlier copy of the same master position has both too: only
   //--- when the order is unknown, and never a deal of a position this EA closed whole)
   HistorySelect(TimeCurrent()-86400,TimeCurrent()+86400);
   int total=HistoryDealsTotal();
   ulong found=0;
   for(int i=total-1; i>=0 && found==0; i--)
     {
      ulong d=HistoryDealGetTicket(i);
      if(d==0)
         continue;
      if((ulong)HistoryDealGetInteger(d,DEAL_ORDER)==u.order)
         found=d;
      else
         if(u.order==0 && u.type==CB_MSG_OPEN && u.cmd_id=="" && HistoryDealGetInteger(d,DEAL_MAGIC)==u.magic && HistoryDealGetString(d,DEAL_COMMENT)==u.comment &&
            HistoryDealGetInteger(d,DEAL_ENTRY)==DEAL_ENTRY_IN && !m_copies.WasClosed((ulong)HistoryDealGetInteger(d,DEAL_POSITION_ID)))
            found=d;
     }
   if(found>0 && HistoryDealSelect(found))
      return(found);
   return(0);
  }

ulong CCbExecutor::IdentifierAfter(const CCbSession &session,const string symbol,const ulong order)
  {
   if(!session.IsHedging() && PositionSelect(symbol))
     {
      ulong held=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
      //--- a list that lags may still show the position this EA just closed whole (a netting
      //--- reversal): the order then opened a new one, identified by its own ticket
      if(!m_copies.WasClosed(held))
         return(held);
     }
   return(order);
  }

void CCbExecutor::StopsAfterOpen(const string symbol,const ulong identifier,const long magic,const double sl,const double tp,CbOutcome &o)
  {
   int digits=CbSymbolDigits(symbol);
   string stops="SL "+DoubleToString(sl,digits)+" TP "+DoubleToString(tp,digits);
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_SLTP;
   request.symbol=symbol;
   //--- the list may not show the position yet: its ticket is the identifier until the server changes it
   ulong ticket=m_trader.TicketOfPosition(identifier);
   request.position=(ticket>0 ? ticket : identifier);
   request.sl=sl;
   request.tp=tp;
   request.magic=(ulong)magic;
   CbOutcome s;
   CbOutcomeReset(s);
   string why="refused with the order (invalid stops; stops level "+IntegerToString(SymbolInfoInteger(symbol,SYMBOL_TRADE_STOPS_LEVEL))+" points)";
   if(m_trader.Send(request,s) || s.retcode==TRADE_RETCODE_NO_CHANGES)
     {
      o.message=o.message+"; "+stops+" "+why+", set right after the open";
      return;
     }
   o.message=o.message+"; opened WITHOUT SL/TP: "+stops+" "+why+", and setting them right after failed too: "+s.message+" (retcode "+IntegerToString(s.retcode)+")";
   CbLogWarn("copy #"+CbTicketString(request.position)+" of "+symbol+" has no SL/TP: "+s.message+" (retcode "+IntegerToString(s.retcode)+")");
  }

bool CCbExecutor::Confirm(CCbHubLink &link,CCbJournal &journal,CCbChartStatus &status,const long now)
  {
   bool changed=false;
   for(int i=m_unconfirmed_count-1; i>=0; i--)
     {
      CbUnconfirmed u=m_unconfirmed[i];
      ulong deal=DealOf(u);
      bool placed=(u.cmd_id!="");
      CbOutcome o;
      CbOutcomeReset(o);
      if(deal==0)
        {
         bool canceled=false;
         if(placed && HistoryOrderSelect(u.order))
           {
            long state=HistoryOrderGetInteger(u.order,ORDER_STATE);
            canceled=(state==ORDER_STATE_CANCELED || state==ORDER_STATE_REJECTED || state==ORDER_STATE_EXPIRED);
           }
         if(!canceled && now-u.since_ms<(placed ? CB_PLACED_GIVE_UP_MS : CB_CONFIRM_GIVE_UP_MS))
            continue;
         Untrack(i);
         if(!placed)
           {
            CbLogWarn("the deal of order #"+CbTicketString(u.order)+" ("+u.master+"#"+u.master_position+") is not in the history after "+IntegerToString(now-u.since_ms)+" ms; the copy stays recorded as position #"+CbTicketString(u.identifier));
            continue;
           }
         if(u.type==CB_MSG_OPEN)
            journal.RecordDrop(u.master,u.master_position,u.identifier);
         o.status=CB_STATUS_REJECTED;
         o.message="order #"+CbTicketString(u.order)+" was placed but "+(canceled ? "canceled without a fill" : "not filled within "+IntegerToString(CB_PLACED_GIVE_UP_MS/1000)+" s");
        }
      else
        {
         Untrack(i);
         changed=true;
         ulong identifier=(ulong)HistoryDealGetInteger(deal,DEAL_POSITION_ID);
         string symbol=HistoryDealGetString(deal,DEAL_SYMBOL);
         if(u.type==CB_MSG_OPEN && identifier>0 && identifier!=u.identifier)
           {
            CbLogEvent("copy of "+u.master+"#"+u.master_position+" is position #"+CbTicketString(identifier)+" (deal #"+CbTicketString(deal)+"), not #"+CbTicketString(u.identifier)+" as recorded when the order was sent");
            journal.RecordCopy(u.master,u.master_position,identifier);
            journal.RecordDrop(u.master,u.master_position,u.identifier);
            m_copies.Opened(identifier);
           }
         if(!placed)
            continue;
         o.status=CB_STATUS_DONE;
         o.retcode=TRADE_RETCODE_DONE;
         o.deal=deal;
         o.order=u.order;
         o.position=identifier;
         o.digits=CbSymbolDigits(symbol);
         o.price=HistoryDealGetDouble(deal,DEAL_PRICE);
         o.volume=HistoryDealGetDouble(deal,DEAL_VOLUME);
         ulong ticket=m_trader.TicketOfPosition(identifier);
         o.ticket=(ticket>0 ? ticket : identifier);
         o.message="placed order #"+CbTicketString(u.order)+" filled: deal #"+CbTicketString(deal);
         if(u.type==CB_MSG_CLOSE)
           {
            o.has_remaining=true;
            o.remaining=u.remaining;
            if(u.remaining<=0.0)
              {
               journal.RecordGone(identifier);
               m_copies.Closed(identifier);
              }
           }
         else
            if(u.sl>0.0 || u.tp>0.0)
               StopsAfterOpen(symbol,identifier,u.magic,u.sl,u.tp,o);
        }
      journal.RecordCmd(u.cmd_id,CbStatusName(o.status),o.retcode,(o.ticket>0 ? CbTicketString(o.ticket) : ""),(o.position>0 ? CbTicketString(o.position) : ""),o.message);
      SendResult(link,u.cmd_id,o);
      string line=CbMessageName(u.type)+" "+u.master+"#"+u.master_position+" "+u.cmd_id+" -> "+CbStatusName(o.status)+(o.ticket>0 ? " #"+CbTicketString(o.ticket) : "")+
                  (o.price>0.0 ? " @ "+DoubleToString(o.price,o.digits) : "")+": "+o.message;
      if(o.status==CB_STATUS_DONE)
         CbLogEvent(line);
      else
         CbLogError("OrderSend",line);
      status.CommandDone(line,0);
     }
   return(changed);
  }

bool CCbExecutor::RefuseForeign(CCbJournal &journal,const long magic,CbOutcome &o,const ulong ticket)
  {
   if(m_copies.IsOurs(journal,magic,ticket))
      return(false);
   PositionSelectByTicket(ticket);
   CbRefuse(o,"position #"+CbTicketString(ticket)+" is not a CopyBridge copy (magic "+IntegerToString(PositionGetInteger(POSITION_MAGIC))+", comment \""+PositionGetString(POSITION_COMMENT)+"\"): left alone");
   return(true);
  }

void CCbExecutor::RefuseMissing(CbOutcome &o,const string ticket_text,const bool with_remaining)
  {
   CbRefuse(o,"position #"+ticket_text+" not found (already closed?)");
   if(!with_remaining)
      return;
   o.has_remaining=true;
   o.remaining=0.0;
  }

ulong CCbExecutor::Named(CCbJournal &journal,const string ticket_text,const string master,const string master_position)
  {
   ulong ticket=m_copies.Named(journal,ticket_text,master,master_position);
   //--- opened just now: OrderSend returned before the terminal's position list showed it
   for(int i=0; i<CB_VISIBLE_TRIES && ticket==0 && m_copies.Recent(journal.FindCopy(master,master_position)); i++)
     {
      Sleep(CB_VISIBLE_RETRY_MS);
      ticket=m_copies.Named(journal,ticket_text,master,master_position);
     }
   return(ticket);
  }

ulong CCbExecutor::Target(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const bool with_remaining)
  {
   ulong ticket=Named(journal,cmd.ticket,cmd.master,cmd.master_position);
   if(ticket==0)
     {
      RefuseMissing(o,cmd.ticket,with_remaining);
      return(0);
     }
   if(RefuseForeign(journal,session.Magic(),o,ticket))
      return(0);
   PositionSelectByTicket(ticket);
   return(ticket);
  }

bool CCbExecutor::ExecOpen(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const long now)
  {
   string symbol=cmd.symbol;
   bool buy=(cmd.side=="buy");
   double max_dev=cmd.max_deviation_points;
   long magic=(cmd.magic>0 ? cmd.magic : session.Magic());
   //--- never a second copy of the same master position
   if(!cmd.increase)
     {
      ulong existing=m_copies.Find(journal,cmd.master,cmd.master_position,magic,cmd.comment);
      if(existing>0)
        {
         o.status=CB_STATUS_DUPLICATE;
         o.retcode=0;
         o.message="master position "+cmd.master+"#"+cmd.master_position+" is already copied as position #"+CbTicketString(existing);
         o.ticket=existing;
         o.position=existing;
         //--- a copy opened just now may not be in the list yet
         if(PositionSelectByTicket(existing))
           {
            o.position=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
            o.digits=CbSymbolDigits(PositionGetString(POSITION_SYMBOL));
            o.price=PositionGetDouble(POSITION_PRICE_OPEN);
            o.volume=PositionGetDouble(POSITION_VOLUME);
           }
         else
            o.message=o.message+" (opened just now, not in the position list yet)";
         return(false);
        }
     }
   string error="";
   if(!m_trader.Select(symbol,error))
     {
      CbRefuse(o,error);
      return(false);
     }
   long mode=SymbolInfoInteger(symbol,SYMBOL_TRADE_MODE);
   if(mode==SYMBOL_TRADE_MODE_DISABLED || mode==SYMBOL_TRADE_MODE_CLOSEONLY || (mode==SYMBOL_TRADE_MODE_LONGONLY && !buy) || (mode==SYMBOL_TRADE_MODE_SHORTONLY && buy))
     {
      CbRefuse(o,"trade mode of "+symbol+" is "+CbTradeModeName(mode)+": cannot open a "+CbSideName(buy));
      return(false);
     }
   //--- a netting account holds one position per symbol: a copy would merge into it
   if(!session.IsHedging() && PositionSelect(symbol))
     {
      ulong held=(ulong)PositionGetInteger(POSITION_TICKET);
      if(!m_copies.IsOurs(journal,magic,held))
        {
         PositionSelectByTicket(held);
         CbRefuse(o,"netting account: a copy of "+cmd.master+"#"+cmd.master_position+" would net against position #"+CbTicketString(held)+" ("+
                  (PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY ? "buy " : "sell ")+JsonNumber(PositionGetDouble(POSITION_VOLUME),8)+" "+symbol+", magic "+
                  IntegerToString(PositionGetInteger(POSITION_MAGIC))+", comment \""+PositionGetString(POSITION_COMMENT)+"\"), which is not a CopyBridge copy: left alone");
         return(false);
        }
     }
   int digits=CbSymbolDigits(symbol);
   o.digits=digits;
   double lots=m_trader.NormalizeVolume(symbol,cmd.volume,error);
   if(lots<=0.0)
     {
      CbRefuse(o,error);
      return(false);
     }
   if(RefuseBeyondLimits(session,cmd,lots,o))
      return(false);
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_DEAL;
   request.symbol=symbol;
   request.volume=lots;
   request.type=(buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL);
   request.sl=m_trader.NormalizePrice(symbol,cmd.sl);
   request.tp=m_trader.NormalizePrice(symbol,cmd.tp);
   request.deviation=(ulong)MathMax(0.0,max_dev);
   request.magic=(ulong)magic;
   request.comment=cmd.comment;
   request.type_filling=m_trader.Filling(symbol);
   request.type_time=ORDER_TIME_GTC;
   double want_sl=request.sl;
   double want_tp=request.tp;
   bool refilled=false;
   bool unstopped=false;
   bool ok=false;
   int attempt=0;
   while(attempt<CB_MAX_SEND_ATTEMPTS)
     {
      double price=0.0;
      if(!m_trader.MarketPrice(symbol,buy,session.TickMaxAgeMs(),price,error))
        {
         CbRefuse(o,error);
         return(false);
        }
      //--- under market execution the broker fills at its price: check the fresh tick first
      double dev=m_trader.DeviationPoints(symbol,price,cmd.price);
      if(dev>max_dev+1e-6)
        {
         string retried=(attempt>0 ? " after "+IntegerToString(attempt)+" attempt(s) (last retcode "+IntegerToString(o.retcode)+")" : "");
         CbRefuse(o,"price moved "+JsonNumber(dev,1)+" points: "+(buy ? "ask " : "bid ")+DoubleToString(price,digits)+" vs master price "+DoubleToString(cmd.price,digits)+
                  ", more than the allowed "+JsonNumber(max_dev,1)+" points"+retried);
         return(false);
        }
      request.price=m_trader.NormalizePrice(symbol,price);
      ok=m_trader.SendOnce(request,o);
      if(ok)
         break;
      ENUM_ORDER_TYPE_FILLING other=request.type_filling;
      if(o.retcode==TRADE_RETCODE_INVALID_FILL && !refilled && m_trader.OtherFilling(symbol,request.type_filling,other))
        {
         //--- the symbol's flags said it was allowed; brokers' flags are wrong now and then
         refilled=true;
         CbLogEvent("OrderSend "+symbol+": filling "+CbFillingName(request.type_filling)+" refused ("+o.message+"); trying "+CbFillingName(other)+" once");
         request.type_filling=other;
         continue;
        }
      if(o.retcode==TRADE_RETCODE_INVALID_STOPS && !unstopped && (request.sl>0.0 || request.tp>0.0))
        {
         //--- stops inside the stops level: a copy without them, protected right after, beats no copy
         unstopped=true;
         CbLogEvent("OrderSend "+symbol+": SL "+DoubleToString(request.sl,digits)+" TP "+DoubleToString(request.tp,digits)+" refused ("+o.message+
                    ", stops level "+IntegerToString(SymbolInfoInteger(symbol,SYMBOL_TRADE_STOPS_LEVEL))+" points); opening without them, then setting them");
         request.sl=0.0;
         request.tp=0.0;
         continue;
        }
      if(!CbRetcodeRetryable((uint)o.retcode))
         break;
      attempt++;
      CbLogEvent("OrderSend "+symbol+": "+IntegerToString(o.retcode)+" "+o.message+"; retrying with a fresh price");
     }
   if(!ok)
      return(false);
   //--- the journal first: the position may not be visible yet, but whatever comes next (a
   //--- snapshot, a restart), the EA knows this master position is copied
   ulong identifier=o.position;
   if(identifier==0)
      identifier=IdentifierAfter(session,symbol,o.order);
   o.position=identifier;
   if(identifier>0)
      journal.RecordCopy(cmd.master,cmd.master_position,identifier);
   m_copies.Opened(identifier);
   if(o.status==CB_STATUS_PLACED)
     {
      o.ticket=0;
      o.message="order #"+CbTicketString(o.order)+" placed ("+o.message+"): in progress, the result follows when the exchange fills it";
      Track(cmd,cmd.cmd_id,o,identifier,magic,cmd.comment,0.0,(unstopped ? want_sl : 0.0),(unstopped ? want_tp : 0.0),now);
      return(true);
     }
   //--- the deal not in the history yet: its position is confirmed when it is
   if(o.deal==0 || !HistoryDealSelect(o.deal))
      Track(cmd,"",o,identifier,magic,cmd.comment,0.0,0.0,0.0,now);
   ulong ticket=m_trader.TicketOfPosition(identifier);
   if(ticket==0)
      ticket=m_trader.FindByComment(magic,cmd.comment);
   if(ticket==0)
      ticket=identifier;
   o.ticket=ticket;
   if(unstopped)
      StopsAfterOpen(symbol,identifier,magic,want_sl,want_tp,o);
   return(true);
  }

bool CCbExecutor::RefuseBeyondLimits(const CCbSession &session,const CbCommand &cmd,const double lots,CbOutcome &o)
  {
   string why=session.OpenRefusal(cmd.symbol,lots,!cmd.increase);
   if(why=="")
      return(false);
   CbRefuse(o,why);
   return(true);
  }

bool CCbExecutor::ExecClose(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const long now)
  {
   ulong ticket=Target(journal,session,cmd,o,true);
   if(ticket==0)
      return(false);
   string symbol=PositionGetString(POSITION_SYMBOL);
   double pos_volume=PositionGetDouble(POSITION_VOLUME);
   bool pos_buy=(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY);
   ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
   long magic=PositionGetInteger(POSITION_MAGIC);
   int digits=CbSymbolDigits(symbol);
   o.digits=digits;
   string error="";
   if(!m_trader.Select(symbol,error))
     {
      CbRefuse(o,error);
      return(false);
     }
   double volume=(cmd.has_volume ? cmd.volume : pos_volume);
   double lots=pos_volume;
   if(volume<pos_volume-1e-9)
     {
      lots=m_trader.NormalizeVolume(symbol,volume,error);
      if(lots<=0.0)
        {
         CbRefuse(o,"partial close of #"+CbTicketString(ticket)+": "+error);
         o.has_remaining=true;
         o.remaining=pos_volume;
         return(false);
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
   bool refilled=false;
   int attempt=0;
   while(attempt<CB_MAX_SEND_ATTEMPTS)
     {
      double price=0.0;
      //--- any quote will do: closes are never refused for deviation, getting out matters more than the price
      if(!m_trader.MarketPrice(symbol,!pos_buy,0,price,error))
        {
         CbRefuse(o,error);
         return(false);
        }
      request.price=m_trader.NormalizePrice(symbol,price);
      ok=m_trader.SendOnce(request,o);
      if(ok)
         break;
      ENUM_ORDER_TYPE_FILLING other=request.type_filling;
      if(o.retcode==TRADE_RETCODE_INVALID_FILL && !refilled && m_trader.OtherFilling(symbol,request.type_filling,other))
        {
         refilled=true;
         CbLogEvent("OrderSend close #"+CbTicketString(ticket)+": filling "+CbFillingName(request.type_filling)+" refused ("+o.message+"); trying "+CbFillingName(other)+" once");
         request.type_filling=other;
         continue;
        }
      if(!CbRetcodeRetryable((uint)o.retcode))
         break;
      attempt++;
      CbLogEvent("OrderSend close #"+CbTicketString(ticket)+": "+IntegerToString(o.retcode)+" "+o.message+"; retrying with a fresh price");
     }
   o.ticket=ticket;
   o.position=identifier;
   double left=MathMax(0.0,NormalizeDouble(pos_volume-lots,8));
   if(ok && o.status==CB_STATUS_PLACED)
     {
      o.message="order #"+CbTicketString(o.order)+" placed ("+o.message+"): in progress, the result follows when the exchange fills it";
      Track(cmd,cmd.cmd_id,o,identifier,magic,"",left,0.0,0.0,now);
      return(true);
     }
   o.has_remaining=true;
   //--- what is left follows from what was closed: the position list may not show the deal yet
   o.remaining=(ok ? left : pos_volume);
   if(ok && o.remaining<=0.0)
     {
      journal.RecordGone(identifier);
      m_copies.Closed(identifier);
     }
   return(true);
  }

bool CCbExecutor::ExecCloseBy(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o)
  {
   if(!session.IsHedging())
     {
      CbRefuse(o,"close_by needs a hedging account; this account is "+session.MarginMode());
      return(false);
     }
   ulong a=Named(journal,cmd.ticket,cmd.master,cmd.master_position);
   ulong b=Named(journal,cmd.ticket_by,cmd.master,cmd.master_position_by);
   if(a==0 || b==0)
     {
      RefuseMissing(o,(a==0 ? cmd.ticket : cmd.ticket_by),true);
      return(false);
     }
   if(RefuseForeign(journal,session.Magic(),o,a) || RefuseForeign(journal,session.Magic(),o,b))
      return(false);
   PositionSelectByTicket(a);
   string symbol=PositionGetString(POSITION_SYMBOL);
   double va=PositionGetDouble(POSITION_VOLUME);
   ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
   long magic=PositionGetInteger(POSITION_MAGIC);
   PositionSelectByTicket(b);
   double vb=PositionGetDouble(POSITION_VOLUME);
   ulong identifier_by=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
   o.digits=CbSymbolDigits(symbol);
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_CLOSE_BY;
   request.position=a;
   request.position_by=b;
   request.symbol=symbol;
   request.magic=(ulong)magic;
   bool ok=m_trader.Send(request,o);
   o.ticket=a;
   o.position=identifier;
   if(ok && o.volume<=0.0)
      o.volume=MathMin(va,vb);
   o.has_remaining=true;
   o.remaining=(PositionSelectByTicket(a) ? PositionGetDouble(POSITION_VOLUME) : 0.0);
   if(ok)
     {
      if(m_trader.TicketOfPosition(identifier)==0)
         journal.RecordGone(identifier);
      if(m_trader.TicketOfPosition(identifier_by)==0)
         journal.RecordGone(identifier_by);
      //--- the pair is closed in full when their volumes were equal, whatever the list shows yet
      if(MathAbs(va-vb)<1e-9)
        {
         journal.RecordGone(identifier);
         journal.RecordGone(identifier_by);
         m_copies.Closed(identifier);
         m_copies.Closed(identifier_by);
        }
     }
   return(true);
  }

bool CCbExecutor::ExecModify(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o)
  {
   ulong ticket=Target(journal,session,cmd,o,false);
   if(ticket==0)
      return(false);
   string symbol=PositionGetString(POSITION_SYMBOL);
   ulong identifier=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
   int digits=CbSymbolDigits(symbol);
   o.digits=digits;
   double sl=m_trader.NormalizePrice(symbol,cmd.sl);
   double tp=m_trader.NormalizePrice(symbol,cmd.tp);
   double cur_sl=NormalizeDouble(PositionGetDouble(POSITION_SL),digits);
   double cur_tp=NormalizeDouble(PositionGetDouble(POSITION_TP),digits);
   o.ticket=ticket;
   o.position=identifier;
   if(sl==cur_sl && tp==cur_tp)
     {
      o.status=CB_STATUS_DONE;
      o.retcode=0;
      o.message="SL "+DoubleToString(sl,digits)+" and TP "+DoubleToString(tp,digits)+" already set";
      return(false);
     }
   MqlTradeRequest request;
   ZeroMemory(request);
   request.action=TRADE_ACTION_SLTP;
   request.position=ticket;
   request.symbol=symbol;
   request.sl=sl;
   request.tp=tp;
   request.magic=(ulong)PositionGetInteger(POSITION_MAGIC);
   if(!m_trader.Send(request,o) && o.retcode==TRADE_RETCODE_NO_CHANGES)
     {
      //--- the server has these stops already (the position list showed older ones)
      o.status=CB_STATUS_DONE;
      o.message="SL "+DoubleToString(sl,digits)+" and TP "+DoubleToString(tp,digits)+" already set on the server ("+o.message+")";
     }
   o.ticket=ticket;
   o.position=identifier;
   return(false);
  }

void CCbExecutor::SendResult(CCbHubLink &link,const string cmd_id,CbOutcome &o)
  {
   link.Envelope("result");
   link.Str("cmd_id",cmd_id);
   link.Str("status",CbStatusName(o.status));
   link.Int("retcode",o.retcode);
   link.Str("message",StringSubstr(o.message,0,500));
   if(o.ticket>0)
      link.Str("ticket",CbTicketString(o.ticket));
   if(o.position>0)
      link.Str("position",CbTicketString(o.position));
   if(o.deal>0)
      link.Str("deal",CbTicketString(o.deal));
   if(o.price>0.0)
      link.Num("price",o.price,o.digits);
   if(o.volume>0.0)
      link.Num("volume",o.volume,8);
   if(o.has_remaining)
      link.Num("remaining_volume",o.remaining,8);
   link.Send();
  }

void CCbExecutor::Report(CCbChartStatus &status,const CbCommand &cmd,CbOutcome &o,const long exec_ms,const long total_ms)
  {
   string detail=CbMessageName(cmd.type)+" "+cmd.master+"#"+cmd.master_position;
   switch(cmd.type)
     {
      case CB_MSG_OPEN:
         detail+=" "+cmd.side+" "+JsonNumber(cmd.volume,8)+" "+cmd.symbol;
         break;
      case CB_MSG_CLOSE:
         detail+=" #"+cmd.ticket+" "+JsonNumber(cmd.volume,8)+" lots";
         break;
      case CB_MSG_CLOSE_BY:
         detail+=" #"+cmd.ticket+" by #"+cmd.ticket_by;
         break;
      case CB_MSG_PLACE:
         detail+=" "+cmd.order_type+" "+JsonNumber(cmd.volume,8)+" "+cmd.symbol+" @ "+JsonNumber(cmd.price,8);
         break;
      case CB_MSG_MODIFY_ORDER:
         detail+=" order #"+cmd.ticket+" @ "+JsonNumber(cmd.price,8)+" SL "+JsonNumber(cmd.sl,8)+" TP "+JsonNumber(cmd.tp,8);
         break;
      case CB_MSG_REMOVE:
         detail+=" order #"+cmd.ticket;
         break;
      default:
         detail+=" #"+cmd.ticket+" SL "+JsonNumber(cmd.sl,8)+" TP "+JsonNumber(cmd.tp,8);
     }
   string outcome=CbStatusName(o.status);
   if(o.ticket>0)
      outcome+=" #"+CbTicketString(o.ticket);
   if(o.price>0.0)
      outcome+=" @ "+DoubleToString(o.price,o.digits);
   outcome+=": "+o.message;
   if(o.retcode!=0)
      outcome+=" (retcode "+IntegerToString(o.retcode)+")";
   string line=detail+" -> "+outcome+"; "+IntegerToString(exec_ms)+" ms here, "+IntegerToString(total_ms)+" ms since the hub sent it";
   switch(o.status)
     {
      case CB_STATUS_REFUSED:
      case CB_STATUS_EXPIRED:
         CbLogRefusal(line);
         break;
      case CB_STATUS_REJECTED:
         CbLogError("OrderSend",line);
         break;
      default:
         CbLogEvent(line);
     }
   //--- a refusal says why on the chart too: the user may have to act (limits, settings)
   status.CommandDone(detail+" -> "+CbStatusName(o.status)+(o.status==CB_STATUS_REFUSED ? ": "+o.message : ""),total_ms);
  }

bool CCbExecutor::Execute(CCbHubLink &link,CCbJournal &journal,CCbSession &session,CCbChartStatus &status,const CbCommand &cmd)
  {
   string type=CbMessageName(cmd.type);
   if(cmd.cmd_id=="")
     {
      CbLogError("Execute",type+" without cmd_id ignored");
      return(false);
     }
   if(!session.Welcomed())
     {
      //--- the hub re-sends until it gets a result; the welcome comes first
      CbLogDebug(type+" "+cmd.cmd_id+" before the welcome: ignored for now");
      return(false);
     }
   long now=link.NowMs();
   ulong started=GetMicrosecondCount();
   CbOutcome o;
   CbOutcomeReset(o);
   int index=journal.FindCmd(cmd.cmd_id);
   if(index>=0)
     {
      //--- the same command again: never executed twice
      string prev=journal.CmdStatus(index);
      ENUM_CB_STATUS prev_status=CbParseStatus(prev);
      bool executed=(prev_status==CB_STATUS_DONE || prev_status==CB_STATUS_PARTIAL || prev_status==CB_STATUS_DUPLICATE);
      o.status=(executed ? CB_STATUS_DUPLICATE : prev_status);
      o.retcode=(executed ? 0 : journal.CmdRetcode(index));
      o.message="cmd_id "+cmd.cmd_id+" already handled ("+prev+": "+journal.CmdMessage(index)+")";
      o.ticket=CbParseTicket(journal.CmdTicket(index));
      o.position=CbParseTicket(journal.CmdPosition(index));
      if(prev_status==CB_STATUS_PLACED)
        {
         //--- still in the market, or filled while this EA was away (restart): confirmed below
         o.order=o.ticket;
         o.ticket=0;
         if(FindTracked(cmd.cmd_id)<0)
            Track(cmd,cmd.cmd_id,o,o.position,(cmd.magic>0 ? cmd.magic : session.Magic()),cmd.comment,0.0,0.0,0.0,now);
        }
      SendResult(link,cmd.cmd_id,o);
      CbLogEvent(type+" "+cmd.master+"#"+cmd.master_position+" "+cmd.cmd_id+": "+CbStatusName(o.status)+", "+o.message);
      return(false);
     }
   bool traded=false;
   if(session.Role()!=CB_ROLE_SLAVE)
      CbRefuse(o,"this terminal's role is "+CbRoleName(session.Role())+"; only slaves execute "+type+" commands");
   else
      if(CbCommandExpiry(cmd,now)!="")
        {
         o.status=CB_STATUS_EXPIRED;
         o.message=CbCommandExpiry(cmd,now);
        }
      else
        {
         session.CheckTradeAllowed(false);
         if(!session.TradeAllowed())
           {
            CbRefuse(o,"algo trading is off: "+CbTradeProblem());
            o.retcode=TRADE_RETCODE_CLIENT_DISABLES_AT;
           }
         else
            switch(cmd.type)
              {
               case CB_MSG_OPEN:
                  traded=ExecOpen(journal,session,cmd,o,now);
                  break;
               case CB_MSG_CLOSE:
                  traded=ExecClose(journal,session,cmd,o,now);
                  break;
               case CB_MSG_CLOSE_BY:
                  traded=ExecCloseBy(journal,session,cmd,o);
                  break;
               case CB_MSG_PLACE:
                  traded=m_pending.Place(journal,(cmd.magic>0 ? cmd.magic : session.Magic()),cmd,o);
                  break;
               case CB_MSG_MODIFY_ORDER:
                  traded=m_pending.Modify(cmd,o);
                  break;
               case CB_MSG_REMOVE:
                  traded=m_pending.Remove(cmd,o);
                  break;
               default:
                  traded=ExecModify(journal,session,cmd,o);
              }
        }
   if(traded)
      session.SnapshotSoon(link.NowMs()+CB_SNAPSHOT_AFTER_TRADE_MS);
   long exec_ms=(long)((GetMicrosecondCount()-started)/1000);
   //--- a placed command keeps its order's ticket, to be confirmed after a restart
   ulong kept=(o.status==CB_STATUS_PLACED ? o.order : o.ticket);
   journal.RecordCmd(cmd.cmd_id,CbStatusName(o.status),o.retcode,(kept>0 ? CbTicketString(kept) : ""),(o.position>0 ? CbTicketString(o.position) : ""),o.message);
   SendResult(link,cmd.cmd_id,o);
   //--- the EA's ms clock is only as fine as its timer: a negative age is a few ms of clock skew
   long total_ms=link.NowMs()-cmd.sent_ms;
   if(total_ms<0)
      total_ms=0;
   Report(status,cmd,o,exec_ms,total_ms);
   return(true);
  }

#endif
