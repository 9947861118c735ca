//+------------------------------------------------------------------+
//| JsonReader.mqh - the JSON reader of the wire protocol            |
//|                                                                  |
//| Parses any JSON object into a flat list of paths ("type",        |
//| "symbols[0]", "positions[2].ticket") with their values; unknown  |
//| fields are kept and simply never asked for.                      |
//+------------------------------------------------------------------+
#ifndef CB_JSON_READER_MQH
#define CB_JSON_READER_MQH

#include "Compat.mqh"
#include "Json.mqh"

//--- kinds of values the reader stores
#define CB_JSON_NULL    0
#define CB_JSON_BOOL    1
#define CB_JSON_NUMBER  2
#define CB_JSON_STRING  3
#define CB_JSON_ARRAY   4
#define CB_JSON_OBJECT  5

//+------------------------------------------------------------------+
//| JSON reader: a flat list of paths and values                     |
//+------------------------------------------------------------------+
class CJsonReader
  {
private:
   CB_ARRAY(string,  m_paths);
   CB_ARRAY(string,  m_values);
   CB_ARRAY(int,     m_kinds);
   int               m_count;
   string            m_text;
   int               m_pos;
   int               m_len;
   string            m_error;

   void              Add(const string path,const int kind,const string value);
   ushort            Peek(void);
   void              SkipSpace(void);
   bool              Fail(const string what);
   bool              Literal(const string path,const string word,const int kind,const string value);
   int               HexDigit(const ushort c);
   bool              ParseEscape(string &out);
   bool              ParseString(string &out);
   bool              ParseNumber(string &out);
   bool              ParseObject(const string path,const int depth);
   bool              ParseArray(const string path,const int depth);
   bool              ParseValue(const string path,const int depth);
   int               Find(const string path) const;
   //--- index of path when it holds a value of this kind, else -1
   int               FindKind(const string path,const int kind) const;

public:
                     CJsonReader(void) : m_count(0), m_text(""), m_pos(0), m_len(0), m_error("") {}
   //--- parses text; false with Error() when it is not one JSON object
   bool              Parse(const string text);
   string            Error(void) const { return(m_error); }
   int               Kind(const string path) const;
   string            GetString(const string path,const string fallback) const;
   double            GetDouble(const string path,const double fallback) const;
   long              GetLong(const string path,const long fallback) const;
   bool              GetBool(const string path,const bool fallback) const;
   //--- number of elements of an array, -1 when path is not an array
   int               ArrayLength(const string path) const;
  };

void CJsonReader::Add(const string path,const int kind,const string value)
  {
   if(m_count>=ArraySize(m_paths))
     {
      int size=m_count*2+16;
      ArrayResize(m_paths,size);
      ArrayResize(m_values,size);
      ArrayResize(m_kinds,size);
     }
   m_paths[m_count]=path;
   m_values[m_count]=value;
   m_kinds[m_count]=kind;
   m_count++;
  }

ushort CJsonReader::Peek(void)
  {
   if(m_pos>=m_len)
      return(0);
   return(StringGetCharacter(m_text,m_pos));
  }

void CJsonReader::SkipSpace(void)
  {
   while(m_pos<m_len)
     {
      ushort c=StringGetCharacter(m_text,m_pos);
      if(c!=' ' && c!='\t' && c!='\n' && c!='\r')
         break;
      m_pos++;
     }
  }

bool CJsonReader::Fail(const string what)
  {
   if(m_error=="")
      m_error=what+" at character "+IntegerToString(m_pos);
   return(false);
  }

//--- true, false or null
bool CJsonReader::Literal(const string path,const string word,const int kind,const string value)
  {
   int n=StringLen(word);
   if(StringSubstr(m_text,m_pos,n)!=word)
      return(Fail("expected "+word));
   m_pos+=n;
   Add(path,kind,value);
   return(true);
  }

int CJsonReader::HexDigit(const ushort c)
  {
   if(c>='0' && c<='9')
      return(c-'0');
   if(c>='a' && c<='f')
      return(c-'a'+10);
   if(c>='A' && c<='F')
      return(c-'A'+10);
   return(-1);
  }

//--- the character after a backslash (m_pos is on it)
bool CJsonReader::ParseEscape(string &out)
  {
   ushort e=StringGetCharacter(m_text,m_pos);
   m_pos++;
   switch(e)
     {
      case '"':
      case '\\':
      case '/':
         out+=ShortToString(e);
         return(true);
      case 'n':
         out+="\n";
         return(true);
      case 'r':
         out+="\r";
         return(true);
      case 't':
         out+="\t";
         return(true);
      case 'b':
         out+=ShortToString(8);
         return(true);
      case 'f':
         out+=ShortToString(12);
         return(true);
      case 'u':
        {
         int code=0;
         for(int k=0; k<4; k++)
           {
            int d=HexDigit(Peek());
            if(d<0)
               return(Fail("bad \\u escape"));
            code=code*16+d;
            m_pos++;
           }
         out+=ShortToString((ushort)code);
         return(true);
        }
     }
   return(Fail("bad escape"));
  }

bool CJsonReader::ParseString(string &out)
  {
   out="";
   if(Peek()!='"')
      return(Fail("expected a string"));
   m_pos++;
   int start=m_pos;
   while(m_pos<m_len)
     {
      ushort c=StringGetCharacter(m_text,m_pos);
      if(c=='"')
        {
         out+=StringSubstr(m_text,start,m_pos-start);
         m_pos++;
         return(true);
        }
      if(c<32)
         return(Fail("control character in a string"));
      if(c!='\\')
        {
         m_pos++;
         continue;
        }
      //--- an escape: flush the plain run first
      out+=StringSubstr(m_text,start,m_pos-start);
      m_pos++;
      if(m_pos>=m_len)
         break;
      if(!ParseEscape(out))
         return(false);
      start=m_pos;
     }
   return(Fail("unterminated string"));
  }

