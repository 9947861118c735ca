//+------------------------------------------------------------------+
//| Trade.mqh - order sending for the slave                          |
//|                                                                  |
//| Symbol facts, filling mode, volume and price normalisation, the  |
//| deviation check against a fresh tick, OrderSend with retries on  |
//| requote / price changed / off quotes only, and position lookup.  |
//| CCbTrader keeps no state: every part of the EA may own one.      |
//+------------------------------------------------------------------+
#ifndef CB_TRADE_MQH
#define CB_TRADE_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Protocol.mqh"

#define CB_MAX_SEND_ATTEMPTS 3
//--- OrderSend may return before its deal is in the history: wait this long for it
#define CB_SEND_CONFIRM_MS   500

//--- digits to print prices of a symbol with (8 when the symbol does not say)
int CbSymbolDigits(const string symbol)
  {
   long d=SymbolInfoInteger(symbol,SYMBOL_DIGITS);
   if(d<=0 || d>10)
      return(8);
   return((int)d);
  }

//+------------------------------------------------------------------+
//| Trade helper                                                     |
//+------------------------------------------------------------------+
class CCbTrader
  {
public:
   //--- selects the symbol in Market Watch so that its ticks can be read
   bool              Select(const string symbol,string &error);
   //--- FOK if the symbol allows it, else IOC, else Return
   ENUM_ORDER_TYPE_FILLING Filling(const string symbol);
   double            NormalizePrice(const string symbol,const double price);
   //--- volume rounded down to the step; 0 when below the minimum
   double            NormalizeVolume(const string symbol,const double volume,string &error);
   //--- price a market order of this side would get now
   bool              MarketPrice(const string symbol,const bool buy,double &price,string &error);
   //--- distance from a reference price in points
   double            DeviationPoints(const string symbol,const double price,const double reference);
   //--- true once the deal is in the history, false after CB_SEND_CONFIRM_MS
   bool              WaitForDeal(const ulong deal);
   //--- sends a request once; fills the outcome from the result
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

ENUM_ORDER_TYPE_FILLING CCbTrader::Filling(const string symbol)
  {
   long mask=SymbolInfoInteger(symbol,SYMBOL_FILLING_MODE);
   if((mask&SYMBOL_FILLING_FOK)==SYMBOL_FILLING_FOK)
      return(ORDER_FILLING_FOK);
   if((mask&SYMBOL_FILLING_IOC)==SYMBOL_FILLING_IOC)
      return(ORDER_FILLING_IOC);
   return(ORDER_FILLING_RETURN);
  }

double CCbTrader::NormalizePrice(const string symbol,const double price)
  {
   if(price<=0.0)
      return(0.0);
   return(NormalizeDouble(price,(int)SymbolInfoInteger(symbol,SYMBOL_DIGITS)));
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

bool CCbTrader::MarketPrice(const string symbol,const bool buy,double &price,string &error)
  {
   MqlTick tick;
   ResetLastError();
   if(!SymbolInfoTick(symbol,tick))
     {
      int err=GetLastError();
      error="no quote for "+symbol+" (SymbolInfoTick: "+CbErrorText(err)+", "+IntegerToString(err)+")";
      return(false);
     }
   price=(buy ? tick.ask : tick.bid);
   if(price<=0.0)
     {
      error="no quote for "+symbol+" (bid/ask 0)";
      return(false);
     }
   return(true);
  }

double CCbTrader::DeviationPoints(const string symbol,const double price,const double reference)
  {
   double point=SymbolInfoDouble(symbol,SYMBOL_POINT);
   if(point<=0.0)
      return(0.0);
   return(NormalizeDouble(MathAbs(price-reference)/point,1));
  }

bool CCbTrader::WaitForDeal(const ulong deal)
  {
   ulong start=GetTickCount64();
   while(!HistoryDealSelect(deal))
     {
      if(GetTickCount64()-start>CB_SEND_CONFIRM_MS)
         return(false);
      Sleep(1);
     }
   return(true);
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
   o.price=result.price;
   o.volume=result.volume;
   string text=CbRetcodeText(result.retcode);
   if(result.comment!="" && result.comment!=text)
      text=text+" ("+result.comment+")";
   if(!sent && result.retcode==0)
      text="OrderSend failed: "+CbErrorText(err)+" ("+IntegerToString(err)+")";
   o.message=text;
   if(CbRetcodeSuccess(result.retcode))
     {
      o.status=(result.retcode==TRADE_RETCODE_DONE_PARTIAL ? CB_STATUS_PARTIAL : CB_STATUS_DONE);
      if(result.deal>0 && WaitForDeal(result.deal))
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
