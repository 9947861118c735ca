//+------------------------------------------------------------------+
//| Trade.mqh - order sending for the slave                          |
//|                                                                  |
//| Symbol facts, filling mode by execution mode, volume and price   |
//| normalisation to the tick grid, a fresh tick for the deviation   |
//| check, OrderSend with retries on requote / price changed / off   |
//| quotes only, and position lookup.                                |
//| CCbTrader keeps no state: every part of the EA may own one.      |
//+------------------------------------------------------------------+
#ifndef CB_TRADE_MQH
#define CB_TRADE_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Protocol.mqh"

#define CB_MAX_SEND_ATTEMPTS 3
//--- a quote missing or too old is asked for again this often, this long apart (the terminal's
//--- other threads deliver ticks meanwhile); at most 10 x 20 ms in one command
#define CB_QUOTE_TRIES       10
#define CB_QUOTE_RETRY_MS    20

//--- digits to print prices of a symbol with (0-digit indices exist; 8 when the symbol does not say)
int CbSymbolDigits(const string symbol)
  {
   long d=SymbolInfoInteger(symbol,SYMBOL_DIGITS);
   if(d<0 || d>10)
      return(8);
   return((int)d);
  }

string CbFillingName(const ENUM_ORDER_TYPE_FILLING filling)
  {
   switch(filling)
     {
      case ORDER_FILLING_FOK:
         return("FOK");
      case ORDER_FILLING_IOC:
         return("IOC");
      case ORDER_FILLING_RETURN:
         return("Return");
      default:
         return("filling "+IntegerToString((long)filling));
     }
  }

//+------------------------------------------------------------------+
//| Trade helper                                                     |
//+------------------------------------------------------------------+
class CCbTrader
  {
public:
   //--- selects the symbol in Market Watch so that its ticks can be read
   bool              Select(const string symbol,string &error);
   //--- the filling policy for the symbol's execution mode and flags: FOK, else IOC, else Return
   ENUM_ORDER_TYPE_FILLING Filling(const string symbol);
   //--- another policy the execution mode and flags allow after `tried` was refused (10030);
   //--- false when there is none
   bool              OtherFilling(const string symbol,const ENUM_ORDER_TYPE_FILLING tried,ENUM_ORDER_TYPE_FILLING &other);
   //--- a price on the symbol's tick grid (SYMBOL_TRADE_TICK_SIZE), normalised to its digits
   double            NormalizePrice(const string symbol,const double price);
   //--- volume rounded down to the step; 0 when below the minimum
   double            NormalizeVolume(const string symbol,const double volume,string &error);
   //--- price a market order of this side would get now; with max_age_ms > 0 only from a tick
   //--- at most that old (now_ms: UTC ms now). A symbol just selected may have no quote yet and
   //--- a quiet market an old one: asked again a few times, CB_QUOTE_RETRY_MS apart
   bool              MarketPrice(const string symbol,const bool buy,const long max_age_ms,double &price,string &error);
   //--- distance from a reference price in points
   double            DeviationPoints(const string symbol,const double price,const double reference);
   //--- sends a request once; fills the outcome from the result. true when done or placed
   //--- (status CB_STATUS_PLACED: an exchange accepted the order, its deal comes later).
   //--- OrderSend may return before the deal and the position are visible: o.position is
   //--- read from the deal when the history shows it already, else left to the caller
   bool              SendOnce(MqlTradeRequest &request,CbOutcome &o);
   //--- sends a request, again on requote / price changed / off quotes
   bool              Send(MqlTradeRequest &request,CbOutcome &o);
   //--- ticket of the open position with this identifier, 0 when none
   ulong             TicketOfPosition(const ulong identifier);
   //--- POSITION_IDENTIFIER of an open position, 0 when it is not open
   ulong             IdentifierOf(const ulong ticket);
   //--- open position carrying this magic number and comment, 0 when none
   ulong             FindByComment(const long magic,const string comment);
  };

bool CCbTrader::Select(const string symbol,string &error)
  {
   ResetLastError();
   if(!SymbolSelect(symbol,true))
     {
      int err=GetLastError();
      error="symbol "+symbol+" is not available in this terminal (SymbolSelect: "+CbErrorText(err)+", "+IntegerToString(err)+")";
      return(false);
     }
   return(true);
  }

