//+------------------------------------------------------------------+
//| Reporter.mqh - what happens in this account, told to the hub     |
//|                                                                  |
//| Deals (every role: a master's are copied, a slave's tell the hub |
//| about SL/TP hits and stop-outs) and SL/TP changes of positions.  |
//| The snapshot, symbol specs and ticks are in Market.mqh.          |
//|                                                                  |
//| Trade transactions arrive in no guaranteed order, may be dropped |
//| when the queue overflows, and may come before the history and    |
//| the position list show their deal. So a transaction only says    |
//| "look": deals are reported from the history, in ticket order,    |
//| each with its position as of that deal (from the position's own  |
//| deals, never from the live position list). A deal the history   |
//| does not show yet is waited for, and the deals after it too (the |
//| server numbers deals in the order it makes them).                |
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

//--- a deal a transaction named may stay out of the history this long; then the snapshot tells
#define CB_DEAL_WAIT_MS             10000
//--- the history is read for deals whose transaction never came (queue overflow) this often
#define CB_HISTORY_SCAN_MS          1000
//--- the history window starts this long before the last reported deal, and ends this far ahead
#define CB_HISTORY_SLACK_SEC        60
#define CB_HISTORY_AHEAD_SEC        86400
//--- at start, deals of this last period are taken as already reported
#define CB_HISTORY_START_SEC        604800
//--- ReportDeal outcomes
#define CB_DEAL_SENT                0
#define CB_DEAL_SKIPPED             1
#define CB_DEAL_NOT_READY           2

//--- a deal a transaction named, not reported yet
struct CbWaitingDeal
  {
   ulong             deal;
   ulong             position;
   ulong             position_by;
   long              since_ms;
  };

//--- a position as the last deal reported of it left it
struct CbReportedPosition
  {
   ulong             position;
   double            volume;
   long              at_ms;
  };

//--- an SL/TP change of a position, sent after the deals of its position
struct CbWaitingChange
  {
   ulong             position;
   string            symbol;
   double            volume;
   double            sl;
   double            tp;
   long              since_ms;
  };

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
   //--- every deal up to this ticket is reported (or not a trade)
   ulong             m_cursor;
   datetime          m_scan_from;
   long              m_scan_ms;
   CB_ARRAY(CbWaitingDeal,m_waiting);
   int               m_waiting_count;
   CB_ARRAY(CbWaitingChange,m_changes);
   int               m_change_count;
   //--- positions of the deals reported in the last CB_DEAL_WAIT_MS
   CB_ARRAY(CbReportedPosition,m_reported);
   int               m_reported_count;

   int               FindWaiting(const ulong deal);
   void              Wait(const ulong deal,const ulong position,const ulong position_by,const long now);
   void              ForgetWaiting(const int index);
   void              ForgetChange(const int index);
   void              Reported(const ulong position,const double volume,const long now);
   //--- deals of the history above the cursor and below `below` (0: no bound), in ticket order
   int               Collect(CB_ARRAY_REF(ulong,tickets),const ulong below);
   //--- volume and side of a position after one of its deals (0: after all), from its deals
   bool              PositionAfter(const ulong position,const ulong deal,double &volume,string &side);
   //--- the opposite position of a close-by deal (on its order), "" when none
   string            PositionBy(const ulong order,const ulong position);
   //--- CB_DEAL_SENT, CB_DEAL_SKIPPED, or CB_DEAL_NOT_READY while `patient` and it lacks a part
   int               ReportDeal(CCbHubLink &link,CCbChartStatus &status,const ulong deal,const ulong position_by,const bool patient);
   //--- false while the deals of the position are not all reported
   bool              ReportChange(CCbHubLink &link,CCbChartStatus &status,const int index);

public:
                     CCbReporter(void) : m_cursor(0), m_scan_from(0), m_scan_ms(0), m_waiting_count(0), m_change_count(0), m_reported_count(0) {}
   //--- OnInit: deals already in the history are not reported (the snapshot carries them)
   void              StartDeals(void);
   //--- TRADE_TRANSACTION_DEAL_ADD: the deal is reported once the history shows it
   void              DealAdded(const MqlTradeTransaction &trans,const long now);
   //--- TRADE_TRANSACTION_POSITION: the change is reported after the deals of its position
   void              PositionChanged(const MqlTradeTransaction &trans,const long now);
   //--- true when the position list shows what the deals reported so far say: a snapshot
   //--- taken before would contradict them (the list may lag behind the history, or run ahead)
   bool              InStep(const long now);
   //--- reports what can be reported; `scan` reads the history even if no transaction asks.
   //--- False when a deal or change was given up: the next snapshot carries it
   bool              Flush(CCbHubLink &link,CCbChartStatus &status,const bool scan);
  };

