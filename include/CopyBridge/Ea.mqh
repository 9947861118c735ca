//+------------------------------------------------------------------+
//| Ea.mqh - the CopyBridge Expert Advisor                           |
//|                                                                  |
//| The hub decides, the EA executes. CCopyBridgeEA owns the parts   |
//| and hands each what it needs: the link to the hub (Link.mqh),    |
//| the session (Session.mqh: hello, welcome, heartbeats, timers),   |
//| the reporter (Reporter.mqh: deals, positions, snapshots, symbols,|
//| ticks), the executor (Executor.mqh: commands) with the journal   |
//| (Journal.mqh), the notifier (Notify.mqh: the hub's notifications |
//| to the phone) and the chart status (Status.mqh). It reads the    |
//| hub's messages, parses each once and dispatches it by type.      |
//| See docs/protocol.md for every message.                          |
//+------------------------------------------------------------------+
#ifndef CB_EA_MQH
#define CB_EA_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "JsonReader.mqh"
#include "Protocol.mqh"
#include "Journal.mqh"
#include "Copies.mqh"
#include "Link.mqh"
#include "Session.mqh"
#include "Status.mqh"
#include "Reporter.mqh"
#include "Market.mqh"
#include "Pending.mqh"
#include "Executor.mqh"
#include "Lock.mqh"
#include "Notify.mqh"

//--- a snapshot waits at most this long for the position list to show the deals reported
#define CB_SNAPSHOT_HOLD_MS 2000

//--- default account name: <server>-<login>, with characters the hub does not take replaced
string CbDefaultAccountName(void)
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

class CCopyBridgeEA
  {
private:
   CCbHubLink        m_link;
   CJsonReader       m_in;
   CCbJournal        m_journal;
   CCbCopies         m_copies;
   CCbSession        m_session;
   CCbReporter       m_reporter;
   CCbMarket         m_market;
   CCbOrderReporter  m_orders;
   CCbExecutor       m_executor;
   CCbChartStatus    m_status;
   CCbInstanceLock   m_lock;
   CCbNotifier       m_notifier;
   int               m_timer_ms;
   //--- the account name is <server>-<login>: it names another account after a switch
   bool              m_name_from_login;
   bool              m_started;
   long              m_snapshot_held_ms;

   //--- forgets the last session: OnInit, also after a chart change or new inputs (the object stays)
   void              NewSession(const long magic);
   void              SendSnapshot(void);
   //--- deals and position changes the history shows now; `scan` reads it even unasked
   void              ReportDeals(const bool scan);
   void              UpdateStatus(const bool force);
   void              OnWelcome(void);
   void              OnWatch(void);
   void              OnHubError(void);
   void              OnCommand(const ENUM_CB_MESSAGE type,const ulong received_tick);
   //--- received_tick: GetTickCount64() when the message was read from the bridge
   void              Dispatch(const string json,const ulong received_tick);
   //--- false while another account is active in the terminal under a name that is not its own
   bool              IdentityKnown(void);
   //--- orders sent whose deals were not seen yet (placed on an exchange, or OrderSend ahead of the history)
   void              ConfirmOrders(void);

public:
                     CCopyBridgeEA(void) : m_timer_ms(20), m_name_from_login(false), m_started(false), m_snapshot_held_ms(0) {}
   //--- OnInit
   int               Init(const string hub_host,const int pull_port,const int pub_port,const string account,const long magic,
                          const int timer_ms,const int log_level,const string server_key,const string client_public,const string client_secret);
   //--- OnDeinit: nothing here may block
   void              Deinit(const int reason);
   //--- OnTimer (and OnTick / OnChartEvent): read, answer, report
   void              Pump(void);
   //--- OnTradeTransaction
   void              TradeTransaction(const MqlTradeTransaction &trans);
  };

void CCopyBridgeEA::NewSession(const long magic)
  {
   m_session.Reset(magic);
   m_session.ReadMarginMode();
   m_market.Unwatch();
   m_status.ForgetLastEvent();
  }

