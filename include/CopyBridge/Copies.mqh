//+------------------------------------------------------------------+
//| Copies.mqh - which open positions are copies, and of what        |
//|                                                                  |
//| A copy is known by the journal (master position -> position      |
//| identifier), else by the magic number and the CB:<tag>:<pos>     |
//| comment it was opened with. Positions are looked up live: a      |
//| ticket may change, an identifier never does. The journal is      |
//| passed in; CCbCopies only remembers the positions this EA closed |
//| whole, which the position list may still show for a while, and   |
//| the ones it just opened, which it may not show yet.              |
//+------------------------------------------------------------------+
#ifndef CB_COPIES_MQH
#define CB_COPIES_MQH

#include "Compat.mqh"
#include "Util.mqh"
#include "Journal.mqh"
#include "Trade.mqh"

#define CB_CLOSED_MEMORY 64
//--- a copy opened this recently is not taken for gone while the position list does not show it
#define CB_RECENT_OPEN_MS 30000

class CCbCopies
  {
private:
   CCbTrader         m_trader;
   //--- identifiers of positions this EA closed whole, newest last (a ring)
   ulong             m_closed[CB_CLOSED_MEMORY];
   int               m_closed_next;
   //--- identifiers of positions this EA opened, with the tick count then (a ring)
   ulong             m_opened[CB_CLOSED_MEMORY];
   ulong             m_opened_at[CB_CLOSED_MEMORY];
   int               m_opened_next;

public:
                     CCbCopies(void);
   //--- this EA closed the whole position (Closed), and the position list may still show it
   bool              WasClosed(const ulong identifier) const;
   //--- this EA closed the whole position: it copies nothing any more, even while the position
   //--- list (which MetaTrader may update after OrderSend returns) still shows it
   void              Closed(const ulong identifier);
   //--- this EA opened the position just now: OrderSend returned, the list may not show it yet
   void              Opened(const ulong identifier);
   //--- opened by this EA in the last CB_RECENT_OPEN_MS and not closed since
   bool              Recent(const ulong identifier) const;
   //--- ticket of the open copy of a master position: journal first, then magic + comment
   ulong             Find(CCbJournal &journal,const string master,const string master_position,const long magic,const string comment);
   //--- the position a command names: its ticket; else the position with that identifier
   //--- (tickets may change, identifiers never do); else the journal's copy of the master
   //--- position; 0 when none is open
   ulong             Named(CCbJournal &journal,const string ticket_text,const string master,const string master_position);
   //--- every copy this EA made carries the magic number (the hub's, or the input)
   bool              IsOurs(CCbJournal &journal,const long magic,const ulong ticket);
   //--- positions this EA copied that are open now
   int               OpenCount(CCbJournal &journal,const long magic);
   //--- copies closed while the EA was away are dropped from the journal
   void              ForgetClosed(CCbJournal &journal);
  };

CCbCopies::CCbCopies(void)
  {
   m_closed_next=0;
   m_opened_next=0;
   for(int i=0; i<CB_CLOSED_MEMORY; i++)
     {
      m_closed[i]=0;
      m_opened[i]=0;
      m_opened_at[i]=0;
     }
  }

void CCbCopies::Opened(const ulong identifier)
  {
   if(identifier==0)
      return;
   m_opened[m_opened_next]=identifier;
   m_opened_at[m_opened_next]=GetTickCount64();
   m_opened_next=(m_opened_next+1)%CB_CLOSED_MEMORY;
  }

bool CCbCopies::Recent(const ulong identifier) const
  {
   if(identifier==0 || WasClosed(identifier))
      return(false);
   ulong now=GetTickCount64();
   for(int i=0; i<CB_CLOSED_MEMORY; i++)
      if(m_opened[i]==identifier && now-m_opened_at[i]<CB_RECENT_OPEN_MS)
         return(true);
   return(false);
  }

