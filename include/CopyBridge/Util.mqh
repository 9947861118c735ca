//+------------------------------------------------------------------+
//| Util.mqh - logging, clock, copy tags and retcode descriptions    |
//+------------------------------------------------------------------+
#ifndef CB_UTIL_MQH
#define CB_UTIL_MQH

#include "Compat.mqh"
#include "Version.mqh"

//--- the version as a string value (two literals cannot be added in C++)
string CbVersion(void)
  {
   return(CB_EA_VERSION);
  }

//--- Experts-tab verbosity
enum ENUM_CB_LOG_LEVEL
  {
   CB_LOG_ERRORS=0,   // Errors and refusals only
   CB_LOG_EVENTS=1,   // Every event (recommended)
   CB_LOG_DEBUG=2     // Debug: every message
  };

int    g_cb_log_level=CB_LOG_EVENTS;
string g_cb_log_prefix="CopyBridge";

//+------------------------------------------------------------------+
//| One line in the Experts tab per event, error or refusal          |
//+------------------------------------------------------------------+
void CbLogError(const string where,const string text)
  {
   Print(g_cb_log_prefix," ERROR ",where,": ",text);
  }
void CbLogRefusal(const string text)
  {
   Print(g_cb_log_prefix," REFUSED ",text);
  }
void CbLogWarn(const string text)
  {
   if(g_cb_log_level>=CB_LOG_ERRORS)
      Print(g_cb_log_prefix," WARNING ",text);
  }
void CbLogEvent(const string text)
  {
   if(g_cb_log_level>=CB_LOG_EVENTS)
      Print(g_cb_log_prefix," ",text);
  }
void CbLogDebug(const string text)
  {
   if(g_cb_log_level>=CB_LOG_DEBUG)
      Print(g_cb_log_prefix," debug ",text);
  }

//+------------------------------------------------------------------+
//| Description of a runtime error code (GetLastError)               |
//+------------------------------------------------------------------+
string CbErrorText(const int code)
  {
   switch(code)
     {
      case ERR_SUCCESS:
         return("no error");
      case ERR_INTERNAL_ERROR:
         return("unexpected internal error");
      case ERR_INVALID_PARAMETER:
         return("wrong parameter in the call");
      case ERR_FUNCTION_NOT_ALLOWED:
         return("function is not allowed for call");
      case ERR_MARKET_UNKNOWN_SYMBOL:
         return("unknown symbol");
      case ERR_MARKET_NOT_SELECTED:
         return("symbol is not selected in Market Watch");
      case ERR_TRADE_POSITION_NOT_FOUND:
         return("position not found");
      case ERR_TRADE_ORDER_NOT_FOUND:
         return("order not found");
      case ERR_TRADE_DEAL_NOT_FOUND:
         return("deal not found");
      case ERR_TRADE_SEND_FAILED:
         return("trade request sending failed");
      case ERR_NOTIFICATION_SEND_FAILED:
         return("failed to send the notification");
      case ERR_NOTIFICATION_WRONG_PARAMETER:
         return("invalid notification text (empty or too long)");
      case ERR_NOTIFICATION_WRONG_SETTINGS:
         return("no MetaQuotes ID set or push notifications not enabled in the terminal");
      case ERR_NOTIFICATION_TOO_FREQUENT:
         return("notifications sent too often");
      case ERR_TOO_MANY_FILES:
         return("too many files open");
      case ERR_WRONG_FILENAME:
         return("invalid file name");
      case ERR_CANNOT_OPEN_FILE:
         return("file opening error");
      case ERR_INVALID_FILEHANDLE:
         return("file handle closed or never opened");
      case ERR_FILE_NOT_EXIST:
         return("file does not exist");
     }
   return("runtime error "+IntegerToString(code));
  }