void CCopyBridgeEA::SendSnapshot(void)
  {
   //--- the hub reads the snapshot against the deals: every deal the history shows goes first,
   //--- and the position list must have caught up with them
   ReportDeals(true);
   long now=m_link.NowMs();
   if(!m_reporter.InStep(now))
     {
      if(m_snapshot_held_ms==0)
         m_snapshot_held_ms=now;
      if(now-m_snapshot_held_ms<CB_SNAPSHOT_HOLD_MS)
        {
         m_session.SnapshotSoon(now+m_timer_ms);
         return;
        }
      CbLogWarn("the position list still differs from the deals after "+IntegerToString(CB_SNAPSHOT_HOLD_MS)+" ms; sending the snapshot anyway");
     }
   m_snapshot_held_ms=0;
   m_market.SendSnapshot(m_link,m_journal,m_session.MarginMode(),m_session.MaxMessageBytes());
   m_orders.Learn();
   m_session.SnapshotSent(m_link.NowMs());
  }

void CCopyBridgeEA::ReportDeals(const bool scan)
  {
   if(m_session.Role()==CB_ROLE_DISABLED || m_session.Switched())
      return;
   if(!m_reporter.Flush(m_link,m_status,scan))
      m_session.SnapshotSoon(m_link.NowMs());
  }

void CCopyBridgeEA::UpdateStatus(const bool force)
  {
   if(m_status.Due(m_link.NowMs(),force))
     {
      m_status.Notifications(m_notifier.Line());
      m_status.Show(m_link,m_session,m_copies.OpenCount(m_journal,m_session.Magic()));
     }
  }

void CCopyBridgeEA::OnWelcome(void)
  {
   CbWelcome welcome;
   CbParseWelcome(m_in,welcome);
   bool switched=m_session.Switched();
   if(!m_session.OnWelcome(welcome))
      return;
   //--- the new account's history: its deals so far are in the snapshot, not reported one by one
   if(switched)
      m_reporter.StartDeals();
   m_copies.ForgetClosed(m_journal);
   m_market.SendSymbols(m_link);
   SendSnapshot();
   m_session.SendHeartbeat(m_link);
   UpdateStatus(true);
  }

void CCopyBridgeEA::OnWatch(void)
  {
   CB_ARRAY(string,symbols);
   int n=CbParseWatch(m_in,symbols);
   m_market.Watch(m_link,symbols,n);
  }

void CCopyBridgeEA::OnHubError(void)
  {
   CbHubError error;
   CbParseHubError(m_in,error);
   m_session.OnHubError(error,m_link.Account());
   UpdateStatus(true);
  }

void CCopyBridgeEA::OnCommand(const ENUM_CB_MESSAGE type,const ulong received_tick)
  {
   //--- the account may have changed since this call began: nothing runs on an unconfirmed one
   IdentityKnown();
   CbCommand cmd;
   CbParseCommand(m_in,type,m_link.NowMs(),received_tick,cmd);
   if(m_executor.Execute(m_link,m_journal,m_session,m_status,cmd))
      UpdateStatus(true);
  }

bool CCopyBridgeEA::IdentityKnown(void)
  {
   if(m_session.AccountSwitched())
     {
      m_market.Unwatch();
      m_status.Event("another account was activated: login "+IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)));
      UpdateStatus(true);
     }
   //--- a name made of server and login is the old account's: the terminal re-initialises the EA
   //--- for the new one (REASON_ACCOUNT), which then says hello under the new name
   return(!(m_session.Switched() && m_name_from_login && CbDefaultAccountName()!=m_link.Account()));
  }

void CCopyBridgeEA::ConfirmOrders(void)
  {
   if(!m_executor.Unconfirmed())
      return;
   if(m_executor.Confirm(m_link,m_journal,m_status,m_link.NowMs()))
      m_session.SnapshotSoon(m_link.NowMs()+CB_SNAPSHOT_AFTER_TRADE_MS);
  }

