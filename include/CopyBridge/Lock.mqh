//+------------------------------------------------------------------+
//| Lock.mqh - one EA per account name in a terminal                 |
//|                                                                  |
//| Two charts running the EA for the same account name would both   |
//| execute every command of the hub (two copies of each trade) and  |
//| write the same journal. The first claims a temporary terminal    |
//| global variable named after the account; its value says which    |
//| chart holds it. GlobalVariableSetOnCondition is atomic across    |
//| the terminal's EAs (MQL5 reference), so only one claim wins. A   |
//| holder whose chart is gone (the EA stopped without OnDeinit) is  |
//| replaced; a temporary variable dies with the terminal anyway.    |
//+------------------------------------------------------------------+
#ifndef CB_LOCK_MQH
#define CB_LOCK_MQH

#include "Compat.mqh"
#include "Util.mqh"

#define CB_LOCK_PREFIX       "CopyBridge.lock."
//--- global variable names are at most 63 characters (MQL5 reference, GlobalVariableSet)
#define CB_GV_NAME_MAX       63
//--- chart IDs are 64-bit (e.g. 133246248352168440) and a global variable holds a double,
//--- exact to 53 bits: the low 52 bits of the ID, plus 1 so that no chart is 0 (0: free)
#define CB_CHART_KEY_MASK    0xFFFFFFFFFFFFF
#define CB_LOCK_ATTEMPTS     5
#define CB_MAX_CHARTS        1000

//--- the global variable of an account name
string CbLockName(const string account)
  {
   string name=CB_LOCK_PREFIX+account;
   if(StringLen(name)<=CB_GV_NAME_MAX)
      return(name);
   int keep=CB_GV_NAME_MAX-StringLen(CB_LOCK_PREFIX)-5;
   return(CB_LOCK_PREFIX+StringSubstr(account,0,keep)+"~"+CbMasterTag(account));
  }

//--- what the lock holds for a chart: exact in a double
double CbChartKey(const long chart_id)
  {
   return((double)((chart_id&CB_CHART_KEY_MASK)+1));
  }

//--- the open chart with this key, -1 when none is open
long CbChartOfKey(const double key)
  {
   long id=ChartFirst();
   for(int i=0; i<CB_MAX_CHARTS && id>=0; i++)
     {
      if(CbChartKey(id)==key)
         return(id);
      id=ChartNext(id);
     }
   return(-1);
  }

class CCbInstanceLock
  {
private:
   string            m_name;
   double            m_key;
   bool              m_held;

public:
                     CCbInstanceLock(void) : m_name(""), m_key(0.0), m_held(false) {}
   //--- true when this chart holds the account name now; else `why` says who does and what to do
   bool              Claim(const string account,string &why);
   //--- lets go (OnDeinit); never takes a lock another chart holds away from it
   void              Release(void);
  };

bool CCbInstanceLock::Claim(const string account,string &why)
  {
   m_name=CbLockName(account);
   m_key=CbChartKey(ChartID());
   m_held=false;
   why="";
   for(int attempt=0; attempt<CB_LOCK_ATTEMPTS; attempt++)
     {
      //--- a new temporary variable is 0: free. Its result is not needed: it may exist already
      if(!GlobalVariableCheck(m_name))
         GlobalVariableTemp(m_name);
      if(GlobalVariableSetOnCondition(m_name,m_key,0.0))
        {
         m_held=true;
         return(true);
        }
      double holder=0.0;
      ResetLastError();
      if(!GlobalVariableGet(m_name,holder))
         continue;   // released meanwhile: claim again
      if(holder==m_key)
        {
         //--- this chart's own claim, left by an EA that stopped without OnDeinit
         m_held=true;
         return(true);
        }
      if(holder==0.0)
         continue;
      long chart=CbChartOfKey(holder);
      if(chart>=0)
        {
         why="another chart of this terminal ("+ChartSymbol(chart)+", chart ID "+IntegerToString(chart)+") already runs CopyBridge for account \""+account+
             "\", and two would execute every command twice. Remove the EA from one of the charts, or give this one another 'Account name on the hub'. "+
             "If no CopyBridge runs there, delete the global variable "+m_name+" (Tools > Global Variables, F3)";
         return(false);
        }
      //--- the holder's chart is gone: take its place, unless another chart does so first
      if(GlobalVariableSetOnCondition(m_name,m_key,holder))
        {
         CbLogWarn("the lock on account \""+account+"\" was held by a chart that is closed now; this chart takes it over");
         m_held=true;
         return(true);
        }
     }
   why="could not claim the terminal global variable "+m_name+" ("+CbErrorText(GetLastError())+"); is another chart starting CopyBridge for \""+account+"\" at the same moment?";
   return(false);
  }

void CCbInstanceLock::Release(void)
  {
   if(!m_held)
      return;
   m_held=false;
   double holder=0.0;
   if(GlobalVariableGet(m_name,holder) && holder==m_key)
      GlobalVariableDel(m_name);
  }

#endif