void CCbReporter::StartDeals(void)
  {
   m_cursor=0;
   m_waiting_count=0;
   m_change_count=0;
   m_reported_count=0;
   m_scan_ms=0;
   datetime now=TimeTradeServer();
   m_scan_from=now-CB_HISTORY_SLACK_SEC;
   ResetLastError();
   if(!HistorySelect(now-CB_HISTORY_START_SEC,now+CB_HISTORY_AHEAD_SEC))
     {
      int err=GetLastError();
      CbLogError("HistorySelect",CbErrorText(err)+" ("+IntegerToString(err)+"); deals of the last minute may be reported again");
      return;
     }
   int total=HistoryDealsTotal();
   for(int i=0; i<total; i++)
     {
      ulong t=HistoryDealGetTicket(i);
      if(t>m_cursor)
         m_cursor=t;
     }
  }

int CCbReporter::FindWaiting(const ulong deal)
  {
   for(int i=0; i<m_waiting_count; i++)
      if(m_waiting[i].deal==deal)
         return(i);
   return(-1);
  }

void CCbReporter::Wait(const ulong deal,const ulong position,const ulong position_by,const long now)
  {
   if(deal<=m_cursor || FindWaiting(deal)>=0)
      return;
   if(m_waiting_count>=ArraySize(m_waiting))
      ArrayResize(m_waiting,m_waiting_count+16);
   m_waiting[m_waiting_count].deal=deal;
   m_waiting[m_waiting_count].position=position;
   m_waiting[m_waiting_count].position_by=position_by;
   m_waiting[m_waiting_count].since_ms=now;
   m_waiting_count++;
  }

void CCbReporter::ForgetWaiting(const int index)
  {
   for(int i=index; i<m_waiting_count-1; i++)
      m_waiting[i]=m_waiting[i+1];
   m_waiting_count--;
  }

void CCbReporter::ForgetChange(const int index)
  {
   for(int i=index; i<m_change_count-1; i++)
      m_changes[i]=m_changes[i+1];
   m_change_count--;
  }

void CCbReporter::Reported(const ulong position,const double volume,const long now)
  {
   int i=0;
   while(i<m_reported_count && m_reported[i].position!=position)
      i++;
   if(i==m_reported_count)
     {
      if(m_reported_count>=ArraySize(m_reported))
         ArrayResize(m_reported,m_reported_count+16);
      m_reported_count++;
     }
   m_reported[i].position=position;
   m_reported[i].volume=volume;
   m_reported[i].at_ms=now;
  }

bool CCbReporter::InStep(const long now)
  {
   if(m_waiting_count>0)
      return(false);
   for(int i=m_reported_count-1; i>=0; i--)
     {
      if(now-m_reported[i].at_ms>CB_DEAL_WAIT_MS)
        {
         m_reported[i]=m_reported[m_reported_count-1];
         m_reported_count--;
         continue;
        }
      ulong ticket=m_trader.TicketOfPosition(m_reported[i].position);
      double listed=(ticket>0 && PositionSelectByTicket(ticket) ? PositionGetDouble(POSITION_VOLUME) : 0.0);
      if(MathAbs(listed-m_reported[i].volume)>1e-8)
         return(false);
     }
   return(true);
  }

void CCbReporter::DealAdded(const MqlTradeTransaction &trans,const long now)
  {
   Wait(trans.deal,trans.position,trans.position_by,now);
  }

void CCbReporter::PositionChanged(const MqlTradeTransaction &trans,const long now)
  {
   //--- trans.position is a ticket; the hub knows positions by identifier
   ulong id=m_trader.IdentifierOf(trans.position);
   if(id==0)
      id=trans.position;
   int i=0;
   while(i<m_change_count && m_changes[i].position!=id)
      i++;
   if(i==m_change_count)
     {
      if(m_change_count>=ArraySize(m_changes))
         ArrayResize(m_changes,m_change_count+8);
      m_change_count++;
     }
   //--- a later change of the same position replaces the waiting one
   m_changes[i].position=id;
   m_changes[i].symbol=trans.symbol;
   m_changes[i].volume=trans.volume;
   m_changes[i].sl=trans.price_sl;
   m_changes[i].tp=trans.price_tp;
   m_changes[i].since_ms=now;
  }

