//+------------------------------------------------------------------+
//| Protocol.mqh - the wire protocol as the EA sees it               |
//|                                                                  |
//| Roles, the hub's message types and the statuses of a result as   |
//| enums with their wire names; the hub's messages parsed once into |
//| structures (CbCommand, CbWelcome, CbHubError); the outcome of an |
//| executed command. See docs/protocol.md for every message.        |
//+------------------------------------------------------------------+
#ifndef CB_PROTOCOL_MQH
#define CB_PROTOCOL_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "JsonReader.mqh"

#define CB_PROTOCOL_VERSION 1

//--- what the hub told this terminal to be
enum ENUM_CB_ROLE
  {
   CB_ROLE_UNKNOWN=0,
   CB_ROLE_MASTER=1,
   CB_ROLE_SLAVE=2,
   CB_ROLE_DISABLED=3
  };

//--- messages from the hub
enum ENUM_CB_MESSAGE
  {
   CB_MSG_UNKNOWN=0,
   CB_MSG_WELCOME=1,
   CB_MSG_PING=2,
   CB_MSG_SNAPSHOT_REQUEST=3,
   CB_MSG_WATCH=4,
   CB_MSG_ERROR=5,
   CB_MSG_OPEN=6,
   CB_MSG_CLOSE=7,
   CB_MSG_CLOSE_BY=8,
   CB_MSG_MODIFY=9,
   CB_MSG_NOTIFY=10,
   CB_MSG_PLACE=11,
   CB_MSG_MODIFY_ORDER=12,
   CB_MSG_REMOVE=13
  };

//--- status of a command's result
enum ENUM_CB_STATUS
  {
   CB_STATUS_NONE=0,
   CB_STATUS_DONE=1,
   CB_STATUS_PARTIAL=2,
   CB_STATUS_REJECTED=3,
   CB_STATUS_REFUSED=4,
   CB_STATUS_DUPLICATE=5,
   CB_STATUS_EXPIRED=6,
   CB_STATUS_PLACED=7
  };

//+------------------------------------------------------------------+
//| Wire names                                                       |
//+------------------------------------------------------------------+
string CbRoleName(const ENUM_CB_ROLE role)
  {
   switch(role)
     {
      case CB_ROLE_MASTER:
         return("master");
      case CB_ROLE_SLAVE:
         return("slave");
      case CB_ROLE_DISABLED:
         return("disabled");
      default:
         return("unknown");
     }
  }

//--- the role of a welcome: anything but master or slave disables the account
ENUM_CB_ROLE CbParseRole(const string name)
  {
   if(name==CbRoleName(CB_ROLE_MASTER))
      return(CB_ROLE_MASTER);
   if(name==CbRoleName(CB_ROLE_SLAVE))
      return(CB_ROLE_SLAVE);
   return(CB_ROLE_DISABLED);
  }

string CbMessageName(const ENUM_CB_MESSAGE type)
  {
   switch(type)
     {
      case CB_MSG_WELCOME:
         return("welcome");
      case CB_MSG_PING:
         return("ping");
      case CB_MSG_SNAPSHOT_REQUEST:
         return("snapshot_request");
      case CB_MSG_WATCH:
         return("watch");
      case CB_MSG_ERROR:
         return("error");
      case CB_MSG_OPEN:
         return("open");
      case CB_MSG_CLOSE:
         return("close");
      case CB_MSG_CLOSE_BY:
         return("close_by");
      case CB_MSG_MODIFY:
         return("modify");
      case CB_MSG_NOTIFY:
         return("notify");
      case CB_MSG_PLACE:
         return("place");
      case CB_MSG_MODIFY_ORDER:
         return("modify_order");
      case CB_MSG_REMOVE:
         return("remove");
      default:
         return("");
     }
  }