void CCopyBridgeEA::Dispatch(const string json,const ulong received_tick)
  {
   CbLogDebug("<- "+json);
   if(!m_in.Parse(json))
     {
      CbLogError("Dispatch","message from the hub is not valid JSON ("+m_in.Error()+"): "+StringSubstr(json,0,200));
      return;
     }
   long v=m_in.GetLong("v",0);
   string name=m_in.GetString("type","");
   if(v!=CB_PROTOCOL_VERSION)
     {
      CbLogError("Dispatch","hub speaks protocol v"+IntegerToString(v)+", this EA v"+IntegerToString(CB_PROTOCOL_VERSION)+": update the EA or the hub ("+name+" ignored)");
      return;
     }
   string to=m_in.GetString("account","");
   if(to!=m_link.Account())
     {
      CbLogDebug("message for \""+to+"\" ignored");
      return;
     }
   ENUM_CB_MESSAGE type=CbParseMessage(name);
   m_session.Received(m_in.GetLong("seq",0),type==CB_MSG_WELCOME,m_link.NowMs());
   switch(type)
     {
      case CB_MSG_WELCOME:
         OnWelcome();
         break;
      case CB_MSG_PING:
         m_session.SendHeartbeat(m_link);
         break;
      case CB_MSG_SNAPSHOT_REQUEST:
         SendSnapshot();
         break;
      case CB_MSG_WATCH:
         OnWatch();
         break;
      case CB_MSG_ERROR:
         OnHubError();
         break;
      case CB_MSG_OPEN:
      case CB_MSG_CLOSE:
      case CB_MSG_CLOSE_BY:
      case CB_MSG_MODIFY:
      case CB_MSG_PLACE:
      case CB_MSG_MODIFY_ORDER:
      case CB_MSG_REMOVE:
         OnCommand(type,received_tick);
         break;
      case CB_MSG_NOTIFY:
         m_notifier.Add(CbParseNotify(m_in));
         break;
      default:
         CbLogWarn("unknown message type \""+name+"\" from the hub ignored (newer hub?)");
     }
  }

int CCopyBridgeEA::Init(const string hub_host,const int pull_port,const int pub_port,const string account,const long magic,
                        const int timer_ms,const int log_level,const string server_key,const string client_public,const string client_secret)
  {
   g_cb_log_level=log_level;
   string name=account;
   StringTrimLeft(name);
   StringTrimRight(name);
   m_name_from_login=(name=="");
   if(m_name_from_login)
      name=CbDefaultAccountName();
   g_cb_log_prefix="CopyBridge["+name+"]";
   string host=hub_host;
   StringTrimLeft(host);
   StringTrimRight(host);
   if(StringFind(host,"tcp://")==0)
      host=StringSubstr(host,6);
   m_link.Configure(name,"tcp://"+host+":"+IntegerToString(pull_port),"tcp://"+host+":"+IntegerToString(pub_port),server_key,client_public,client_secret);
   m_timer_ms=(timer_ms<10 ? 10 : timer_ms);
   NewSession(magic);
   if(StringLen(name)>64)
     {
      CbLogError("OnInit","account name \""+name+"\" is longer than 64 characters; set a shorter 'Account name on the hub' input");
      Comment("CopyBridge: account name too long (max 64 characters)");
      return(INIT_PARAMETERS_INCORRECT);
     }
   //--- the DLL must be allowed before the first call into it
   string dll=CbDllProblem();
   if(dll!="")
     {
      string text="DLL imports are not allowed, so the EA cannot reach the hub. Fix: "+dll+". Then attach the EA again.";
      CbLogError("OnInit",text);
      Comment("CopyBridge: STOPPED\n"+text);
      return(INIT_FAILED);
     }
   //--- one EA per account name in this terminal
   string holder="";
   if(!m_lock.Claim(name,holder))
     {
      CbLogError("OnInit",holder);
      CbShowStopped(holder);
      return(INIT_FAILED);
     }
   m_session.CheckTradeAllowed(true);
   CbLogEvent("starting "+CbVersion()+": account \""+name+"\", "+AccountInfoString(ACCOUNT_COMPANY)+" "+AccountInfoString(ACCOUNT_SERVER)+" login "+
              IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN))+", "+m_session.MarginMode()+", hub "+m_link.PushEndpoint()+" / "+m_link.SubEndpoint()+", timer "+IntegerToString(m_timer_ms)+" ms");
   m_journal.Load(name);
   m_copies.ForgetClosed(m_journal);
   m_reporter.StartDeals();
   m_link.Open();
   ResetLastError();
   if(!EventSetMillisecondTimer(m_timer_ms))
     {
      int err=GetLastError();
      CbLogError("EventSetMillisecondTimer",CbErrorText(err)+" ("+IntegerToString(err)+"); falling back to a 1 s timer");
      EventSetTimer(1);
     }
   m_started=true;
   if(m_link.IsOpen())
      m_session.SendHello(m_link);
   UpdateStatus(true);
   return(INIT_SUCCEEDED);
  }