bool CJsonReader::ParseNumber(string &out)
  {
   int start=m_pos;
   while(m_pos<m_len)
     {
      ushort c=StringGetCharacter(m_text,m_pos);
      if((c>='0' && c<='9') || c=='-' || c=='+' || c=='.' || c=='e' || c=='E')
         m_pos++;
      else
         break;
     }
   if(m_pos==start)
      return(Fail("unexpected character"));
   out=StringSubstr(m_text,start,m_pos-start);
   return(true);
  }

//--- m_pos is on the '{'
bool CJsonReader::ParseObject(const string path,const int depth)
  {
   m_pos++;
   Add(path,CB_JSON_OBJECT,"");
   SkipSpace();
   if(Peek()=='}')
     {
      m_pos++;
      return(true);
     }
   while(true)
     {
      SkipSpace();
      string key;
      if(!ParseString(key))
         return(false);
      SkipSpace();
      if(Peek()!=':')
         return(Fail("expected ':'"));
      m_pos++;
      if(!ParseValue(path=="" ? key : path+"."+key,depth+1))
         return(false);
      SkipSpace();
      ushort c=Peek();
      m_pos++;
      if(c=='}')
         return(true);
      if(c!=',')
        {
         m_pos--;
         return(Fail("expected ',' or '}'"));
        }
     }
   return(false);
  }

//--- m_pos is on the '['; the array's own entry holds its length
bool CJsonReader::ParseArray(const string path,const int depth)
  {
   m_pos++;
   int slot=m_count;
   Add(path,CB_JSON_ARRAY,"0");
   SkipSpace();
   if(Peek()==']')
     {
      m_pos++;
      return(true);
     }
   int index=0;
   while(true)
     {
      if(!ParseValue(path+"["+IntegerToString(index)+"]",depth+1))
         return(false);
      index++;
      m_values[slot]=IntegerToString(index);
      SkipSpace();
      ushort c=Peek();
      m_pos++;
      if(c==']')
         return(true);
      if(c!=',')
        {
         m_pos--;
         return(Fail("expected ',' or ']'"));
        }
     }
   return(false);
  }

bool CJsonReader::ParseValue(const string path,const int depth)
  {
   if(depth>CB_JSON_MAX_DEPTH)
      return(Fail("nested too deeply"));
   SkipSpace();
   switch(Peek())
     {
      case '{':
         return(ParseObject(path,depth));
      case '[':
         return(ParseArray(path,depth));
      case '"':
        {
         string s;
         if(!ParseString(s))
            return(false);
         Add(path,CB_JSON_STRING,s);
         return(true);
        }
      case 't':
         return(Literal(path,"true",CB_JSON_BOOL,"true"));
      case 'f':
         return(Literal(path,"false",CB_JSON_BOOL,"false"));
      case 'n':
         return(Literal(path,"null",CB_JSON_NULL,""));
     }
   string num;
   if(!ParseNumber(num))
      return(false);
   Add(path,CB_JSON_NUMBER,num);
   return(true);
  }

int CJsonReader::Find(const string path) const
  {
   for(int i=0; i<m_count; i++)
      if(m_paths[i]==path)
         return(i);
   return(-1);
  }

int CJsonReader::FindKind(const string path,const int kind) const
  {
   int i=Find(path);
   if(i<0 || m_kinds[i]!=kind)
      return(-1);
   return(i);
  }

bool CJsonReader::Parse(const string text)
  {
   m_count=0;
   m_text=text;
   m_pos=0;
   m_len=StringLen(text);
   m_error="";
   SkipSpace();
   if(Peek()!='{')
      return(Fail("expected a JSON object"));
   if(!ParseValue("",0))
      return(false);
   SkipSpace();
   if(m_pos<m_len)
      return(Fail("text after the object"));
   return(true);
  }

int CJsonReader::Kind(const string path) const
  {
   int i=Find(path);
   return(i<0 ? -1 : m_kinds[i]);
  }

string CJsonReader::GetString(const string path,const string fallback) const
  {
   int i=FindKind(path,CB_JSON_STRING);
   return(i<0 ? fallback : m_values[i]);
  }

double CJsonReader::GetDouble(const string path,const double fallback) const
  {
   int i=FindKind(path,CB_JSON_NUMBER);
   return(i<0 ? fallback : StringToDouble(m_values[i]));
  }

long CJsonReader::GetLong(const string path,const long fallback) const
  {
   int i=FindKind(path,CB_JSON_NUMBER);
   if(i<0)
      return(fallback);
   //--- integers beyond 2^53 are not expected; accept "1.7e12" too
   if(StringFind(m_values[i],".")>=0 || StringFind(m_values[i],"e")>=0 || StringFind(m_values[i],"E")>=0)
      return((long)MathRound(StringToDouble(m_values[i])));
   return(StringToInteger(m_values[i]));
  }

bool CJsonReader::GetBool(const string path,const bool fallback) const
  {
   int i=FindKind(path,CB_JSON_BOOL);
   return(i<0 ? fallback : m_values[i]=="true");
  }

int CJsonReader::ArrayLength(const string path) const
  {
   int i=FindKind(path,CB_JSON_ARRAY);
   return(i<0 ? -1 : (int)StringToInteger(m_values[i]));
  }

#endif
