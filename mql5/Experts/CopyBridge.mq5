//+------------------------------------------------------------------+
//|                                                   CopyBridge.mq5 |
//| One EA for every terminal: the hub's welcome decides whether     |
//| this terminal is a master (its trades are copied) or a slave     |
//| (it executes the copies). Needs copybridge.dll in MQL5\Libraries |
//| and the include folder CopyBridge in MQL5\Include.               |
//| See docs/install-windows.md.                                     |
//+------------------------------------------------------------------+
#include <CopyBridge/Version.mqh>

#property copyright "CopyBridge"
#property version   CB_EA_VERSION
#property description "CopyBridge trade copier: connects this terminal to the CopyBridge hub."
#property description "Master or slave is decided by the hub. Allow DLL imports and Algo Trading."

#include <CopyBridge/Compat.mqh>
#include <CopyBridge/Util.mqh>

//--- inputs
input group "Hub connection"
input string InpHubHost = "127.0.0.1";       // Hub address (host name or IP of the hub machine)
input int    InpHubPullPort = 5556;           // Hub PULL port (this terminal sends to it)
input int    InpHubPubPort = 5555;            // Hub PUB port (this terminal listens to it)
input string InpServerKey = "";               // CURVE: hub public key (empty: no encryption)
input string InpClientPublicKey = "";         // CURVE: this terminal's public key
input string InpClientSecretKey = "";         // CURVE: this terminal's secret key
input group "Identity"
input string InpAccountName = "";             // Account name on the hub (empty: <server>-<login>)
input long   InpMagic = 0;                    // Magic number of copies (0: the hub's number)
input group "Timing and logging"
input int    InpTimerMs = 20;                 // Timer period, ms (10-16 ms is MetaTrader's finest)
input ENUM_CB_LOG_LEVEL InpLogLevel = CB_LOG_EVENTS; // Experts tab: how much to log

//--- the bridge library (bridge-dll/include/copybridge.h): 64-bit, in MQL5\Libraries
#import "copybridge.dll"
int  cb_version(void);
int  cb_zmq_version(void);
long cb_open(uchar &push_endpoint[], int push_len, uchar &sub_endpoint[], int sub_len, uchar &topic[], int topic_len);
long cb_open_curve(uchar &push_endpoint[], int push_len, uchar &sub_endpoint[], int sub_len, uchar &topic[], int topic_len, uchar &server_public[], int server_public_len, uchar &client_public[], int client_public_len, uchar &client_secret[], int client_secret_len);
int  cb_send(long handle, uchar &data[], int len);
int  cb_recv(long handle, uchar &buf[], int cap, int &needed);
int  cb_pending(long handle);
int  cb_set_wakeup(long handle, long hwnd, int msg);
int  cb_last_error(long handle, uchar &buf[], int cap);
int  cb_strerror_r(int status, uchar &buf[], int cap);
int  cb_close(long handle);
int  cb_handle_count(void);
long cb_dropped(long handle);
long cb_recv_dropped(long handle);
#import

#include <CopyBridge/Ea.mqh>

CCopyBridgeEA g_copybridge;

//+------------------------------------------------------------------+
//| Expert initialization function                                   |
//+------------------------------------------------------------------+
int OnInit(void)
  {
   return(g_copybridge.Init(InpHubHost,InpHubPullPort,InpHubPubPort,InpAccountName,InpMagic,InpTimerMs,(int)InpLogLevel,
                            InpServerKey,InpClientPublicKey,InpClientSecretKey));
  }

//+------------------------------------------------------------------+
//| Expert deinitialization function: closes the sockets, never      |
//| blocks (zero linger, the shared ZeroMQ context stays)            |
//+------------------------------------------------------------------+
void OnDeinit(const int reason)
  {
   g_copybridge.Deinit(reason);
  }

//+------------------------------------------------------------------+
//| Timer: the heartbeat of the EA, and the bridge's wake-up (the    |
//| DLL posts WM_TIMER to the chart when the hub's messages arrive)  |
//+------------------------------------------------------------------+
void OnTimer(void)
  {
   g_copybridge.Pump();
  }

//+------------------------------------------------------------------+
//| Ticks of the chart symbol: one more chance to read the hub       |
//+------------------------------------------------------------------+
void OnTick(void)
  {
   g_copybridge.Pump();
  }

//+------------------------------------------------------------------+
//| Chart events: one more chance to read the hub                    |
//+------------------------------------------------------------------+
void OnChartEvent(const int id,const long &lparam,const double &dparam,const string &sparam)
  {
   g_copybridge.Pump();
  }

//+------------------------------------------------------------------+
//| Every change of the account                                      |
//+------------------------------------------------------------------+
void OnTradeTransaction(const MqlTradeTransaction &trans,const MqlTradeRequest &request,const MqlTradeResult &result)
  {
   g_copybridge.TradeTransaction(trans);
  }
//+------------------------------------------------------------------+