//+------------------------------------------------------------------+
//| Description of a trade server return code                        |
//+------------------------------------------------------------------+
string CbRetcodeText(const uint retcode)
  {
   switch(retcode)
     {
      case 0:
         return("not sent");
      case TRADE_RETCODE_REQUOTE:
         return("requote");
      case TRADE_RETCODE_REJECT:
         return("request rejected");
      case TRADE_RETCODE_CANCEL:
         return("request canceled by trader");
      case TRADE_RETCODE_PLACED:
         return("order placed");
      case TRADE_RETCODE_DONE:
         return("request completed");
      case TRADE_RETCODE_DONE_PARTIAL:
         return("only part of the request was completed");
      case TRADE_RETCODE_ERROR:
         return("request processing error");
      case TRADE_RETCODE_TIMEOUT:
         return("request canceled by timeout");
      case TRADE_RETCODE_INVALID:
         return("invalid request");
      case TRADE_RETCODE_INVALID_VOLUME:
         return("invalid volume in the request");
      case TRADE_RETCODE_INVALID_PRICE:
         return("invalid price in the request");
      case TRADE_RETCODE_INVALID_STOPS:
         return("invalid stops in the request");
      case TRADE_RETCODE_TRADE_DISABLED:
         return("trade is disabled");
      case TRADE_RETCODE_MARKET_CLOSED:
         return("market is closed");
      case TRADE_RETCODE_NO_MONEY:
         return("not enough money to complete the request");
      case TRADE_RETCODE_PRICE_CHANGED:
         return("prices changed");
      case TRADE_RETCODE_PRICE_OFF:
         return("there are no quotes to process the request");
      case TRADE_RETCODE_INVALID_EXPIRATION:
         return("invalid order expiration date");
      case TRADE_RETCODE_ORDER_CHANGED:
         return("order state changed");
      case TRADE_RETCODE_TOO_MANY_REQUESTS:
         return("too frequent requests");
      case TRADE_RETCODE_NO_CHANGES:
         return("no changes in request");
      case TRADE_RETCODE_SERVER_DISABLES_AT:
         return("autotrading disabled by server");
      case TRADE_RETCODE_CLIENT_DISABLES_AT:
         return("autotrading disabled by client terminal");
      case TRADE_RETCODE_LOCKED:
         return("request locked for processing");
      case TRADE_RETCODE_FROZEN:
         return("order or position frozen");
      case TRADE_RETCODE_INVALID_FILL:
         return("invalid order filling type");
      case TRADE_RETCODE_CONNECTION:
         return("no connection with the trade server");
      case TRADE_RETCODE_ONLY_REAL:
         return("operation is allowed only for live accounts");
      case TRADE_RETCODE_LIMIT_ORDERS:
         return("the number of pending orders has reached the limit");
      case TRADE_RETCODE_LIMIT_VOLUME:
         return("the volume of orders and positions for the symbol has reached the limit");
      case TRADE_RETCODE_INVALID_ORDER:
         return("incorrect or prohibited order type");
      case TRADE_RETCODE_POSITION_CLOSED:
         return("position with the specified identifier has already been closed");
      case TRADE_RETCODE_INVALID_CLOSE_VOLUME:
         return("a close volume exceeds the current position volume");
      case TRADE_RETCODE_CLOSE_ORDER_EXIST:
         return("a close order already exists for the position");
      case TRADE_RETCODE_LIMIT_POSITIONS:
         return("the number of open positions has reached the limit");
      case TRADE_RETCODE_REJECT_CANCEL:
         return("the pending order activation request is rejected");
      case TRADE_RETCODE_LONG_ONLY:
         return("only long positions are allowed for the symbol");
      case TRADE_RETCODE_SHORT_ONLY:
         return("only short positions are allowed for the symbol");
      case TRADE_RETCODE_CLOSE_ONLY:
         return("only position closing is allowed for the symbol");
      case TRADE_RETCODE_FIFO_CLOSE:
         return("position closing is allowed only by FIFO rule");
      case TRADE_RETCODE_HEDGE_PROHIBITED:
         return("opposite positions on the symbol are prohibited");
     }
   return("trade server return code "+IntegerToString((long)retcode));
  }

//+------------------------------------------------------------------+
//| Retcodes after which a request may be sent again with a fresh   |
//| price (requote, price changed, off quotes)                       |
//+------------------------------------------------------------------+
bool CbRetcodeRetryable(const uint retcode)
  {
   return(retcode==TRADE_RETCODE_REQUOTE || retcode==TRADE_RETCODE_PRICE_CHANGED || retcode==TRADE_RETCODE_PRICE_OFF);
  }