int CCbReporter::Collect(CB_ARRAY_REF(ulong,tickets),const ulong below)
  {
   ResetLastError();
   if(!HistorySelect(m_scan_from,TimeTradeServer()+CB_HISTORY_AHEAD_SEC))
     {
      int err=GetLastError();
      CbLogError("HistorySelect",CbErrorText(err)+" ("+IntegerToString(err)+"); trying again on the next event");
      return(0);
     }
   int total=HistoryDealsTotal();
   int n=0;
   for(int i=0; i<total; i++)
     {
      ulong t=HistoryDealGetTicket(i);
      if(t<=m_cursor || (below>0 && t>=below))
         continue;
      ArrayResize(tickets,n+1);
      int j=n;
      while(j>0 && tickets[j-1]>t)
        {
         tickets[j]=tickets[j-1];
         j--;
        }
      tickets[j]=t;
      n++;
     }
   return(n);
  }

bool CCbReporter::PositionAfter(const ulong position,const ulong deal,double &volume,string &side)
  {
   volume=0.0;
   side="";
   if(!HistorySelectByPosition((long)position))
      return(false);
   int total=HistoryDealsTotal();
   double net=0.0;
   bool seen=false;
   for(int i=0; i<total; i++)
     {
      ulong t=HistoryDealGetTicket(i);
      if(t==0 || (deal>0 && t>deal))
         continue;
      long type=HistoryDealGetInteger(t,DEAL_TYPE);
      double v=HistoryDealGetDouble(t,DEAL_VOLUME);
      if(type==DEAL_TYPE_BUY)
         net+=v;
      else
         if(type==DEAL_TYPE_SELL)
            net-=v;
         else
            continue;
      seen=true;
     }
   net=NormalizeDouble(net,8);
   volume=MathAbs(net);
   if(net!=0.0)
      side=CbSideName(net>0.0);
   return(seen);
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

int CCbReporter::ReportDeal(CCbHubLink &link,CCbChartStatus &status,const ulong deal,const ulong position_by,const bool patient)
  {
   if(!HistoryDealSelect(deal))
      return(CB_DEAL_NOT_READY);
   long deal_time=HistoryDealGetInteger(deal,DEAL_TIME);
   if(deal_time-CB_HISTORY_SLACK_SEC>m_scan_from)
      m_scan_from=(datetime)(deal_time-CB_HISTORY_SLACK_SEC);
   long type=HistoryDealGetInteger(deal,DEAL_TYPE);
   if(type!=DEAL_TYPE_BUY && type!=DEAL_TYPE_SELL)
      return(CB_DEAL_SKIPPED);
   string entry=CbDealEntryName(HistoryDealGetInteger(deal,DEAL_ENTRY));
   if(entry=="")
      return(CB_DEAL_SKIPPED);
   ulong position=(ulong)HistoryDealGetInteger(deal,DEAL_POSITION_ID);
   ulong order=(ulong)HistoryDealGetInteger(deal,DEAL_ORDER);
   string symbol=HistoryDealGetString(deal,DEAL_SYMBOL);
   int digits=CbSymbolDigits(symbol);
   double volume=HistoryDealGetDouble(deal,DEAL_VOLUME);
   double price=HistoryDealGetDouble(deal,DEAL_PRICE);
   //--- opening deals carry the order's SL/TP, closing deals the position's
   double sl=HistoryDealGetDouble(deal,DEAL_SL);
   double tp=HistoryDealGetDouble(deal,DEAL_TP);
   long magic=HistoryDealGetInteger(deal,DEAL_MAGIC);
   string comment=HistoryDealGetString(deal,DEAL_COMMENT);
   string reason=CbDealReasonName(HistoryDealGetInteger(deal,DEAL_REASON));
   long time_msc=HistoryDealGetInteger(deal,DEAL_TIME_MSC);
   string side=CbSideName(type==DEAL_TYPE_BUY);
   //--- the transaction names the opposite position of a close-by; else its order does, once in the history
   string by="";
   if(entry=="out_by")
     {
      by=(position_by>0 ? CbTicketString(position_by) : PositionBy(order,position));
      if(by=="" && patient)
         return(CB_DEAL_NOT_READY);
     }
   double position_volume=0.0;
   string position_side="";
   PositionAfter(position,deal,position_volume,position_side);
   link.Envelope("deal");
   link.Str("deal",CbTicketString(deal));
   if(order>0)
      link.Str("order",CbTicketString(order));
   link.Str("position",CbTicketString(position));
   if(by!="")
      link.Str("position_by",by);
   link.Str("symbol",symbol);
   link.Str("side",side);
   link.Str("entry",entry);
   link.Num("volume",volume,8);
   link.Num("price",price,digits);
   link.Num("sl",sl,digits);
   link.Num("tp",tp,digits);
   link.Int("magic",magic);
   link.Str("comment",comment);
   link.Str("reason",reason);
   link.Int("time_ms",CbServerMsToUtc(time_msc));
   link.Num("position_volume",position_volume,8);
   if(position_side!="")
      link.Str("position_side",position_side);
   link.Send();
   string line="deal #"+CbTicketString(deal)+" "+entry+" "+side+" "+JsonNumber(volume,8)+" "+symbol+" @ "+DoubleToString(price,digits)+
               ", position #"+CbTicketString(position)+(by!="" ? " by #"+by : "")+" now "+JsonNumber(position_volume,8)+" lots ("+reason+")";
   CbLogEvent(line+" -> hub");
   status.DealSent(line);
   Reported(position,position_volume,link.NowMs());
   return(CB_DEAL_SENT);
  }

bool CCbReporter::ReportChange(CCbHubLink &link,CCbChartStatus &status,const int index)
  {
   ulong position=m_changes[index].position;
   for(int i=0; i<m_waiting_count; i++)
      if(m_waiting[i].position==position)
         return(false);
   double volume=0.0;
   string side="";
   //--- no deal in the history yet: the hub would not know the position
   if(!PositionAfter(position,0,volume,side) || side=="")
      return(false);
   string symbol=m_changes[index].symbol;
   int digits=CbSymbolDigits(symbol);
   double sl=m_changes[index].sl;
   double tp=m_changes[index].tp;
   link.Envelope("position");
   link.Str("position",CbTicketString(position));
   link.Str("symbol",symbol);
   link.Str("side",side);
   link.Num("volume",m_changes[index].volume,8);
   link.Num("sl",sl,digits);
   link.Num("tp",tp,digits);
   link.Send();
   string line="position #"+CbTicketString(position)+" "+symbol+" SL "+DoubleToString(sl,digits)+" TP "+DoubleToString(tp,digits);
   CbLogEvent(line+" -> hub");
   status.Event(line);
   return(true);
  }

bool CCbReporter::Flush(CCbHubLink &link,CCbChartStatus &status,const bool scan)
  {
   long now=link.NowMs();
   bool complete=true;
   //--- the lowest deal a transaction named that the history does not show yet: later deals wait
   ulong below=0;
   for(int i=m_waiting_count-1; i>=0; i--)
     {
      ulong deal=m_waiting[i].deal;
      if(deal<=m_cursor)
        {
         ForgetWaiting(i);
         continue;
        }
      if(HistoryDealSelect(deal))
         continue;
      if(now-m_waiting[i].since_ms>CB_DEAL_WAIT_MS)
        {
         CbLogError("HistoryDealSelect","deal #"+CbTicketString(deal)+" is still not in the history after "+IntegerToString(CB_DEAL_WAIT_MS)+" ms; the next snapshot carries the change");
         ForgetWaiting(i);
         complete=false;
         continue;
        }
      if(below==0 || deal<below)
         below=deal;
     }
   if(scan || m_waiting_count>0 || now-m_scan_ms>=CB_HISTORY_SCAN_MS)
     {
      m_scan_ms=now;
      CB_ARRAY(ulong,tickets);
      int n=Collect(tickets,below);
      for(int k=0; k<n; k++)
        {
         int w=FindWaiting(tickets[k]);
         ulong by=(w>=0 ? m_waiting[w].position_by : 0);
         long since=(w>=0 ? m_waiting[w].since_ms : now);
         if(ReportDeal(link,status,tickets[k],by,now-since<=CB_DEAL_WAIT_MS)==CB_DEAL_NOT_READY)
           {
            Wait(tickets[k],0,0,now);
            break;
           }
         m_cursor=tickets[k];
         if(w>=0)
            ForgetWaiting(w);
        }
     }
   for(int i=0; i<m_change_count; )
     {
      if(ReportChange(link,status,i))
         ForgetChange(i);
      else
         if(now-m_changes[i].since_ms>CB_DEAL_WAIT_MS)
           {
            CbLogError("ReportChange","position #"+CbTicketString(m_changes[i].position)+" has no deal in the history after "+IntegerToString(CB_DEAL_WAIT_MS)+" ms; the next snapshot carries its SL/TP");
            ForgetChange(i);
            complete=false;
           }
         else
            i++;
     }
   return(complete);
  }

#endif
