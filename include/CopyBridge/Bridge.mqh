//+------------------------------------------------------------------+
//| Bridge.mqh - the connection to the hub through copybridge.dll    |
//|                                                                  |
//| Uses the functions of the #import "copybridge.dll" block of      |
//| CopyBridge.mq5 exactly as bridge-dll/include/copybridge.h        |
//| defines them: UTF-8 byte arrays with explicit lengths, handles   |
//| as long, receive without blocking, CB_ETRUNC grows the buffer.   |
//+------------------------------------------------------------------+
#ifndef CB_BRIDGE_MQH
#define CB_BRIDGE_MQH

#include "Compat.mqh"
#include "Util.mqh"

//--- copied from copybridge.h, whose values never change meaning;
//--- test/mql5/build.js fails the build when a copy differs
#define CB_OK         0
#define CB_EARG      -1
#define CB_EHANDLE   -2
#define CB_EZMQ      -3
#define CB_ETRUNC    -4
#define CB_EAGAIN    -5
#define CB_ENOMEM    -6
#define CB_ETOOBIG   -7
#define CB_ELIMIT    -8
#define CB_ENOTSUP   -9
#define CB_MAX_MESSAGE 1048576

//--- at most this many messages are read per poll, so one burst cannot starve the EA; the rest
//--- waits for the wake-up the EA asks for again (WakeAgain) or the next timer event
#define CB_MAX_READS_PER_POLL 256
//--- room for a status text or an error text of the DLL
#define CB_TEXT_CAPACITY      512

//+------------------------------------------------------------------+
//| A text the DLL copied into buf: n is the full length it reported |
//+------------------------------------------------------------------+
string CbDllText(CB_ARRAY_REF(uchar,buf),const int n)
  {
   if(n<=0)
      return("");
   int len=n;
   if(len>CB_TEXT_CAPACITY-1)
      len=CB_TEXT_CAPACITY-1;
   return(CharArrayToString(buf,0,len,CP_UTF8));
  }

//+------------------------------------------------------------------+
//| Text of a bridge status code: the DLL's own (cb_strerror_r)      |
//+------------------------------------------------------------------+
string CbBridgeStatusText(const long status)
  {
   CB_ARRAY(uchar,text);
   ArrayResize(text,CB_TEXT_CAPACITY);
   return(CbDllText(text,cb_strerror_r((int)status,text,CB_TEXT_CAPACITY)));
  }

//+------------------------------------------------------------------+
//| UTF-8 bytes of a string without the terminating zero             |
//+------------------------------------------------------------------+
int CbUtf8(const string text,CB_ARRAY_REF(uchar,bytes))
  {
   int n=StringToCharArray(text,bytes,0,WHOLE_ARRAY,CP_UTF8);
   if(n>0 && bytes[n-1]==0)
      n--;
   return(n);
  }

//+------------------------------------------------------------------+
//| One connection: PUSH to the hub's PULL, SUB to the hub's PUB     |
//+------------------------------------------------------------------+
class CCbBridge
  {
private:
   long              m_handle;
   CB_ARRAY(uchar,   m_recv);
   CB_ARRAY(uchar,   m_send);
   long              m_last_error_report;
   int               m_send_failures;
   long              m_wake_hwnd;        // chart window the DLL wakes, 0: the timer alone
   bool              m_wake_reported;    // why there is no wake-up was said once

   string            LastError(const long handle);
   string            Versions(void);

public:
                     CCbBridge(void) : m_handle(0), m_last_error_report(0), m_send_failures(0), m_wake_hwnd(0), m_wake_reported(false) { ArrayResize(m_recv,65536); }
   bool              IsOpen(void) const { return(m_handle>0); }
   //--- opens the sockets; connecting is asynchronous, so this succeeds while the hub is down
   bool              Open(const string push_endpoint,const string sub_endpoint,const string topic,
                          const string server_key,const string client_public,const string client_secret);
   //--- closes the sockets with zero linger; never blocks, never ends the shared context
   void              Close(void);
   //--- asks the DLL to wake the chart when a message arrives (Windows only): it posts WM_TIMER,
   //--- which the terminal runs as OnTimer; without it (other platforms, no chart window) the
   //--- EA's timer alone reads the hub, and the reason is logged once
   bool              SetWakeup(const long hwnd);
   //--- after a bounded read left messages waiting: one more wake-up at once (none without wake-up)
   void              WakeAgain(void);
   //--- queues one message without blocking
   bool              Send(const string json);
   //--- next message for this terminal: 1 read, 0 none waiting, -1 error
   int               Receive(string &json);
   //--- messages the DLL dropped: sends refused with CB_EAGAIN, receives lost to a full queue
   long              SendDropped(void) { return(m_handle>0 ? cb_dropped(m_handle) : 0); }
   long              RecvDropped(void) { return(m_handle>0 ? cb_recv_dropped(m_handle) : 0); }
  };

string CCbBridge::LastError(const long handle)
  {
   CB_ARRAY(uchar,text);
   ArrayResize(text,CB_TEXT_CAPACITY);
   return(CbDllText(text,cb_last_error(handle,text,CB_TEXT_CAPACITY)));
  }

