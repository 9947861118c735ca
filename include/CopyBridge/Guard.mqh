//+------------------------------------------------------------------+
//| Guard.mqh - the hub's protection limits, enforced by the EA      |
//|                                                                  |
//| The hub gates every new copy itself; a protected slave's welcome |
//| also carries its limits (CbLimits) so that the EA refuses an     |
//| open on its own when its equity is at or below the floor, a loss |
//| limit tripped, or the open would pass an exposure limit: a       |
//| second line of defence for a command sent before the hub saw the |
//| loss. Closes are never refused. See docs/protection.md.          |
//+------------------------------------------------------------------+
#ifndef CB_GUARD_MQH
#define CB_GUARD_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Json.mqh"
#include "Protocol.mqh"

//--- lots compared with this tolerance: reaching a limit exactly is allowed
#define CB_LOTS_EPS 1e-9

//--- what the account holds now, as the limits count it
struct CbExposure
  {
   double            equity;
   int               positions;
   double            lots;          // every position, copies and manual trades alike
   double            lots_symbol;   // on the symbol of the open
  };

void CbReadExposure(const string symbol,CbExposure &e)
  {
   e.equity=AccountInfoDouble(ACCOUNT_EQUITY);
   e.positions=PositionsTotal();
   e.lots=0.0;
   e.lots_symbol=0.0;
   for(int i=0; i<e.positions; i++)
     {
      if(PositionGetTicket(i)==0)
         continue;
      double volume=PositionGetDouble(POSITION_VOLUME);
      e.lots+=volume;
      if(PositionGetString(POSITION_SYMBOL)==symbol)
         e.lots_symbol+=volume;
     }
  }

//--- why an open of `lots` on `symbol` may not be made under these limits ("" when it may);
//--- new_position: false for an add to a copy (it opens no new position)
string CbLimitsRefusal(const CbLimits &l,const CbExposure &e,const string symbol,const double lots,const bool new_position)
  {
   if(!l.any)
      return("");
   string who=" (checked by the EA against the hub's last welcome)";
   if(l.blocked!="")
      return("protection: "+l.blocked+who);
   if(l.has_floor && e.equity<=l.equity_floor)
      return("protection: equity "+DoubleToString(e.equity,2)+" at or below the floor "+DoubleToString(l.equity_floor,2)+who);
   if(new_position && l.max_positions>=0 && e.positions+1>l.max_positions)
      return("protection: max positions: "+IntegerToString(e.positions)+" open, the limit is "+IntegerToString(l.max_positions)+who);
   if(l.max_lots>=0.0 && e.lots+lots>l.max_lots+CB_LOTS_EPS)
      return("protection: max lots: "+JsonNumber(e.lots,8)+" lots open + "+JsonNumber(lots,8)+" would be "+JsonNumber(e.lots+lots,8)+", more than "+JsonNumber(l.max_lots,8)+who);
   if(l.max_lots_per_symbol>=0.0 && e.lots_symbol+lots>l.max_lots_per_symbol+CB_LOTS_EPS)
      return("protection: max lots per symbol: "+JsonNumber(e.lots_symbol,8)+" lots of "+symbol+" open + "+JsonNumber(lots,8)+" would be "+
             JsonNumber(e.lots_symbol+lots,8)+", more than "+JsonNumber(l.max_lots_per_symbol,8)+who);
   return("");
  }

//--- a list of limits in words
string CbLimitsJoin(const string text,const string more)
  {
   return(text=="" ? more : text+"; "+more);
  }

//--- the limits in words, for the Experts tab and the chart; "" without limits
string CbLimitsText(const CbLimits &l)
  {
   if(!l.any)
      return("");
   string text="";
   if(l.blocked!="")
      text="BLOCKED: "+l.blocked;
   if(l.has_floor)
      text=CbLimitsJoin(text,"equity floor "+DoubleToString(l.equity_floor,2));
   if(l.max_positions>=0)
      text=CbLimitsJoin(text,"max "+IntegerToString(l.max_positions)+" positions");
   if(l.max_lots>=0.0)
      text=CbLimitsJoin(text,"max "+JsonNumber(l.max_lots,8)+" lots");
   if(l.max_lots_per_symbol>=0.0)
      text=CbLimitsJoin(text,"max "+JsonNumber(l.max_lots_per_symbol,8)+" lots per symbol");
   return(text=="" ? "protected, no limit in force" : text);
  }

//--- the chart's protection line: the limits, and whether new copies are refused now; "" without limits
string CbLimitsLine(const CbLimits &l)
  {
   if(!l.any)
      return("");
   string line="Protection: "+CbLimitsText(l);
   double equity=AccountInfoDouble(ACCOUNT_EQUITY);
   if(l.blocked!="" || (l.has_floor && equity<=l.equity_floor))
      line+="  NEW COPIES REFUSED (equity "+DoubleToString(equity,2)+")";
   return(line);
  }

#endif
