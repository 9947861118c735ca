//+------------------------------------------------------------------+
//| Journal.mqh - what this slave did, kept across restarts          |
//|                                                                  |
//| A text file in MQL5\Files (common folder off), one line a fact:  |
//|   cmd <TAB> cmd_id <TAB> status <TAB> retcode <TAB> ticket        |
//|       <TAB> position <TAB> message                               |
//|   copy <TAB> master <TAB> master position <TAB> identifier        |
//|   gone <TAB> identifier                                          |
//|   drop <TAB> master <TAB> master position <TAB> identifier        |
//|       (one copy recorded with an identifier the deal then        |
//|       contradicted)                                              |
//| Copies are kept by POSITION_IDENTIFIER: a ticket may change (a    |
//| service operation of the server), an identifier never does.      |
//| Lines are appended as things happen; the file is compacted when  |
//| loaded. Together with the magic number and the CB:<tag>:<pos>    |
//| comment of every copy it guarantees that a restarted EA never    |
//| executes a command twice or opens a second copy.                 |
//+------------------------------------------------------------------+
#ifndef CB_JOURNAL_MQH
#define CB_JOURNAL_MQH

#include "Compat.mqh"
#include "Util.mqh"

#define CB_JOURNAL_MAX_CMDS 2000

//--- file name for an account: CopyBridge-<account>.journal, unsafe characters replaced
string CbJournalFile(const string account)
  {
   string safe="";
   int n=StringLen(account);
   for(int i=0; i<n; i++)
     {
      ushort c=StringGetCharacter(account,i);
      bool ok=(c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9') || c=='-' || c=='_' || c=='.';
      safe+=(ok ? ShortToString(c) : "_");
     }
   return("CopyBridge-"+safe+".journal");
  }

class CCbJournal
  {
private:
   string            m_file;
   //--- handled commands
   CB_ARRAY(string,  m_cmd_id);
   CB_ARRAY(string,  m_cmd_status);
   CB_ARRAY(int,     m_cmd_retcode);
   CB_ARRAY(string,  m_cmd_ticket);
   CB_ARRAY(string,  m_cmd_position);
   CB_ARRAY(string,  m_cmd_message);
   int               m_cmds;
   //--- copies: master position -> slave position identifier
   CB_ARRAY(string,  m_copy_master);
   CB_ARRAY(string,  m_copy_position);
   CB_ARRAY(ulong,   m_copy_id);
   int               m_copies;

   string            Clean(const string text);
   bool              Append(const string line);
   void              AddCmd(const string cmd_id,const string status,const int retcode,const string ticket,const string position,const string message);
   //--- forgets all but the CB_JOURNAL_MAX_CMDS most recent commands
   void              KeepRecentCmds(void);
   void              AddCopy(const string master,const string position,const ulong identifier);
   void              RemoveCopyAt(const int index);
   string            CmdLine(const int i);
   string            CopyLine(const int i);
   //--- writes the compacted journal to a temporary file and moves it over the old one
   bool              Rewrite(void);

public:
                     CCbJournal(void) : m_file(""), m_cmds(0), m_copies(0) {}
   //--- loads the journal of an account (missing file: empty journal)
   bool              Load(const string account);
   //--- index of a handled command, -1 when new
   int               FindCmd(const string cmd_id) const;
   string            CmdStatus(const int i) const { return(m_cmd_status[i]); }
   int               CmdRetcode(const int i) const { return(m_cmd_retcode[i]); }
   string            CmdTicket(const int i) const { return(m_cmd_ticket[i]); }
   string            CmdPosition(const int i) const { return(m_cmd_position[i]); }
   string            CmdMessage(const int i) const { return(m_cmd_message[i]); }
   void              RecordCmd(const string cmd_id,const string status,const int retcode,const string ticket,const string position,const string message);
   void              RecordCopy(const string master,const string position,const ulong identifier);
   //--- a copy (position identifier) that no longer exists
   void              RecordGone(const ulong identifier);
   //--- one master position's copy was recorded with the wrong identifier (or never filled)
   void              RecordDrop(const string master,const string position,const ulong identifier);
   //--- identifier of the first copy recorded for a master position, 0 when none
   ulong             FindCopy(const string master,const string position) const;
   //--- master identity recorded for a slave position identifier; false when unknown
   bool              MasterOf(const ulong identifier,string &master,string &position) const;
   int               CopyCount(void) const { return(m_copies); }
   ulong             CopyIdentifier(const int i) const { return(m_copy_id[i]); }
  };

string CCbJournal::Clean(const string text)
  {
   string s=text;
   StringReplace(s,"\t"," ");
   StringReplace(s,"\r"," ");
   StringReplace(s,"\n"," ");
   return(s);
  }

bool CCbJournal::Append(const string line)
  {
   if(m_file=="")
      return(false);
   ResetLastError();
   int h=FileOpen(m_file,FILE_READ|FILE_WRITE|FILE_TXT|FILE_ANSI|FILE_SHARE_READ,0,CP_UTF8);
   if(h==INVALID_HANDLE)
     {
      int err=GetLastError();
      CbLogError("FileOpen",m_file+": "+CbErrorText(err)+" ("+IntegerToString(err)+"); the journal line is lost: "+line);
      return(false);
     }
   FileSeek(h,0,SEEK_END);
   FileWriteString(h,line+"\n");
   FileClose(h);
   return(true);
  }

void CCbJournal::AddCmd(const string cmd_id,const string status,const int retcode,const string ticket,const string position,const string message)
  {
   if(m_cmds>=ArraySize(m_cmd_id))
     {
      int size=m_cmds*2+32;
      ArrayResize(m_cmd_id,size);
      ArrayResize(m_cmd_status,size);
      ArrayResize(m_cmd_retcode,size);
      ArrayResize(m_cmd_ticket,size);
      ArrayResize(m_cmd_position,size);
      ArrayResize(m_cmd_message,size);
     }
   m_cmd_id[m_cmds]=cmd_id;
   m_cmd_status[m_cmds]=status;
   m_cmd_retcode[m_cmds]=retcode;
   m_cmd_ticket[m_cmds]=ticket;
   m_cmd_position[m_cmds]=position;
   m_cmd_message[m_cmds]=message;
   m_cmds++;
  }

void CCbJournal::KeepRecentCmds(void)
  {
   if(m_cmds<=CB_JOURNAL_MAX_CMDS)
      return;
   int drop=m_cmds-CB_JOURNAL_MAX_CMDS;
   for(int i=0; i<CB_JOURNAL_MAX_CMDS; i++)
     {
      m_cmd_id[i]=m_cmd_id[i+drop];
      m_cmd_status[i]=m_cmd_status[i+drop];
      m_cmd_retcode[i]=m_cmd_retcode[i+drop];
      m_cmd_ticket[i]=m_cmd_ticket[i+drop];
      m_cmd_position[i]=m_cmd_position[i+drop];
      m_cmd_message[i]=m_cmd_message[i+drop];
     }
   m_cmds=CB_JOURNAL_MAX_CMDS;
  }

void CCbJournal::AddCopy(const string master,const string position,const ulong identifier)
  {
   for(int i=0; i<m_copies; i++)
      if(m_copy_id[i]==identifier && m_copy_master[i]==master && m_copy_position[i]==position)
         return;
   if(m_copies>=ArraySize(m_copy_id))
     {
      int size=m_copies*2+16;
      ArrayResize(m_copy_master,size);
      ArrayResize(m_copy_position,size);
      ArrayResize(m_copy_id,size);
     }
   m_copy_master[m_copies]=master;
   m_copy_position[m_copies]=position;
   m_copy_id[m_copies]=identifier;
   m_copies++;
  }

void CCbJournal::RemoveCopyAt(const int index)
  {
   for(int i=index; i<m_copies-1; i++)
     {
      m_copy_master[i]=m_copy_master[i+1];
      m_copy_position[i]=m_copy_position[i+1];
      m_copy_id[i]=m_copy_id[i+1];
     }
   m_copies--;
  }

string CCbJournal::CmdLine(const int i)
  {
   return("cmd\t"+m_cmd_id[i]+"\t"+m_cmd_status[i]+"\t"+IntegerToString(m_cmd_retcode[i])+"\t"+m_cmd_ticket[i]+"\t"+m_cmd_position[i]+"\t"+m_cmd_message[i]);
  }

string CCbJournal::CopyLine(const int i)
  {
   return("copy\t"+m_copy_master[i]+"\t"+m_copy_position[i]+"\t"+CbTicketString(m_copy_id[i]));
  }

bool CCbJournal::Rewrite(void)
  {
   string tmp=m_file+".tmp";
   ResetLastError();
   int h=FileOpen(tmp,FILE_WRITE|FILE_TXT|FILE_ANSI,0,CP_UTF8);
   if(h==INVALID_HANDLE)
     {
      int err=GetLastError();
      CbLogError("FileOpen",tmp+": "+CbErrorText(err)+" ("+IntegerToString(err)+")");
      return(false);
     }
   FileWriteString(h,"# CopyBridge journal: commands handled and copies made by this terminal; do not edit\n");
   for(int i=0; i<m_copies; i++)
      FileWriteString(h,CopyLine(i)+"\n");
   for(int i=0; i<m_cmds; i++)
      FileWriteString(h,CmdLine(i)+"\n");
   FileClose(h);
   ResetLastError();
   if(!FileMove(tmp,0,m_file,FILE_REWRITE))
     {
      int err=GetLastError();
      CbLogError("FileMove",tmp+" -> "+m_file+": "+CbErrorText(err)+" ("+IntegerToString(err)+")");
      return(false);
     }
   return(true);
  }

bool CCbJournal::Load(const string account)
  {
   m_file=CbJournalFile(account);
   m_cmds=0;
   m_copies=0;
   if(!FileIsExist(m_file))
     {
      CbLogEvent("journal "+m_file+" does not exist yet: starting a new one");
      return(true);
     }
   ResetLastError();
   int h=FileOpen(m_file,FILE_READ|FILE_TXT|FILE_ANSI|FILE_SHARE_READ,0,CP_UTF8);
   if(h==INVALID_HANDLE)
     {
      int err=GetLastError();
      CbLogError("FileOpen",m_file+": "+CbErrorText(err)+" ("+IntegerToString(err)+"); copies are found by magic number and comment only");
      return(false);
     }
   int lines=0;
   CB_ARRAY(string,parts);
   while(!FileIsEnding(h))
     {
      string line=FileReadString(h);
      if(line=="" || StringGetCharacter(line,0)=='#')
         continue;
      lines++;
      int n=StringSplit(line,'\t',parts);
      if(n>=7 && parts[0]=="cmd")
         AddCmd(parts[1],parts[2],(int)StringToInteger(parts[3]),parts[4],parts[5],parts[6]);
      else
         if(n>=4 && parts[0]=="copy")
            AddCopy(parts[1],parts[2],CbParseTicket(parts[3]));
         else
            if(n>=4 && parts[0]=="drop")
              {
               ulong t=CbParseTicket(parts[3]);
               for(int i=m_copies-1; i>=0; i--)
                  if(m_copy_id[i]==t && m_copy_master[i]==parts[1] && m_copy_position[i]==parts[2])
                     RemoveCopyAt(i);
              }
            else
               if(n>=2 && parts[0]=="gone")
                 {
                  ulong t=CbParseTicket(parts[1]);
                  for(int i=m_copies-1; i>=0; i--)
                     if(m_copy_id[i]==t)
                        RemoveCopyAt(i);
                 }
     }
   FileClose(h);
   KeepRecentCmds();
   CbLogEvent("journal "+m_file+": "+IntegerToString(m_copies)+" copies, "+IntegerToString(m_cmds)+" commands remembered ("+IntegerToString(lines)+" lines)");
   Rewrite();
   return(true);
  }

int CCbJournal::FindCmd(const string cmd_id) const
  {
   for(int i=m_cmds-1; i>=0; i--)
      if(m_cmd_id[i]==cmd_id)
         return(i);
   return(-1);
  }

void CCbJournal::RecordCmd(const string cmd_id,const string status,const int retcode,const string ticket,const string position,const string message)
  {
   AddCmd(Clean(cmd_id),status,retcode,ticket,position,Clean(message));
   Append(CmdLine(m_cmds-1));
   //--- compact: drop the oldest half
   if(m_cmds>CB_JOURNAL_MAX_CMDS*2)
     {
      KeepRecentCmds();
      Rewrite();
     }
  }

void CCbJournal::RecordCopy(const string master,const string position,const ulong identifier)
  {
   int before=m_copies;
   AddCopy(Clean(master),Clean(position),identifier);
   if(m_copies>before)
      Append(CopyLine(m_copies-1));
  }

void CCbJournal::RecordGone(const ulong identifier)
  {
   bool found=false;
   for(int i=m_copies-1; i>=0; i--)
      if(m_copy_id[i]==identifier)
        {
         RemoveCopyAt(i);
         found=true;
        }
   if(found)
      Append("gone\t"+CbTicketString(identifier));
  }

void CCbJournal::RecordDrop(const string master,const string position,const ulong identifier)
  {
   bool found=false;
   for(int i=m_copies-1; i>=0; i--)
      if(m_copy_id[i]==identifier && m_copy_master[i]==master && m_copy_position[i]==position)
        {
         RemoveCopyAt(i);
         found=true;
        }
   if(found)
      Append("drop\t"+Clean(master)+"\t"+Clean(position)+"\t"+CbTicketString(identifier));
  }

ulong CCbJournal::FindCopy(const string master,const string position) const
  {
   for(int i=0; i<m_copies; i++)
      if(m_copy_master[i]==master && m_copy_position[i]==position)
         return(m_copy_id[i]);
   return(0);
  }

bool CCbJournal::MasterOf(const ulong identifier,string &master,string &position) const
  {
   for(int i=0; i<m_copies; i++)
      if(m_copy_id[i]==identifier)
        {
         master=m_copy_master[i];
         position=m_copy_position[i];
         return(true);
        }
   return(false);
  }

#endif
