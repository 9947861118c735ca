//+------------------------------------------------------------------+
//| Notify.mqh - the hub's notifications to the trader's phone       |
//|                                                                  |
//| The hub sends `notify` messages to the one terminal its config   |
//| names (notifyTerminal); this EA hands each to SendNotification,  |
//| which pushes it to the MetaTrader app of the MetaQuotes ID set   |
//| in Tools > Options > Notifications. MetaTrader allows 255        |
//| characters, 2 calls a second and 10 a minute, and may switch the |
//| function off for a program that calls it more often: texts are   |
//| cut to fit, queued within those limits, and what does not fit    |
//| the queue is dropped and counted.                                |
//+------------------------------------------------------------------+
#ifndef CB_NOTIFY_MQH
#define CB_NOTIFY_MQH

#include "Compat.mqh"
#include "Util.mqh"

#define CB_NOTIFY_TEXT_MAX          255
#define CB_NOTIFY_PER_SECOND        2
#define CB_NOTIFY_PER_MINUTE        10
//--- notifications waiting for the limits; the hub's own rate window keeps a storm far below this
#define CB_NOTIFY_QUEUE_MAX         10
//--- MetaTrader said "too frequent" all the same (another program of the terminal sends too)
#define CB_NOTIFY_BACKOFF_MS        10000

//--- what to do when the terminal cannot push notifications
string CbNotifySettingsFix(void)
  {
   return("in the terminal, Tools > Options > Notifications: tick 'Enable Push Notifications' and enter the MetaQuotes ID shown in the MetaTrader app on your phone");
  }

class CCbNotifier
  {
private:
   CB_ARRAY(string,  m_queue);
   int               m_queued;
   //--- GetTickCount64() of the latest calls of SendNotification, a ring
   ulong             m_calls[CB_NOTIFY_PER_MINUTE];
   int               m_next_call;
   ulong             m_paused_until;
   long              m_sent;
   long              m_dropped;
   long              m_dropped_untold;
   //--- why notifications do not reach the phone; "" while they do
   string            m_problem;
   bool              m_used;

   int               CallsSince(const ulong now,const ulong window_ms) const;
   //--- false (with the problem shown) while the terminal has push notifications off
   bool              SettingsOk(void);
   void              SetProblem(const string problem);
   void              Drop(const int count,const string why);
   void              Pop(void);
   void              SendFirst(const ulong now);
   void              InitArrays(void);

public:
                     CCbNotifier(void) : m_queued(0), m_next_call(0), m_paused_until(0), m_sent(0), m_dropped(0), m_dropped_untold(0), m_problem(""), m_used(false) { InitArrays(); }
   //--- a notification from the hub: queued, or dropped (counted) when the queue is full or the
   //--- terminal cannot push
   void              Add(const string text);
   //--- sends what the limits allow now (every timer event)
   void              Pump(void);
   //--- the chart's line: sent, dropped, failing; "" before the hub sent any
   string            Line(void) const;
  };

void CCbNotifier::InitArrays(void)
  {
   ArrayResize(m_queue,CB_NOTIFY_QUEUE_MAX);
   for(int i=0; i<CB_NOTIFY_PER_MINUTE; i++)
      m_calls[i]=0;
  }

int CCbNotifier::CallsSince(const ulong now,const ulong window_ms) const
  {
   int n=0;
   for(int i=0; i<CB_NOTIFY_PER_MINUTE; i++)
      if(m_calls[i]>0 && now-m_calls[i]<window_ms)
         n++;
   return(n);
  }

void CCbNotifier::SetProblem(const string problem)
  {
   if(problem==m_problem)
      return;
   if(problem!="")
      CbLogWarn("notifications from the hub cannot reach your phone: "+problem);
   else
      CbLogEvent("notifications reach the phone again");
   m_problem=problem;
  }

bool CCbNotifier::SettingsOk(void)
  {
   bool ok=((bool)TerminalInfoInteger(TERMINAL_NOTIFICATIONS_ENABLED) && (bool)TerminalInfoInteger(TERMINAL_MQID));
   if(!ok)
      SetProblem("push notifications are off in this terminal: "+CbNotifySettingsFix());
   return(ok);
  }