//--- the policies the reference allows by execution mode ("Symbol Properties",
//--- SYMBOL_FILLING_MODE): request and instant execution any; market execution FOK and IOC
//--- as the flags say and never Return, whatever the flags; exchange execution FOK and IOC as
//--- the flags say, Return always
bool CbFillingAllowed(const string symbol,const ENUM_ORDER_TYPE_FILLING filling)
  {
   long exe=SymbolInfoInteger(symbol,SYMBOL_TRADE_EXEMODE);
   long mask=SymbolInfoInteger(symbol,SYMBOL_FILLING_MODE);
   if(exe==SYMBOL_TRADE_EXECUTION_REQUEST || exe==SYMBOL_TRADE_EXECUTION_INSTANT)
      return(filling==ORDER_FILLING_FOK || filling==ORDER_FILLING_IOC || filling==ORDER_FILLING_RETURN);
   if(filling==ORDER_FILLING_FOK)
      return((mask&SYMBOL_FILLING_FOK)==SYMBOL_FILLING_FOK);
   if(filling==ORDER_FILLING_IOC)
      return((mask&SYMBOL_FILLING_IOC)==SYMBOL_FILLING_IOC);
   return(filling==ORDER_FILLING_RETURN && exe==SYMBOL_TRADE_EXECUTION_EXCHANGE);
  }

ENUM_ORDER_TYPE_FILLING CCbTrader::Filling(const string symbol)
  {
   if(CbFillingAllowed(symbol,ORDER_FILLING_FOK))
      return(ORDER_FILLING_FOK);
   if(CbFillingAllowed(symbol,ORDER_FILLING_IOC))
      return(ORDER_FILLING_IOC);
   if(CbFillingAllowed(symbol,ORDER_FILLING_RETURN))
      return(ORDER_FILLING_RETURN);
   //--- market execution without a flag: nothing fits; IOC is what such brokers take mostly
   return(ORDER_FILLING_IOC);
  }

bool CCbTrader::OtherFilling(const string symbol,const ENUM_ORDER_TYPE_FILLING tried,ENUM_ORDER_TYPE_FILLING &other)
  {
   ENUM_ORDER_TYPE_FILLING order[3]={ORDER_FILLING_FOK,ORDER_FILLING_IOC,ORDER_FILLING_RETURN};
   for(int i=0; i<3; i++)
      if(order[i]!=tried && CbFillingAllowed(symbol,order[i]))
        {
         other=order[i];
         return(true);
        }
   return(false);
  }

double CCbTrader::NormalizePrice(const string symbol,const double price)
  {
   if(price<=0.0)
      return(0.0);
   int digits=(int)SymbolInfoInteger(symbol,SYMBOL_DIGITS);
   double tick=SymbolInfoDouble(symbol,SYMBOL_TRADE_TICK_SIZE);
   if(tick<=0.0)
      tick=SymbolInfoDouble(symbol,SYMBOL_POINT);
   double p=price;
   if(tick>0.0)
      p=MathRound(price/tick)*tick;
   return(NormalizeDouble(p,digits));
  }

double CCbTrader::NormalizeVolume(const string symbol,const double volume,string &error)
  {
   double vmin=SymbolInfoDouble(symbol,SYMBOL_VOLUME_MIN);
   double vmax=SymbolInfoDouble(symbol,SYMBOL_VOLUME_MAX);
   double step=SymbolInfoDouble(symbol,SYMBOL_VOLUME_STEP);
   if(step<=0.0)
      step=vmin;
   double v=volume;
   if(step>0.0)
      v=MathFloor(volume/step+1e-7)*step;
   v=NormalizeDouble(v,8);
   if(v<vmin-1e-9)
     {
      error="volume "+JsonNumber(volume,8)+" is below "+symbol+" minimum "+JsonNumber(vmin,8)+" (step "+JsonNumber(step,8)+")";
      return(0.0);
     }
   if(vmax>0.0 && v>vmax+1e-9)
     {
      error="volume "+JsonNumber(volume,8)+" is above "+symbol+" maximum "+JsonNumber(vmax,8);
      return(0.0);
     }
   return(v);
  }

