//+------------------------------------------------------------------+
//| Link.mqh - the EA's line to the hub                              |
//|                                                                  |
//| The bridge connection, reopened while it is down, and the        |
//| message being written: every message starts with the envelope    |
//| (protocol version, type, account, sequence number, sender time   |
//| from the EA's millisecond clock, which is also the clock of all  |
//| its timers).                                                     |
//+------------------------------------------------------------------+
#ifndef CB_LINK_MQH
#define CB_LINK_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Bridge.mqh"
#include "Protocol.mqh"

#define CB_REOPEN_INTERVAL_MS       5000

class CCbHubLink : public CJsonWriter
  {
private:
   CCbBridge         m_bridge;
   CCbClock          m_clock;
   string            m_account;
   string            m_push_endpoint;
   string            m_sub_endpoint;
   string            m_server_key;
   string            m_client_public;
   string            m_client_secret;
   long              m_seq;
   long              m_last_open_try_ms;

public:
                     CCbHubLink(void) : m_account(""), m_push_endpoint(""), m_sub_endpoint(""), m_server_key(""), m_client_public(""), m_client_secret(""),
                     m_seq(0), m_last_open_try_ms(0) {}
   void              Configure(const string account,const string push_endpoint,const string sub_endpoint,
                               const string server_key,const string client_public,const string client_secret);
   string            Account(void) const { return(m_account); }
   string            PushEndpoint(void) const { return(m_push_endpoint); }
   string            SubEndpoint(void) const { return(m_sub_endpoint); }
   //--- wall clock, ms since the Unix epoch (UTC)
   long              NowMs(void) { return(m_clock.NowMs()); }
   //--- opens the bridge and asks it to wake the chart; true when open
   bool              Open(void);
   //--- while closed: opens again every CB_REOPEN_INTERVAL_MS; true when it opened now
   bool              Reopen(void);
   bool              IsOpen(void) const { return(m_bridge.IsOpen()); }
   void              Close(void) { m_bridge.Close(); }
   //--- next message for this terminal: 1 read, 0 none waiting, -1 error
   int               Receive(string &json) { return(m_bridge.Receive(json)); }
   //--- a bounded read left messages waiting: ask the bridge to wake the chart once more
   void              WakeAgain(void) { m_bridge.WakeAgain(); }
   long              SendDropped(void) { return(m_bridge.SendDropped()); }
   long              RecvDropped(void) { return(m_bridge.RecvDropped()); }
   //--- starts a message of this type; the fields follow, then Send()
   void              Envelope(const string type);
   bool              Send(void);
  };

void CCbHubLink::Configure(const string account,const string push_endpoint,const string sub_endpoint,
                           const string server_key,const string client_public,const string client_secret)
  {
   m_account=account;
   m_push_endpoint=push_endpoint;
   m_sub_endpoint=sub_endpoint;
   m_server_key=server_key;
   m_client_public=client_public;
   m_client_secret=client_secret;
  }

bool CCbHubLink::Open(void)
  {
   m_last_open_try_ms=m_clock.NowMs();
   if(!m_bridge.Open(m_push_endpoint,m_sub_endpoint,m_account,m_server_key,m_client_public,m_client_secret))
      return(false);
   m_bridge.SetWakeup(ChartGetInteger(0,CHART_WINDOW_HANDLE));
   return(true);
  }

bool CCbHubLink::Reopen(void)
  {
   if(m_bridge.IsOpen() || m_clock.NowMs()-m_last_open_try_ms<CB_REOPEN_INTERVAL_MS)
      return(false);
   return(Open());
  }

void CCbHubLink::Envelope(const string type)
  {
   m_seq++;
   Begin();
   Int("v",CB_PROTOCOL_VERSION);
   Str("type",type);
   Str("account",m_account);
   Int("seq",m_seq);
   Int("ts",m_clock.NowMs());
  }

bool CCbHubLink::Send(void)
  {
   string json=Finish();
   CbLogDebug("-> "+json);
   return(m_bridge.Send(json));
  }

#endif