ENUM_CB_MESSAGE CbParseMessage(const string name)
  {
   for(int t=CB_MSG_WELCOME; t<=CB_MSG_REMOVE; t++)
      if(name==CbMessageName((ENUM_CB_MESSAGE)t))
         return((ENUM_CB_MESSAGE)t);
   return(CB_MSG_UNKNOWN);
  }

string CbStatusName(const ENUM_CB_STATUS status)
  {
   switch(status)
     {
      case CB_STATUS_DONE:
         return("done");
      case CB_STATUS_PARTIAL:
         return("partial");
      case CB_STATUS_REJECTED:
         return("rejected");
      case CB_STATUS_REFUSED:
         return("refused");
      case CB_STATUS_DUPLICATE:
         return("duplicate");
      case CB_STATUS_EXPIRED:
         return("expired");
      case CB_STATUS_PLACED:
         return("placed");
      default:
         return("");
     }
  }

ENUM_CB_STATUS CbParseStatus(const string name)
  {
   for(int s=CB_STATUS_DONE; s<=CB_STATUS_PLACED; s++)
      if(name==CbStatusName((ENUM_CB_STATUS)s))
         return((ENUM_CB_STATUS)s);
   return(CB_STATUS_NONE);
  }

string CbSideName(const bool buy)
  {
   return(buy ? "buy" : "sell");
  }

string CbTradeModeName(const long mode)
  {
   switch((int)mode)
     {
      case SYMBOL_TRADE_MODE_DISABLED:
         return("disabled");
      case SYMBOL_TRADE_MODE_LONGONLY:
         return("longonly");
      case SYMBOL_TRADE_MODE_SHORTONLY:
         return("shortonly");
      case SYMBOL_TRADE_MODE_CLOSEONLY:
         return("closeonly");
      default:
         return("full");
     }
  }

//+------------------------------------------------------------------+
//| The protection limits of a welcome: what the EA checks itself    |
//| before every open (closes never). A limit not given is none.     |
//+------------------------------------------------------------------+
struct CbLimits
  {
   bool              any;                  // the welcome had limits (the slave is protected)
   bool              has_floor;
   double            equity_floor;         // refuse while ACCOUNT_EQUITY is at or below it
   string            blocked;              // a loss limit tripped: the reason; "" when none
   long              max_positions;        // -1: none
   double            max_lots;             // <0: none
   double            max_lots_per_symbol;  // <0: none
  };

void CbLimitsReset(CbLimits &l)
  {
   l.any=false;
   l.has_floor=false;
   l.equity_floor=0.0;
   l.blocked="";
   l.max_positions=-1;
   l.max_lots=-1.0;
   l.max_lots_per_symbol=-1.0;
  }

void CbParseLimits(const CJsonReader &in,CbLimits &l)
  {
   CbLimitsReset(l);
   if(in.Kind("limits")!=CB_JSON_OBJECT)
      return;
   l.any=true;
   l.has_floor=(in.Kind("limits.equity_floor")==CB_JSON_NUMBER);
   l.equity_floor=in.GetDouble("limits.equity_floor",0.0);
   l.blocked=in.GetString("limits.blocked","");
   l.max_positions=(in.Kind("limits.max_positions")==CB_JSON_NUMBER ? in.GetLong("limits.max_positions",0) : -1);
   l.max_lots=(in.Kind("limits.max_lots")==CB_JSON_NUMBER ? in.GetDouble("limits.max_lots",0.0) : -1.0);
   l.max_lots_per_symbol=(in.Kind("limits.max_lots_per_symbol")==CB_JSON_NUMBER ? in.GetDouble("limits.max_lots_per_symbol",0.0) : -1.0);
  }

