//+------------------------------------------------------------------+
//| Trade.mqh - order sending for the slave                          |
//|                                                                  |
//| Symbol facts, filling mode, volume and price normalisation, the  |
//| deviation check against a fresh tick, OrderSend with retries on  |
//| requote / price changed / off quotes only, and position lookup.  |
//+------------------------------------------------------------------+
#ifndef CB_TRADE_MQH
#define CB_TRADE_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"

#define CB_MAX_SEND_ATTEMPTS 3

//+------------------------------------------------------------------+
//| Outcome of one executed command                                  |
//+------------------------------------------------------------------+
struct CbOutcome
  {
   string            status;      // done, partial, rejected, refused, duplicate, expired
   int               retcode;
   string            message;
   ulong             ticket;      // position ticket
   ulong             position;    // position identifier
   ulong             deal;
   double            price;
   double            volume;
   double            remaining;
   bool              has_remaining;
   int               digits;
  };

void CbOutcomeReset(CbOutcome &o)
  {
   o.status="";
   o.retcode=0;
   o.message="";
   o.ticket=0;
   o.position=0;
   o.deal=0;
   o.price=0.0;
   o.volume=0.0;
   o.remaining=0.0;
   o.has_remaining=false;
   o.digits=8;
  }

void CbRefuse(CbOutcome &o,const string reason)
  {
   o.status="refused";
   o.retcode=0;
   o.message=reason;
  }

//+------------------------------------------------------------------+
//| Trade helper                                                     |
//+------------------------------------------------------------------+
class CCbTrader
  {
private:
   bool              m_hedging;

public:
                     CCbTrader(void) : m_hedging(true) {}
   void              SetHedging(const bool hedging) { m_hedging=hedging; }
   bool              IsHedging(void) const { return(m_hedging); }

   //--- selects the symbol in Market Watch so that its ticks can be read
   bool              Select(const string symbol,string &error)
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

   //--- FOK if the symbol allows it, else IOC, else Return
   ENUM_ORDER_TYPE_FILLING Filling(const string symbol)
     {
      long mask=SymbolInfoInteger(symbol,SYMBOL_FILLING_MODE);
      if((mask&SYMBOL_FILLING_FOK)==SYMBOL_FILLING_FOK)
         return(ORDER_FILLING_FOK);
      if((mask&SYMBOL_FILLING_IOC)==SYMBOL_FILLING_IOC)
         return(ORDER_FILLING_IOC);
      return(ORDER_FILLING_RETURN);
     }

   int               Digits(const string symbol)
     {
      return((int)SymbolInfoInteger(symbol,SYMBOL_DIGITS));
     }

   double            NormalizePrice(const string symbol,const double price)
     {
      if(price<=0.0)
         return(0.0);
      return(NormalizeDouble(price,Digits(symbol)));
     }

   //--- volume rounded down to the step; 0 when below the minimum
   double            NormalizeVolume(const string symbol,const double volume,string &error)
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

   //--- price a market order of this side would get now
   bool              MarketPrice(const string symbol,const bool buy,double &price,string &error)
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

   //--- distance from a reference price in points
   double            DeviationPoints(const string symbol,const double price,const double reference)
     {
      double point=SymbolInfoDouble(symbol,SYMBOL_POINT);
      if(point<=0.0)
         return(0.0);
      return(NormalizeDouble(MathAbs(price-reference)/point,1));
     }

   //--- sends a request once; fills the outcome from the result
   bool              SendOnce(MqlTradeRequest &request,CbOutcome &o)
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
         o.status=(result.retcode==TRADE_RETCODE_DONE_PARTIAL ? "partial" : "done");
         if(result.deal>0 && HistoryDealSelect(result.deal))
            o.position=(ulong)HistoryDealGetInteger(result.deal,DEAL_POSITION_ID);
         if(o.position==0 && request.position>0)
            o.position=request.position;
         return(true);
        }
      o.status="rejected";
      return(false);
     }

   //--- ticket of the open position with this identifier, 0 when none
   ulong             TicketOfPosition(const ulong identifier)
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

   //--- open position carrying this magic number and comment, 0 when none
   ulong             FindByComment(const long magic,const string comment)
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
  };

#endif