bool CCbTrader::MarketPrice(const string symbol,const bool buy,const long max_age_ms,double &price,string &error)
  {
   ulong start=GetTickCount64();
   for(int attempt=0; attempt<CB_QUOTE_TRIES; attempt++)
     {
      if(attempt>0)
         Sleep(CB_QUOTE_RETRY_MS);
      MqlTick tick;
      ResetLastError();
      if(!SymbolInfoTick(symbol,tick))
        {
         int err=GetLastError();
         error="no quote for "+symbol+" (SymbolInfoTick: "+CbErrorText(err)+", "+IntegerToString(err)+")";
         continue;
        }
      price=(buy ? tick.ask : tick.bid);
      if(price<=0.0 || tick.time_msc<=0)
        {
         error="no quote for "+symbol+" yet (bid/ask 0: the symbol was just selected?)";
         continue;
        }
      if(max_age_ms<=0)
         return(true);
      //--- the quote's age on the server's own clock: the time of the latest quote of any symbol
      //--- (TimeCurrent, whole seconds) less this one's; the computer's clock may be far off
      long age=MathMax(0,(long)TimeCurrent()*1000-tick.time_msc);
      if(age<=max_age_ms)
         return(true);
      error="the last quote of "+symbol+" is "+IntegerToString(age)+" ms old, more than the hub's limit of "+IntegerToString(max_age_ms)+" ms (quiet market or no price feed)";
     }
   error=error+"; waited "+IntegerToString((long)(GetTickCount64()-start))+" ms for a fresh one";
   price=0.0;
   return(false);
  }

double CCbTrader::DeviationPoints(const string symbol,const double price,const double reference)
  {
   double point=SymbolInfoDouble(symbol,SYMBOL_POINT);
   if(point<=0.0)
      return(0.0);
   return(NormalizeDouble(MathAbs(price-reference)/point,1));
  }

bool CCbTrader::SendOnce(MqlTradeRequest &request,CbOutcome &o)
  {
   MqlTradeResult result;
   ZeroMemory(result);
   ResetLastError();
   bool sent=OrderSend(request,result);
   int err=GetLastError();
   o.retcode=(int)result.retcode;
   o.deal=result.deal;
   o.order=result.order;
   o.price=result.price;
   o.volume=result.volume;
   string text=CbRetcodeText(result.retcode);
   if(result.comment!="" && result.comment!=text)
      text=text+" ("+result.comment+")";
   if(!sent && result.retcode==0)
      text="OrderSend failed: "+CbErrorText(err)+" ("+IntegerToString(err)+")";
   o.message=text;
   if(result.retcode==TRADE_RETCODE_PLACED)
     {
      //--- a market order under exchange execution: in the market, not filled yet
      o.status=CB_STATUS_PLACED;
      return(true);
     }
   if(CbRetcodeSuccess(result.retcode))
     {
      o.status=(result.retcode==TRADE_RETCODE_DONE_PARTIAL ? CB_STATUS_PARTIAL : CB_STATUS_DONE);
      if(result.deal>0 && HistoryDealSelect(result.deal))
         o.position=(ulong)HistoryDealGetInteger(result.deal,DEAL_POSITION_ID);
      if(o.position==0 && request.position>0)
         o.position=request.position;
      return(true);
     }
   o.status=CB_STATUS_REJECTED;
   return(false);
  }

bool CCbTrader::Send(MqlTradeRequest &request,CbOutcome &o)
  {
   for(int attempt=0; attempt<CB_MAX_SEND_ATTEMPTS; attempt++)
     {
      if(SendOnce(request,o))
         return(true);
      if(!CbRetcodeRetryable((uint)o.retcode))
         break;
     }
   return(false);
  }

ulong CCbTrader::TicketOfPosition(const ulong identifier)
  {
   if(identifier==0)
      return(0);
   if(PositionSelectByTicket(identifier) && (ulong)PositionGetInteger(POSITION_IDENTIFIER)==identifier)
      return(identifier);
   int total=PositionsTotal();
   for(int i=0; i<total; i++)
     {
      ulong t=PositionGetTicket(i);
      if(t>0 && (ulong)PositionGetInteger(POSITION_IDENTIFIER)==identifier)
         return(t);
     }
   return(0);
  }

ulong CCbTrader::IdentifierOf(const ulong ticket)
  {
   if(ticket==0 || !PositionSelectByTicket(ticket))
      return(0);
   return((ulong)PositionGetInteger(POSITION_IDENTIFIER));
  }

ulong CCbTrader::FindByComment(const long magic,const string comment)
  {
   int total=PositionsTotal();
   for(int i=0; i<total; i++)
     {
      ulong t=PositionGetTicket(i);
      if(t==0)
         continue;
      if(PositionGetInteger(POSITION_MAGIC)==magic && PositionGetString(POSITION_COMMENT)==comment)
         return(t);
     }
   return(0);
  }

#endif