//+------------------------------------------------------------------+
//| welcome: the hub's answer to hello                               |
//+------------------------------------------------------------------+
struct CbWelcome
  {
   ENUM_CB_ROLE      role;
   long              magic;         // 0: none
   int               heartbeat_ms;
   int               snapshot_ms;
   string            hub_version;
   long              login;             // the login of the hello it answers; 0: not said (older hub)
   long              max_message_bytes; // 0: not said (older hub: it takes no snapshot in parts)
   int               tick_max_age_ms;   // a quote older than this is not a price to check against; 0: no limit
   CbLimits          limits;            // protection: checked before every open
  };

void CbParseWelcome(const CJsonReader &in,CbWelcome &w)
  {
   w.role=CbParseRole(in.GetString("role",""));
   w.magic=in.GetLong("magic",0);
   w.heartbeat_ms=(int)in.GetLong("heartbeat_ms",2000);
   w.snapshot_ms=(int)in.GetLong("snapshot_ms",30000);
   w.hub_version=in.GetString("hub_version","");
   w.login=in.GetLong("login",0);
   w.max_message_bytes=in.GetLong("max_message_bytes",0);
   w.tick_max_age_ms=(int)in.GetLong("tick_max_age_ms",5000);
   CbParseLimits(in,w.limits);
  }

//+------------------------------------------------------------------+
//| error: the hub could not take one of our messages                |
//+------------------------------------------------------------------+
struct CbHubError
  {
   string            code;
   string            message;
   string            ref_type;      // type of our message it is about, "" when none
  };

void CbParseHubError(const CJsonReader &in,CbHubError &e)
  {
   e.code=in.GetString("code","");
   e.message=in.GetString("message","");
   e.ref_type=in.GetString("ref_type","");
  }

//+------------------------------------------------------------------+
//| notify: a text for the trader's phone (SendNotification)         |
//+------------------------------------------------------------------+
string CbParseNotify(const CJsonReader &in)
  {
   return(in.GetString("text",""));
  }

//+------------------------------------------------------------------+
//| watch: the symbols whose ticks the hub wants; returns how many   |
//+------------------------------------------------------------------+
int CbParseWatch(const CJsonReader &in,CB_ARRAY_REF(string,symbols))
  {
   int n=in.ArrayLength("symbols");
   if(n<0)
      n=0;
   ArrayResize(symbols,n);
   for(int i=0; i<n; i++)
      symbols[i]=in.GetString("symbols["+IntegerToString(i)+"]","");
   return(n);
  }

//+------------------------------------------------------------------+
//| A command (open, close, close_by, modify); absent fields take    |
//| the protocol's defaults                                          |
//+------------------------------------------------------------------+
struct CbCommand
  {
   ENUM_CB_MESSAGE   type;
   string            cmd_id;
   long              sent_ms;              // when the hub sent it (its ts)
   long              expires_ms;           // 0: never
   long              ttl_ms;               // time to live from receipt; -1: not said (older hub: expires_ms)
   ulong             received_tick;        // GetTickCount64() when the EA read it from the bridge
   string            master;
   string            master_position;
   string            master_position_by;   // close_by
   string            ticket;               // close, close_by, modify
   string            ticket_by;            // close_by
   string            symbol;               // open
   string            side;                 // open: buy or sell
   double            volume;               // open; close: only with has_volume
   bool              has_volume;           // close: false closes the whole position
   double            price;                // open: the master's price
   double            max_deviation_points; // open
   double            sl;                   // open, modify
   double            tp;
   long              magic;                // open: 0 takes the session's
   string            comment;              // open: CB:<tag>:<master position> when absent
   bool              increase;             // open: adds to an existing copy
   string            order_type;           // place: buy_limit, sell_stop_limit, ...
   double            stoplimit;            // place, modify_order: 0 when none
   string            expiration;           // place, modify_order: gtc, day, specified, specified_day
   long              expiration_ms;        // place, modify_order: UTC ms; 0 when none
  };