void CCbCopies::Closed(const ulong identifier)
  {
   if(identifier==0 || WasClosed(identifier))
      return;
   m_closed[m_closed_next]=identifier;
   m_closed_next=(m_closed_next+1)%CB_CLOSED_MEMORY;
  }

bool CCbCopies::WasClosed(const ulong identifier) const
  {
   for(int i=0; i<CB_CLOSED_MEMORY; i++)
      if(m_closed[i]==identifier)
         return(true);
   return(false);
  }

ulong CCbCopies::Find(CCbJournal &journal,const string master,const string master_position,const long magic,const string comment)
  {
   ulong id=journal.FindCopy(master,master_position);
   while(id>0)
     {
      ulong live=m_trader.TicketOfPosition(id);
      if(live>0 && !WasClosed(id))
         return(live);
      //--- just opened: its ticket is its identifier until the server changes it
      if(Recent(id))
         return(id);
      journal.RecordGone(id);
      id=journal.FindCopy(master,master_position);
     }
   ulong t=m_trader.FindByComment(magic,comment);
   if(t==0)
      t=m_trader.FindByComment(magic,CbCopyComment(master,master_position));
   if(t>0 && WasClosed(m_trader.IdentifierOf(t)))
      t=0;
   if(t>0)
     {
      CbLogEvent("copy of "+master+"#"+master_position+" found by magic and comment: position #"+CbTicketString(t)+" (recorded in the journal)");
      journal.RecordCopy(master,master_position,m_trader.IdentifierOf(t));
     }
   return(t);
  }

ulong CCbCopies::Named(CCbJournal &journal,const string ticket_text,const string master,const string master_position)
  {
   ulong ticket=CbParseTicket(ticket_text);
   if(ticket>0 && PositionSelectByTicket(ticket))
      return(ticket);
   ulong t=m_trader.TicketOfPosition(ticket);
   ulong id=journal.FindCopy(master,master_position);
   if(t==0)
      t=m_trader.TicketOfPosition(id);
   if(t>0)
     {
      CbLogEvent("position #"+CbTicketString(ticket)+" is now ticket #"+CbTicketString(t)+" (copy of "+master+"#"+master_position+", identifier "+CbTicketString(m_trader.IdentifierOf(t))+")");
      return(t);
     }
   if(id>0 && !Recent(id))
      journal.RecordGone(id);
   return(0);
  }

bool CCbCopies::IsOurs(CCbJournal &journal,const long magic,const ulong ticket)
  {
   if(!PositionSelectByTicket(ticket))
      return(false);
   string master="";
   string position="";
   if(journal.MasterOf((ulong)PositionGetInteger(POSITION_IDENTIFIER),master,position))
      return(true);
   if(magic>0 && PositionGetInteger(POSITION_MAGIC)==magic)
      return(true);
   return(CbCommentPosition(PositionGetString(POSITION_COMMENT))!="");
  }

int CCbCopies::OpenCount(CCbJournal &journal,const long magic)
  {
   int n=0;
   int total=PositionsTotal();
   for(int i=0; i<total; i++)
     {
      ulong t=PositionGetTicket(i);
      if(t==0)
         continue;
      string master="";
      string position="";
      if(journal.MasterOf((ulong)PositionGetInteger(POSITION_IDENTIFIER),master,position) || (magic>0 && PositionGetInteger(POSITION_MAGIC)==magic))
         n++;
     }
   return(n);
  }

void CCbCopies::ForgetClosed(CCbJournal &journal)
  {
   for(int i=journal.CopyCount()-1; i>=0; i--)
     {
      //--- RecordGone drops every copy of a position (netting: several master positions share one)
      if(i>=journal.CopyCount())
         continue;
      ulong id=journal.CopyIdentifier(i);
      //--- a pending copy is recorded under its order's ticket (its position's identifier once it fills)
      if(m_trader.TicketOfPosition(id)==0 && !Recent(id) && !OrderSelect(id))
         journal.RecordGone(id);
     }
  }

#endif