void CCbNotifier::Drop(const int count,const string why)
  {
   if(count<=0)
      return;
   m_dropped+=count;
   m_dropped_untold+=count;
   CbLogWarn(IntegerToString(count)+" notification(s) from the hub dropped: "+why+" ("+IntegerToString(m_dropped)+" dropped in all)");
  }

void CCbNotifier::Pop(void)
  {
   for(int i=1; i<m_queued; i++)
      m_queue[i-1]=m_queue[i];
   m_queued--;
  }

void CCbNotifier::Add(const string text)
  {
   m_used=true;
   if(text=="")
     {
      CbLogWarn("empty notification from the hub ignored");
      return;
     }
   string cut=text;
   if(StringLen(cut)>CB_NOTIFY_TEXT_MAX)
      cut=StringSubstr(cut,0,CB_NOTIFY_TEXT_MAX-3)+"...";
   CbLogEvent("notification from the hub: "+cut);
   if(!SettingsOk())
     {
      Drop(1,"push notifications are off in this terminal");
      return;
     }
   if(m_queued>=CB_NOTIFY_QUEUE_MAX)
     {
      Drop(1,IntegerToString(m_queued)+" already wait for MetaTrader's limit of "+IntegerToString(CB_NOTIFY_PER_MINUTE)+" a minute");
      return;
     }
   m_queue[m_queued]=cut;
   m_queued++;
  }

void CCbNotifier::SendFirst(const ulong now)
  {
   m_calls[m_next_call]=now;
   m_next_call=(m_next_call+1)%CB_NOTIFY_PER_MINUTE;
   ResetLastError();
   if(SendNotification(m_queue[0]))
     {
      m_sent++;
      Pop();
      SetProblem("");
      return;
     }
   int err=GetLastError();
   string what=CbErrorText(err)+" ("+IntegerToString(err)+")";
   switch(err)
     {
      case ERR_NOTIFICATION_WRONG_SETTINGS:
         CbLogError("SendNotification",what+": "+CbNotifySettingsFix());
         SetProblem(what+": "+CbNotifySettingsFix());
         Drop(m_queued,"the terminal cannot push notifications");
         m_queued=0;
         return;
      case ERR_NOTIFICATION_TOO_FREQUENT:
         //--- kept: MetaTrader counts another program's calls too; try again later
         CbLogError("SendNotification",what+": waiting "+IntegerToString(CB_NOTIFY_BACKOFF_MS/1000)+" s");
         m_paused_until=now+CB_NOTIFY_BACKOFF_MS;
         return;
      default:
         CbLogError("SendNotification",what+": \""+m_queue[0]+"\" not sent");
         SetProblem(what);
         Pop();
         Drop(1,"SendNotification failed");
     }
  }

void CCbNotifier::Pump(void)
  {
   if(m_queued==0 && m_dropped_untold>0 && m_problem=="" && SettingsOk())
     {
      m_queue[0]="CopyBridge: "+IntegerToString(m_dropped_untold)+" notification(s) from the hub were not sent (MetaTrader allows "+
                 IntegerToString(CB_NOTIFY_PER_MINUTE)+" a minute, or notifications were off); the terminal's Experts tab has them";
      m_queued=1;
      m_dropped_untold=0;
     }
   while(m_queued>0)
     {
      ulong now=GetTickCount64();
      if(now<m_paused_until || CallsSince(now,1000)>=CB_NOTIFY_PER_SECOND || CallsSince(now,60000)>=CB_NOTIFY_PER_MINUTE)
         return;
      SendFirst(now);
     }
  }

string CCbNotifier::Line(void) const
  {
   if(!m_used)
      return("");
   string line="Notifications: "+IntegerToString(m_sent)+" sent, "+IntegerToString(m_dropped)+" dropped";
   if(m_queued>0)
      line+=", "+IntegerToString(m_queued)+" waiting";
   if(m_problem!="")
      line+="  FAILING: "+m_problem;
   return(line);
  }

#endif