//--- now: the sender time assumed when the command has none; received_tick: GetTickCount64()
//--- when it was read from the bridge
void CbParseCommand(const CJsonReader &in,const ENUM_CB_MESSAGE type,const long now,const ulong received_tick,CbCommand &cmd)
  {
   cmd.type=type;
   cmd.cmd_id=in.GetString("cmd_id","");
   cmd.sent_ms=in.GetLong("ts",now);
   cmd.expires_ms=in.GetLong("expires_ms",0);
   cmd.ttl_ms=(in.Kind("ttl_ms")==CB_JSON_NUMBER ? in.GetLong("ttl_ms",0) : -1);
   cmd.received_tick=received_tick;
   cmd.master=in.GetString("master","");
   cmd.master_position=in.GetString("master_position","");
   cmd.master_position_by=in.GetString("master_position_by","");
   cmd.ticket=in.GetString("ticket","");
   cmd.ticket_by=in.GetString("ticket_by","");
   cmd.symbol=in.GetString("symbol","");
   cmd.side=in.GetString("side","");
   cmd.volume=in.GetDouble("volume",0.0);
   cmd.has_volume=(in.Kind("volume")==CB_JSON_NUMBER);
   cmd.price=in.GetDouble("price",0.0);
   cmd.max_deviation_points=in.GetDouble("max_deviation_points",0.0);
   cmd.sl=in.GetDouble("sl",0.0);
   cmd.tp=in.GetDouble("tp",0.0);
   cmd.magic=in.GetLong("magic",0);
   cmd.comment=in.GetString("comment",CbCopyComment(cmd.master,cmd.master_position));
   cmd.increase=in.GetBool("increase",false);
   cmd.order_type=in.GetString("order_type","");
   cmd.stoplimit=in.GetDouble("stoplimit",0.0);
   cmd.expiration=in.GetString("expiration","gtc");
   cmd.expiration_ms=in.GetLong("expiration_ms",0);
  }

//+------------------------------------------------------------------+
//| Why a command is too old to execute ("" when it is not): its     |
//| time to live counted from its receipt on this computer's         |
//| monotonic clock, so the hub's clock and ours are never compared. |
//| From a hub without ttl_ms: expires_ms (the hub's clock) against  |
//| now_ms (ours), as before.                                        |
//+------------------------------------------------------------------+
string CbCommandExpiry(const CbCommand &cmd,const long now_ms)
  {
   if(cmd.ttl_ms>=0)
     {
      long waited=(long)(GetTickCount64()-cmd.received_tick);
      if(waited<=cmd.ttl_ms)
         return("");
      return("command expired: received "+IntegerToString(waited)+" ms ago, time to live "+IntegerToString(cmd.ttl_ms)+" ms");
     }
   if(cmd.expires_ms<=0 || now_ms<=cmd.expires_ms)
      return("");
   return("command expired "+IntegerToString(now_ms-cmd.expires_ms)+" ms ago (sent by the hub "+IntegerToString(now_ms-cmd.sent_ms)+" ms ago)");
  }

//+------------------------------------------------------------------+
//| Outcome of one executed command: the body of its result          |
//+------------------------------------------------------------------+
struct CbOutcome
  {
   ENUM_CB_STATUS    status;
   int               retcode;
   string            message;
   ulong             ticket;      // position ticket
   ulong             position;    // position identifier
   ulong             deal;
   ulong             order;       // the order OrderSend made (result.order)
   double            price;
   double            volume;
   double            remaining;
   bool              has_remaining;
   int               digits;
  };

void CbOutcomeReset(CbOutcome &o)
  {
   o.status=CB_STATUS_NONE;
   o.retcode=0;
   o.message="";
   o.ticket=0;
   o.position=0;
   o.deal=0;
   o.order=0;
   o.price=0.0;
   o.volume=0.0;
   o.remaining=0.0;
   o.has_remaining=false;
   o.digits=8;
  }

void CbRefuse(CbOutcome &o,const string reason)
  {
   o.status=CB_STATUS_REFUSED;
   o.retcode=0;
   o.message=reason;
  }

#endif