void CCopyBridgeEA::Deinit(const int reason)
  {
   EventKillTimer();
   m_lock.Release();
   if(!m_started)
      return;
   m_started=false;
   m_link.Close();
   if(reason==REASON_ACCOUNT)
      CbLogEvent("stopped: another account was activated in the terminal (REASON_ACCOUNT); the terminal starts the EA again for it");
   else
      CbLogEvent("stopped (reason "+IntegerToString(reason)+")");
   if(reason!=REASON_CHARTCHANGE && reason!=REASON_PARAMETERS)
      Comment("");
  }

void CCopyBridgeEA::Pump(void)
  {
   if(!m_started)
      return;
   //--- queued notifications go out within MetaTrader's limits, with or without the hub
   m_notifier.Pump();
   if(!m_link.IsOpen())
     {
      if(m_link.Reopen())
         m_session.SendHello(m_link);
      UpdateStatus(false);
      return;
     }
   if(!IdentityKnown())
     {
      UpdateStatus(false);
      return;
     }
   //--- every waiting message (up to a limit per call) is read first, each with the time it was
   //--- read: a command's time to live counts from there, also while the ones before it execute.
   //--- Several wake-ups collapse into one event, so this reads all that waits; past the limit,
   //--- a new wake-up brings the EA back for the rest
   CB_ARRAY(string,batch);
   CB_ARRAY(ulong,received);
   int n=0;
   for(int i=0; i<CB_MAX_READS_PER_POLL; i++)
     {
      string json="";
      if(m_link.Receive(json)<=0)
         break;
      ArrayResize(batch,n+1,CB_MAX_READS_PER_POLL);
      ArrayResize(received,n+1,CB_MAX_READS_PER_POLL);
      batch[n]=json;
      received[n]=GetTickCount64();
      n++;
     }
   if(n==CB_MAX_READS_PER_POLL)
      m_link.WakeAgain();
   for(int i=0; i<n; i++)
      Dispatch(batch[i],received[i]);
   ReportDeals(false);
   ConfirmOrders();
   long now=m_link.NowMs();
   if(m_session.HelloDue(now))
      m_session.SendHello(m_link);
   if(m_session.Welcomed())
     {
      if(m_session.HeartbeatDue(now))
        {
         m_session.CheckTradeAllowed(false);
         m_session.SendHeartbeat(m_link);
        }
      if(m_session.SnapshotDue(now))
         SendSnapshot();
      m_market.SendTicks(m_link);
     }
   UpdateStatus(false);
  }

void CCopyBridgeEA::TradeTransaction(const MqlTradeTransaction &trans)
  {
   if(!m_started || !m_link.IsOpen())
      return;
   IdentityKnown();
   if(m_session.Role()==CB_ROLE_DISABLED || m_session.Switched())
      return;
   //--- every role reports its deals: a master's are copied, a slave's tell the hub about SL/TP hits and stop-outs
   if(trans.type==TRADE_TRANSACTION_DEAL_ADD)
     {
      m_reporter.DealAdded(trans,m_link.NowMs());
      ConfirmOrders();
     }
   else
      if(m_orders.Transaction(m_link,m_journal,trans))
         return;
      else
      if(trans.type==TRADE_TRANSACTION_POSITION && m_session.Role()!=CB_ROLE_SLAVE)
         m_reporter.PositionChanged(trans,m_link.NowMs());
      else
         return;
   ReportDeals(true);
  }

#endif
