//+------------------------------------------------------------------+
//| Status.mqh - the chart's status text                             |
//|                                                                  |
//| What the user sees in the chart's corner: the connection to the  |
//| hub, the role, open copies, counters, the last latency and the   |
//| last event. The other parts tell it what happened; the EA shows  |
//| it at most every CB_STATUS_INTERVAL_MS unless forced.            |
//+------------------------------------------------------------------+
#ifndef CB_STATUS_MQH
#define CB_STATUS_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Protocol.mqh"
#include "Link.mqh"
#include "Session.mqh"

#define CB_STATUS_INTERVAL_MS       250

//--- the chart's text when the EA does not start: why, and what to do
void CbShowStopped(const string why)
  {
   Comment("CopyBridge: STOPPED\n"+why);
  }

class CCbChartStatus
  {
private:
   string            m_last_event;
   long              m_last_latency_ms;
   long              m_commands;
   long              m_deals_sent;
   string            m_text;
   long              m_shown_ms;
   string            m_notifications;

   string            Connection(CCbHubLink &link,const CCbSession &session,const long now);

public:
                     CCbChartStatus(void) : m_last_event(""), m_last_latency_ms(-1), m_commands(0), m_deals_sent(0), m_text(""), m_shown_ms(0), m_notifications("") {}
   //--- a new session has no last event yet
   void              ForgetLastEvent(void) { m_last_event=""; }
   void              Event(const string line) { m_last_event=line; }
   void              DealSent(const string line) { m_deals_sent++; m_last_event=line; }
   void              CommandDone(const string line,const long latency_ms) { m_commands++; m_last_latency_ms=latency_ms; m_last_event=line; }
   //--- the notifier's line (Notify.mqh); "" shows none
   void              Notifications(const string line) { m_notifications=line; }
   //--- true when the text is to be shown again now
   bool              Due(const long now,const bool force) const { return(force || now-m_shown_ms>=CB_STATUS_INTERVAL_MS); }
   void              Show(CCbHubLink &link,const CCbSession &session,const int open_copies);
  };

string CCbChartStatus::Connection(CCbHubLink &link,const CCbSession &session,const long now)
  {
   if(!link.IsOpen())
      return("NOT CONNECTED (bridge not open, retrying)");
   if(session.HubError()!="")
      return("ERROR "+session.HubError());
   if(session.Switched())
      return("ACCOUNT SWITCHED to login "+IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN))+": no command is executed until the hub welcomes it ("+
             IntegerToString(session.Hellos())+" hello sent)");
   if(!session.Welcomed())
      return("waiting for the hub ("+IntegerToString(session.Hellos())+" hello sent to "+link.PushEndpoint()+")");
   return("connected, last message "+IntegerToString((now-session.LastRxMs())/1000)+" s ago");
  }

void CCbChartStatus::Show(CCbHubLink &link,const CCbSession &session,const int open_copies)
  {
   long now=link.NowMs();
   m_shown_ms=now;
   string dropped="";
   long sd=link.SendDropped();
   long rd=link.RecvDropped();
   if(sd>0 || rd>0)
      dropped="   DROPPED: "+IntegerToString(sd)+" sent, "+IntegerToString(rd)+" received";
   bool trade_allowed=session.TradeAllowed();
   string protection=session.LimitsLine();
   string text="CopyBridge "+CbVersion()+"  account "+link.Account()+" ("+session.MarginMode()+")\n"+
               "Hub: "+Connection(link,session,now)+"\n"+
               "Role: "+CbRoleName(session.Role())+(session.Magic()>0 ? ", magic "+IntegerToString(session.Magic()) : "")+(trade_allowed ? "" : "  ALGO TRADING OFF")+"\n"+
               "Open copies: "+IntegerToString(open_copies)+"   commands: "+IntegerToString(m_commands)+"   deals sent: "+IntegerToString(m_deals_sent)+"\n"+
               "Last latency: "+(m_last_latency_ms>=0 ? IntegerToString(m_last_latency_ms)+" ms" : "-")+dropped+"\n"+
               "Last: "+(m_last_event!="" ? m_last_event : "-")+
               (protection!="" ? "\n"+protection : "")+
               (m_notifications!="" ? "\n"+m_notifications : "")+
               (trade_allowed ? "" : "\nALGO TRADING OFF: "+CbTradeProblem());
   if(text!=m_text)
     {
      m_text=text;
      Comment(text);
     }
  }

#endif
