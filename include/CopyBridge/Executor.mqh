//+------------------------------------------------------------------+
//| Executor.mqh - the hub's commands, carried out on a slave        |
//|                                                                  |
//| open, close (in full or in part), close_by and modify, each      |
//| answered with a result. A command is never executed twice (the   |
//| journal remembers every cmd_id) and a master position is never   |
//| copied twice (journal, then magic number and comment). Opens are |
//| refused when the price moved too far; closes never are.          |
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

#define CB_CLOSE_DEVIATION_POINTS   1000000
//--- a snapshot this long after a trade shows the hub the position as the server has it
#define CB_SNAPSHOT_AFTER_TRADE_MS  500

class CCbExecutor
  {
private:
   CCbTrader         m_trader;
   CCbCopies         m_copies;

   bool              RefuseForeign(CCbJournal &journal,const long magic,CbOutcome &o,const ulong ticket);
   void              RefuseMissing(CbOutcome &o,const string ticket_text,const bool with_remaining);
   //--- the copy a close or modify names, selected; 0 with the outcome refused when it is not
   //--- open (with_remaining: the result says 0 lots remain) or not a copy
   ulong             Target(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const bool with_remaining);
   //--- each true when positions may have changed (a snapshot follows soon)
   bool              ExecOpen(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   bool              ExecClose(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   bool              ExecCloseBy(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   bool              ExecModify(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o);
   void              SendResult(CCbHubLink &link,const string cmd_id,CbOutcome &o);
   //--- one line in the Experts tab and the chart status per executed command
   void              Report(CCbChartStatus &status,const CbCommand &cmd,CbOutcome &o,const long exec_ms,const long total_ms);

public:
   //--- false when the command was ignored (no id, before the welcome) or is a repeat
   bool              Execute(CCbHubLink &link,CCbJournal &journal,CCbSession &session,CCbChartStatus &status,const CbCommand &cmd);
  };

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

ulong CCbExecutor::Target(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o,const bool with_remaining)
  {
   ulong ticket=m_copies.Named(journal,cmd.ticket,cmd.master,cmd.master_position);
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

bool CCbExecutor::ExecOpen(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o)
  {
   string symbol=cmd.symbol;
   bool buy=(cmd.side=="buy");
   double max_dev=cmd.max_deviation_points;
   long magic=(cmd.magic>0 ? cmd.magic : session.Magic());
   //--- never a second copy of the same master position
   if(!cmd.increase)
     {
      ulong existing=m_copies.Find(journal,cmd.master,cmd.master_position,magic,cmd.comment);
      if(existing>0 && PositionSelectByTicket(existing))
        {
         o.status=CB_STATUS_DUPLICATE;
         o.retcode=0;
         o.message="master position "+cmd.master+"#"+cmd.master_position+" is already copied as position #"+CbTicketString(existing);
         o.ticket=existing;
         o.position=(ulong)PositionGetInteger(POSITION_IDENTIFIER);
         o.digits=CbSymbolDigits(PositionGetString(POSITION_SYMBOL));
         o.price=PositionGetDouble(POSITION_PRICE_OPEN);
         o.volume=PositionGetDouble(POSITION_VOLUME);
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
   int digits=CbSymbolDigits(symbol);
   o.digits=digits;
   double lots=m_trader.NormalizeVolume(symbol,cmd.volume,error);
   if(lots<=0.0)
     {
      CbRefuse(o,error);
      return(false);
     }
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
   bool ok=false;
   for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
     {
      double price=0.0;
      if(!m_trader.MarketPrice(symbol,buy,price,error))
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
      request.price=NormalizeDouble(price,digits);
      ok=m_trader.SendOnce(request,o);
      if(ok || !CbRetcodeRetryable((uint)o.retcode))
         break;
      CbLogEvent("OrderSend "+symbol+": "+IntegerToString(o.retcode)+" "+o.message+"; retrying with a fresh price");
     }
   if(!ok)
      return(false);
   ulong ticket=m_trader.TicketOfPosition(o.position);
   if(ticket==0)
      ticket=m_trader.FindByComment(magic,cmd.comment);
   if(ticket==0)
      ticket=o.position;
   o.ticket=ticket;
   if(o.position==0)
      o.position=m_trader.IdentifierOf(ticket);
   if(o.position>0)
      journal.RecordCopy(cmd.master,cmd.master_position,o.position);
   return(true);
  }

bool CCbExecutor::ExecClose(CCbJournal &journal,const CCbSession &session,const CbCommand &cmd,CbOutcome &o)
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
   for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
     {
      double price=0.0;
      if(!m_trader.MarketPrice(symbol,!pos_buy,price,error))
        {
         CbRefuse(o,error);
         return(false);
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
   //--- what is left follows from what was closed: the position list may not show the deal yet
   o.remaining=(ok ? MathMax(0.0,NormalizeDouble(pos_volume-lots,8)) : pos_volume);
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
   ulong a=m_copies.Named(journal,cmd.ticket,cmd.master,cmd.master_position);
   ulong b=m_copies.Named(journal,cmd.ticket_by,cmd.master,cmd.master_position_by);
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
   m_trader.Send(request,o);
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
   status.CommandDone(detail+" -> "+CbStatusName(o.status),total_ms);
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
                  traded=ExecOpen(journal,session,cmd,o);
                  break;
               case CB_MSG_CLOSE:
                  traded=ExecClose(journal,session,cmd,o);
                  break;
               case CB_MSG_CLOSE_BY:
                  traded=ExecCloseBy(journal,session,cmd,o);
                  break;
               default:
                  traded=ExecModify(journal,session,cmd,o);
              }
        }
   if(traded)
      session.SnapshotSoon(link.NowMs()+CB_SNAPSHOT_AFTER_TRADE_MS);
   long exec_ms=(long)((GetMicrosecondCount()-started)/1000);
   journal.RecordCmd(cmd.cmd_id,CbStatusName(o.status),o.retcode,(o.ticket>0 ? CbTicketString(o.ticket) : ""),(o.position>0 ? CbTicketString(o.position) : ""),o.message);
   SendResult(link,cmd.cmd_id,o);
   //--- the EA's ms clock is only as fine as its timer: a negative age is a few ms of clock skew
   long total_ms=link.NowMs()-cmd.sent_ms;
   if(total_ms<0)
      total_ms=0;
   Report(status,cmd,o,exec_ms,total_ms);
   return(true);
  }

#endif