//--- library and libzmq versions as text
string CCbBridge::Versions(void)
  {
   int v=cb_version();
   int z=cb_zmq_version();
   return(StringFormat("bridge %d.%d.%d, libzmq %d.%d.%d",v/10000,(v/100)%100,v%100,z/10000,(z/100)%100,z%100));
  }

bool CCbBridge::Open(const string push_endpoint,const string sub_endpoint,const string topic,
                     const string server_key,const string client_public,const string client_secret)
  {
   Close();
   CB_ARRAY(uchar,push);
   CB_ARRAY(uchar,sub);
   CB_ARRAY(uchar,top);
   int push_len=CbUtf8(push_endpoint,push);
   int sub_len=CbUtf8(sub_endpoint,sub);
   int top_len=CbUtf8(topic,top);
   long h=0;
   if(server_key=="")
      h=cb_open(push,push_len,sub,sub_len,top,top_len);
   else
     {
      CB_ARRAY(uchar,spk);
      CB_ARRAY(uchar,cpk);
      CB_ARRAY(uchar,csk);
      int spk_len=CbUtf8(server_key,spk);
      int cpk_len=CbUtf8(client_public,cpk);
      int csk_len=CbUtf8(client_secret,csk);
      h=cb_open_curve(push,push_len,sub,sub_len,top,top_len,spk,spk_len,cpk,cpk_len,csk,csk_len);
     }
   if(h<=0)
     {
      CbLogError("cb_open",CbBridgeStatusText(h)+": "+LastError(0)+" (push "+push_endpoint+", sub "+sub_endpoint+")");
      return(false);
     }
   m_handle=h;
   m_send_failures=0;
   CbLogEvent("bridge open: push "+push_endpoint+", sub "+sub_endpoint+", topic \""+topic+"\" ("+Versions()+")");
   return(true);
  }

void CCbBridge::Close(void)
  {
   if(m_handle<=0)
      return;
   int rc=cb_close(m_handle);
   if(rc!=CB_OK)
      CbLogError("cb_close",CbBridgeStatusText(rc));
   else
      CbLogDebug("bridge closed");
   m_handle=0;
   m_wake_hwnd=0;
  }

bool CCbBridge::SetWakeup(const long hwnd)
  {
   m_wake_hwnd=0;
   if(m_handle<=0)
      return(false);
   string why="";
   if(hwnd==0)
      why="no chart window handle (strategy tester?)";
   else
     {
      int rc=cb_set_wakeup(m_handle,hwnd,0);
      if(rc==CB_OK)
        {
         m_wake_hwnd=hwnd;
         CbLogDebug("wake-up on: the bridge posts WM_TIMER to chart window "+IntegerToString(hwnd));
         return(true);
        }
      why=LastError(m_handle);
     }
   if(!m_wake_reported)
      CbLogEvent("no wake-up from the bridge ("+why+"): the EA reads the hub on its timer");
   m_wake_reported=true;
   return(false);
  }

void CCbBridge::WakeAgain(void)
  {
   if(m_handle<=0 || m_wake_hwnd==0)
      return;
   int rc=cb_set_wakeup(m_handle,m_wake_hwnd,0);
   if(rc==CB_OK)
      return;
   //--- the chart window is gone: the timer alone reads the hub from now on
   CbLogError("cb_set_wakeup",CbBridgeStatusText(rc)+": "+LastError(m_handle)+"; the EA reads the hub on its timer");
   m_wake_hwnd=0;
  }

bool CCbBridge::Send(const string json)
  {
   if(m_handle<=0)
      return(false);
   int n=CbUtf8(json,m_send);
   if(n>CB_MAX_MESSAGE)
     {
      CbLogError("cb_send","message of "+IntegerToString(n)+" bytes exceeds the 1 MiB limit, not sent");
      return(false);
     }
   int rc=cb_send(m_handle,m_send,n);
   if(rc==CB_OK)
      return(true);
   m_send_failures++;
   //--- one line per 10 s at most: a hub that is down must not flood the Experts tab
   long now=(long)GetTickCount64();
   if(now-m_last_error_report>10000)
     {
      m_last_error_report=now;
      CbLogError("cb_send",CbBridgeStatusText(rc)+": "+LastError(m_handle)+" ("+IntegerToString(m_send_failures)+" failed so far)");
     }
   return(false);
  }

int CCbBridge::Receive(string &json)
  {
   json="";
   if(m_handle<=0)
      return(-1);
   for(int attempt=0; attempt<3; attempt++)
     {
      int needed=0;
      int n=cb_recv(m_handle,m_recv,ArraySize(m_recv),needed);
      if(n>0)
        {
         json=CharArrayToString(m_recv,0,n,CP_UTF8);
         return(1);
        }
      if(n==0)
         return(0);
      if(n==CB_ETRUNC && needed>0 && needed<=CB_MAX_MESSAGE)
        {
         //--- the message stays queued: grow the buffer and read it again
         if(ArrayResize(m_recv,needed)!=needed)
           {
            CbLogError("ArrayResize","cannot grow the receive buffer to "+IntegerToString(needed)+" bytes");
            return(-1);
           }
         continue;
        }
      CbLogError("cb_recv",CbBridgeStatusText(n)+": "+LastError(m_handle));
      return(-1);
     }
   return(-1);
  }

#endif
