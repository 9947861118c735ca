//+------------------------------------------------------------------+
//| Session.mqh - this terminal's session with the hub               |
//|                                                                  |
//| Hello until the hub's welcome (which says master, slave or       |
//| disabled), heartbeats, the timers of hellos, heartbeats and      |
//| snapshots, the hub's errors and restarts, and whether the        |
//| terminal lets the EA trade.                                      |
//+------------------------------------------------------------------+
#ifndef CB_SESSION_MQH
#define CB_SESSION_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Protocol.mqh"
#include "Link.mqh"
#include "Guard.mqh"

#define CB_HELLO_INTERVAL_MS        1000
#define CB_HELLO_AFTER_ERROR_MS     10000

//--- margin mode of the account as the protocol names it
string CbMarginModeName(void)
  {
   long mode=AccountInfoInteger(ACCOUNT_MARGIN_MODE);
   if(mode==ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
      return("hedging");
   if(mode==ACCOUNT_MARGIN_MODE_EXCHANGE)
      return("exchange");
   return("netting");
  }

//--- joins the fixes a user has to make
string CbAnd(const string what,const string more)
  {
   return(what=="" ? more : what+"; and "+more);
  }

//--- "" when the EA may call the DLL, else exactly what to tick
string CbDllProblem(void)
  {
   string what="";
   if(!(bool)TerminalInfoInteger(TERMINAL_DLLS_ALLOWED))
      what="in the terminal: Tools > Options > Expert Advisors, tick 'Allow DLL imports'";
   if(!(bool)MQLInfoInteger(MQL_DLLS_ALLOWED))
      what=CbAnd(what,"on the chart: open the EA's properties (F7), Dependencies tab (Common tab in older terminals), tick 'Allow DLL imports'");
   return(what);
  }

//--- "" when the EA may trade, else exactly what to enable
string CbTradeProblem(void)
  {
   string what="";
   if(!(bool)TerminalInfoInteger(TERMINAL_TRADE_ALLOWED))
      what="press the 'Algo Trading' button on the terminal's toolbar (it turns green)";
   if(!(bool)MQLInfoInteger(MQL_TRADE_ALLOWED))
      what=CbAnd(what,"open the EA's properties (F7 on the chart), Common tab, tick 'Allow Algo Trading'");
   if(!(bool)AccountInfoInteger(ACCOUNT_TRADE_EXPERT))
      what=CbAnd(what,"the broker does not allow Expert Advisors to trade on this account");
   if(!(bool)AccountInfoInteger(ACCOUNT_TRADE_ALLOWED))
      what=CbAnd(what,"trading is disabled for this account (investor password or blocked account)");
   return(what);
  }

class CCbSession
  {
private:
   long              m_magic_input;
   ENUM_CB_ROLE      m_role;
   bool              m_welcomed;
   long              m_magic;
   string            m_margin_mode;
   string            m_hub_error;
   bool              m_trade_allowed;
   //--- what the welcome set
   int               m_heartbeat_ms;
   int               m_snapshot_ms;
   int               m_tick_max_age_ms;
   //--- timers
   int               m_hello_interval_ms;
   int               m_hellos;
   long              m_last_hello_ms;
   long              m_last_heartbeat_ms;
   long              m_last_snapshot_ms;
   long              m_snapshot_due_ms;
   long              m_last_rx_ms;
   //--- the hub's message numbers: a restarted hub starts again at 1
   long              m_hub_seq;
   bool              m_hello_due;
   //--- the login the last hello named; another account activated in the terminal since makes
   //--- the session wait for a welcome naming the new one (m_switched)
   long              m_login;
   bool              m_switched;
   long              m_max_message_bytes;
   //--- the protection limits of the last welcome: kept while the hub is away, replaced by the
   //--- next welcome (which every session starts with, so they are not saved across restarts)
   CbLimits          m_limits;

public:
   //--- a new session: nothing welcomed, no timer running; magic_input 0 takes the hub's
   void              Reset(const long magic_input);
                     CCbSession(void) : m_margin_mode("") { Reset(0); }
   //--- the account's margin mode, read again (another account may have been activated)
   void              ReadMarginMode(void) { m_margin_mode=CbMarginModeName(); }
   ENUM_CB_ROLE      Role(void) const { return(m_role); }
   bool              Welcomed(void) const { return(m_welcomed); }
   long              Magic(void) const { return(m_magic); }
   string            MarginMode(void) const { return(m_margin_mode); }
   bool              IsHedging(void) const { return(m_margin_mode=="hedging"); }
   string            HubError(void) const { return(m_hub_error); }
   bool              TradeAllowed(void) const { return(m_trade_allowed); }
   int               Hellos(void) const { return(m_hellos); }
   //--- true after another account was activated in the terminal, until the hub welcomes it
   bool              Switched(void) const { return(m_switched); }
   //--- largest message the hub takes (its welcome says); 0: an older hub that takes no snapshot parts
   long              MaxMessageBytes(void) const { return(m_max_message_bytes); }
   //--- true (once) when the terminal's login is no longer the one the last hello named: nothing
   //--- is executed or reported until the hub welcomes the new login
   bool              AccountSwitched(void);
   long              LastRxMs(void) const { return(m_last_rx_ms); }
   //--- a quote older than this is no price to check a copy's deviation against (the hub's tickMaxAgeMs)
   int               TickMaxAgeMs(void) const { return(m_tick_max_age_ms); }
   //--- why an open of lots on symbol may not be made under the last welcome's limits ("" when it may)
   string            OpenRefusal(const string symbol,const double lots,const bool new_position) const;
   //--- the chart's protection line ("" when the account has no limits)
   string            LimitsLine(void) const { return(CbLimitsLine(m_limits)); }
   //--- reads the terminal's permissions; logs when they change (or always, announce)
   void              CheckTradeAllowed(const bool announce);
   //--- before the welcome every hello interval; after it once when the hub restarted
   bool              HelloDue(const long now);
   void              SendHello(CCbHubLink &link);
   bool              HeartbeatDue(const long now) const { return(now-m_last_heartbeat_ms>=m_heartbeat_ms); }
   void              SendHeartbeat(CCbHubLink &link);
   bool              SnapshotDue(const long now) const;
   void              SnapshotSent(const long now) { m_last_snapshot_ms=now; m_snapshot_due_ms=0; }
   //--- a snapshot at this time at the latest (positions changed, an event was lost)
   void              SnapshotSoon(const long at) { m_snapshot_due_ms=at; }
   //--- every message for this terminal: seq is its number
   void              Received(const long seq,const bool welcome,const long now);
   //--- false when the welcome answers a hello of another login (sent before an account switch)
   bool              OnWelcome(const CbWelcome &welcome);
   void              OnHubError(const CbHubError &error,const string account);
  };

void CCbSession::Reset(const long magic_input)
  {
   m_magic_input=magic_input;
   m_role=CB_ROLE_UNKNOWN;
   m_welcomed=false;
   m_magic=magic_input;
   m_hub_error="";
   m_trade_allowed=false;
   m_heartbeat_ms=2000;
   m_snapshot_ms=30000;
   m_tick_max_age_ms=5000;
   m_hello_interval_ms=CB_HELLO_INTERVAL_MS;
   m_hellos=0;
   m_last_hello_ms=0;
   m_last_heartbeat_ms=0;
   m_last_snapshot_ms=0;
   m_snapshot_due_ms=0;
   m_last_rx_ms=0;
   m_hub_seq=0;
   m_hello_due=false;
   m_login=0;
   m_switched=false;
   m_max_message_bytes=0;
   CbLimitsReset(m_limits);
  }

string CCbSession::OpenRefusal(const string symbol,const double lots,const bool new_position) const
  {
   if(!m_limits.any)
      return("");
   CbExposure e;
   CbReadExposure(symbol,e);
   return(CbLimitsRefusal(m_limits,e,symbol,lots,new_position));
  }

bool CCbSession::AccountSwitched(void)
  {
   long login=AccountInfoInteger(ACCOUNT_LOGIN);
   if(m_login==0 || login==m_login || m_switched)
      return(false);
   CbLogWarn("another account was activated in the terminal: login "+IntegerToString(login)+" (was "+IntegerToString(m_login)+"); no command is executed until the hub welcomes the new login");
   m_switched=true;
   m_welcomed=false;
   m_role=CB_ROLE_UNKNOWN;
   m_hello_interval_ms=CB_HELLO_INTERVAL_MS;
   m_last_hello_ms=0;
   return(true);
  }

void CCbSession::CheckTradeAllowed(const bool announce)
  {
   string problem=CbTradeProblem();
   bool allowed=(problem=="");
   if(allowed!=m_trade_allowed || announce)
     {
      if(!allowed)
         CbLogWarn("algo trading is off: "+problem+". A master still reports its trades; a slave cannot copy until this is fixed.");
      else
         if(!announce)
            CbLogEvent("algo trading is on again");
     }
   m_trade_allowed=allowed;
  }

bool CCbSession::HelloDue(const long now)
  {
   if(!m_welcomed)
      return(now-m_last_hello_ms>=m_hello_interval_ms);
   if(!m_hello_due)
      return(false);
   m_hello_due=false;
   return(true);
  }

void CCbSession::SendHello(CCbHubLink &link)
  {
   ReadMarginMode();
   long login=AccountInfoInteger(ACCOUNT_LOGIN);
   if(login!=m_login && m_login!=0 && !m_switched)
      AccountSwitched();
   m_login=login;
   link.Envelope("hello");
   link.Int("login",login);
   link.Str("server",AccountInfoString(ACCOUNT_SERVER));
   link.Str("broker",AccountInfoString(ACCOUNT_COMPANY));
   link.Str("currency",AccountInfoString(ACCOUNT_CURRENCY));
   link.Str("margin_mode",m_margin_mode);
   link.Str("ea_version",CbVersion());
   link.Send();
   m_hellos++;
   m_last_hello_ms=link.NowMs();
   if(m_hellos==1)
      CbLogEvent("hello sent to "+link.PushEndpoint()+" as \""+link.Account()+"\"; waiting for the hub's welcome");
   else
      if(m_hellos%30==0)
         CbLogWarn("no welcome from the hub after "+IntegerToString(m_hellos)+" hellos: is the hub running and are "+link.PushEndpoint()+" and "+link.SubEndpoint()+" its PULL and PUB endpoints?");
  }

void CCbSession::SendHeartbeat(CCbHubLink &link)
  {
   link.Envelope("heartbeat");
   link.Num("balance",AccountInfoDouble(ACCOUNT_BALANCE),2);
   link.Num("equity",AccountInfoDouble(ACCOUNT_EQUITY),2);
   link.Num("margin",AccountInfoDouble(ACCOUNT_MARGIN),2);
   link.Num("free_margin",AccountInfoDouble(ACCOUNT_MARGIN_FREE),2);
   link.Bool("trade_allowed",m_trade_allowed);
   link.Send();
   m_last_heartbeat_ms=link.NowMs();
  }

bool CCbSession::SnapshotDue(const long now) const
  {
   return((m_snapshot_ms>0 && now-m_last_snapshot_ms>=m_snapshot_ms) || (m_snapshot_due_ms>0 && now>=m_snapshot_due_ms));
  }

void CCbSession::Received(const long seq,const bool welcome,const long now)
  {
   m_last_rx_ms=now;
   //--- a restarted hub numbers its messages from 1 again; its welcome may have been lost
   //--- while this terminal's SUB socket was reconnecting, so say hello again
   if(m_welcomed && !welcome && seq>0 && seq<=m_hub_seq)
     {
      CbLogWarn("the hub's message numbers started again (seq "+IntegerToString(seq)+" after "+IntegerToString(m_hub_seq)+"): hub restarted, saying hello again");
      m_hello_due=true;
     }
   if(seq>0)
      m_hub_seq=seq;
  }

bool CCbSession::OnWelcome(const CbWelcome &welcome)
  {
   if(welcome.login>0 && m_login>0 && welcome.login!=m_login)
     {
      CbLogWarn("welcome for login "+IntegerToString(welcome.login)+" ignored: this terminal is logged in to "+IntegerToString(m_login)+" now; waiting for the hub to welcome it");
      return(false);
     }
   if(m_switched)
      CbLogEvent("the hub welcomes login "+IntegerToString(m_login)+": executing commands again");
   m_switched=false;
   m_max_message_bytes=welcome.max_message_bytes;
   m_magic=(m_magic_input>0 ? m_magic_input : welcome.magic);
   if(m_magic_input>0 && welcome.magic>0 && welcome.magic!=m_magic_input)
      CbLogWarn("magic number input "+IntegerToString(m_magic_input)+" differs from the hub's "+IntegerToString(welcome.magic)+": copies are recognised by "+IntegerToString(m_magic_input));
   m_heartbeat_ms=(welcome.heartbeat_ms<100 ? 100 : welcome.heartbeat_ms);
   m_snapshot_ms=welcome.snapshot_ms;
   m_tick_max_age_ms=welcome.tick_max_age_ms;
   bool changed=(!m_welcomed || welcome.role!=m_role);
   m_role=welcome.role;
   m_welcomed=true;
   m_hub_error="";
   m_hello_interval_ms=CB_HELLO_INTERVAL_MS;
   CbLogEvent("welcome from hub "+welcome.hub_version+(changed ? "" : " again (hub restarted or reconnected)")+": role "+CbRoleName(m_role)+", magic "+IntegerToString(m_magic)+
              ", heartbeat "+IntegerToString(m_heartbeat_ms)+" ms, snapshot every "+IntegerToString(m_snapshot_ms)+" ms; sending symbols and positions");
   string limits=CbLimitsText(welcome.limits);
   if(limits!=CbLimitsText(m_limits))
     {
      if(limits=="")
         CbLogEvent("protection limits removed by the hub");
      else
         CbLogEvent("protection limits from the hub, checked before every open: "+limits);
     }
   m_limits=welcome.limits;
   if(m_role==CB_ROLE_DISABLED)
      CbLogWarn("the hub has this account disabled: nothing is copied to or from it until it is enabled on the hub");
   return(true);
  }

void CCbSession::OnHubError(const CbHubError &error,const string account)
  {
   CbLogError("hub",error.code+": "+error.message+(error.ref_type!="" ? " (about our "+error.ref_type+" message)" : ""));
   if(error.code!="E_UNKNOWN_ACCOUNT")
      return;
   m_hub_error=error.code+": account \""+account+"\" is not registered on the hub";
   m_welcomed=false;
   m_role=CB_ROLE_UNKNOWN;
   m_hello_interval_ms=CB_HELLO_AFTER_ERROR_MS;
  }

#endif