bool CbRetcodeSuccess(const uint retcode)
  {
   return(retcode==TRADE_RETCODE_DONE || retcode==TRADE_RETCODE_DONE_PARTIAL || retcode==TRADE_RETCODE_PLACED);
  }

//+------------------------------------------------------------------+
//| Copy tag: 4 lowercase hex digits of the low 16 bits of the       |
//| 32-bit FNV-1a hash of the master account name (UTF-8 bytes)      |
//+------------------------------------------------------------------+
string CbMasterTag(const string master)
  {
   CB_ARRAY(uchar,bytes);
   int n=StringToCharArray(master,bytes,0,WHOLE_ARRAY,CP_UTF8);
   uint hash=(uint)0x811C9DC5;
   for(int i=0; i<n-1; i++)
     {
      hash=hash^(uint)bytes[i];
      hash=hash*(uint)16777619;
     }
   return(StringFormat("%04x",(int)(hash&0xFFFF)));
  }

//--- comment that marks a copy: CB:<tag>:<master position>
string CbCopyComment(const string master,const string master_position)
  {
   return("CB:"+CbMasterTag(master)+":"+master_position);
  }

//--- master position from a copy comment, "" when the comment is not one
string CbCommentPosition(const string comment)
  {
   if(StringLen(comment)<9 || StringSubstr(comment,0,3)!="CB:" || StringGetCharacter(comment,7)!=':')
      return("");
   return(StringSubstr(comment,8));
  }

//--- tickets travel as decimal strings
string CbTicketString(const ulong ticket)
  {
   return(IntegerToString((long)ticket));
  }
ulong CbParseTicket(const string text)
  {
   if(text=="")
      return(0);
   long v=StringToInteger(text);
   if(v<=0)
      return(0);
   return((ulong)v);
  }

//+------------------------------------------------------------------+
//| Trade server time in ms (DEAL_TIME_MSC, POSITION_TIME_MSC) to    |
//| UTC ms. The server's offset from UTC is rounded to 15 minutes.   |
//+------------------------------------------------------------------+
long CbServerOffsetSec(void)
  {
   long diff=(long)TimeTradeServer()-(long)TimeGMT();
   return((long)MathRound((double)diff/900.0)*900);
  }

long CbServerMsToUtc(const long server_ms)
  {
   if(server_ms<=0)
      return(0);
   return(server_ms-CbServerOffsetSec()*1000);
  }

//--- UTC ms (a pending order's expiration_ms) to trade server time in ms
long CbUtcMsToServer(const long utc_ms)
  {
   if(utc_ms<=0)
      return(0);
   return(utc_ms+CbServerOffsetSec()*1000);
  }

//+------------------------------------------------------------------+
//| Clock: MQL5 has no wall clock in milliseconds; TimeGMT() has     |
//| seconds and GetTickCount64() milliseconds since boot. The clock  |
//| runs on the tick count and is pulled into the current second of  |
//| TimeGMT() whenever it falls outside it; every observed change of |
//| second tightens it, so it converges to within the timer period.  |
//+------------------------------------------------------------------+
class CCbClock
  {
private:
   long              m_anchor_ms;
   ulong             m_anchor_tick;
   long              m_last_ms;

public:
                     CCbClock(void) : m_anchor_ms(0), m_anchor_tick(0), m_last_ms(0) {}
   long              NowMs(void);
  };

//+------------------------------------------------------------------+
//| Wall clock, ms since the Unix epoch (UTC), never going back      |
//+------------------------------------------------------------------+
long CCbClock::NowMs(void)
  {
   long lower=(long)TimeGMT()*1000;
   long upper=lower+999;
   ulong tick=GetTickCount64();
   long ms=m_anchor_ms+(long)(tick-m_anchor_tick);
   if(m_anchor_ms==0 || ms<lower)
     {
      //--- behind the current second (or first call): this second has just begun
      m_anchor_ms=lower;
      m_anchor_tick=tick;
      ms=lower;
     }
   else
      if(ms>upper)
        {
         m_anchor_ms=upper;
         m_anchor_tick=tick;
         ms=upper;
        }
   if(ms<m_last_ms)
      ms=m_last_ms;
   m_last_ms=ms;
   return(ms);
  }

#endif
