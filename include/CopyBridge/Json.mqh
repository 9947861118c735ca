//+------------------------------------------------------------------+
//| Json.mqh - a small JSON writer and reader for the wire protocol  |
//|                                                                  |
//| Writer: one object with scalar fields, arrays of strings and     |
//| arrays of flat objects, built in one pass.                       |
//| Reader: parses any JSON object into a flat list of paths         |
//| ("type", "symbols[0]", "positions[2].ticket") with their values; |
//| unknown fields are kept and simply never asked for.              |
//+------------------------------------------------------------------+
#ifndef CB_JSON_MQH
#define CB_JSON_MQH

#include "Compat.mqh"

#define CB_JSON_MAX_DEPTH  16

//--- kinds of values the reader stores
#define CB_JSON_NULL    0
#define CB_JSON_BOOL    1
#define CB_JSON_NUMBER  2
#define CB_JSON_STRING  3
#define CB_JSON_ARRAY   4
#define CB_JSON_OBJECT  5

//+------------------------------------------------------------------+
//| Escapes a string for a JSON string literal (without the quotes)  |
//+------------------------------------------------------------------+
string JsonEscape(const string text)
  {
   int len=StringLen(text);
   bool plain=true;
   for(int i=0; i<len; i++)
     {
      ushort c=StringGetCharacter(text,i);
      if(c<32 || c==34 || c==92)
        {
         plain=false;
         break;
        }
     }
   if(plain)
      return(text);
   string out="";
   for(int i=0; i<len; i++)
     {
      ushort c=StringGetCharacter(text,i);
      if(c==34)
         out+="\\\"";
      else
         if(c==92)
            out+="\\\\";
         else
            if(c==10)
               out+="\\n";
            else
               if(c==13)
                  out+="\\r";
               else
                  if(c==9)
                     out+="\\t";
                  else
                     if(c<32)
                        out+="\\u"+StringFormat("%04x",(int)c);
                     else
                        out+=ShortToString(c);
     }
   return(out);
  }

//+------------------------------------------------------------------+
//| Formats a number for JSON: fixed digits, trailing zeros dropped, |
//| never NaN or infinity                                            |
//+------------------------------------------------------------------+
string JsonNumber(const double value,const int digits)
  {
   if(!MathIsValidNumber(value))
      return("0");
   string s=DoubleToString(value,digits);
   if(StringFind(s,".")>=0)
     {
      int n=StringLen(s);
      while(n>0 && StringGetCharacter(s,n-1)=='0')
         n--;
      if(n>0 && StringGetCharacter(s,n-1)=='.')
         n--;
      s=StringSubstr(s,0,n);
     }
   if(s=="-0")
      s="0";
   return(s);
  }

//+------------------------------------------------------------------+
//| JSON writer                                                      |
//+------------------------------------------------------------------+
class CJsonWriter
  {
private:
   string            m_text;
   bool              m_first[CB_JSON_MAX_DEPTH];
   bool              m_array[CB_JSON_MAX_DEPTH];
   int               m_depth;

   void              Separator(void)
     {
      if(m_depth<=0)
         return;
      if(!m_first[m_depth-1])
         m_text+=",";
      m_first[m_depth-1]=false;
     }
   void              Key(const string key)
     {
      Separator();
      m_text+="\""+JsonEscape(key)+"\":";
     }
   void              Open(const bool is_array)
     {
      m_text+=(is_array ? "[" : "{");
      if(m_depth<CB_JSON_MAX_DEPTH)
        {
         m_first[m_depth]=true;
         m_array[m_depth]=is_array;
         m_depth++;
        }
     }
   void              Close(void)
     {
      if(m_depth<=0)
         return;
      m_depth--;
      m_text+=(m_array[m_depth] ? "]" : "}");
     }

public:
                     CJsonWriter(void) : m_text(""), m_depth(0) {}
   //--- starts a new top-level object
   void              Begin(void)
     {
      m_text="";
      m_depth=0;
      Open(false);
     }
   //--- closes every open level and returns the text
   string            Finish(void)
     {
      while(m_depth>0)
         Close();
      return(m_text);
     }
   string            Text(void) const { return(m_text); }
   int               Length(void) const { return(StringLen(m_text)); }

   void              Str(const string key,const string value)
     {
      Key(key);
      m_text+="\""+JsonEscape(value)+"\"";
     }
   void              Num(const string key,const double value,const int digits)
     {
      Key(key);
      m_text+=JsonNumber(value,digits);
     }
   void              Int(const string key,const long value)
     {
      Key(key);
      m_text+=IntegerToString(value);
     }
   void              Bool(const string key,const bool value)
     {
      Key(key);
      m_text+=(value ? "true" : "false");
     }
   //--- "key":[ ... ]
   void              BeginArray(const string key)
     {
      Key(key);
      Open(true);
     }
   void              EndArray(void) { Close(); }
   //--- { ... } as an element of the current array
   void              BeginObject(void)
     {
      Separator();
      Open(false);
     }
   void              EndObject(void) { Close(); }
   //--- a string element of the current array
   void              Element(const string value)
     {
      Separator();
      m_text+="\""+JsonEscape(value)+"\"";
     }
  };

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

   void              Add(const string path,const int kind,const string value)
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
   ushort            Peek(void)
     {
      if(m_pos>=m_len)
         return(0);
      return(StringGetCharacter(m_text,m_pos));
     }
   void              SkipSpace(void)
     {
      while(m_pos<m_len)
        {
         ushort c=StringGetCharacter(m_text,m_pos);
         if(c!=' ' && c!='\t' && c!='\n' && c!='\r')
            break;
         m_pos++;
        }
     }
   bool              Fail(const string what)
     {
      if(m_error=="")
         m_error=what+" at character "+IntegerToString(m_pos);
      return(false);
     }
   bool              Expect(const string word)
     {
      int n=StringLen(word);
      if(StringSubstr(m_text,m_pos,n)!=word)
         return(Fail("expected "+word));
      m_pos+=n;
      return(true);
     }
   int               HexDigit(const ushort c)
     {
      if(c>='0' && c<='9')
         return(c-'0');
      if(c>='a' && c<='f')
         return(c-'a'+10);
      if(c>='A' && c<='F')
         return(c-'A'+10);
      return(-1);
     }
   bool              ParseString(string &out)
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
         ushort e=StringGetCharacter(m_text,m_pos);
         m_pos++;
         if(e=='"')
            out+="\"";
         else
            if(e=='\\')
               out+="\\";
            else
               if(e=='/')
                  out+="/";
               else
                  if(e=='n')
                     out+="\n";
                  else
                     if(e=='r')
                        out+="\r";
                     else
                        if(e=='t')
                           out+="\t";
                        else
                           if(e=='b')
                              out+=ShortToString(8);
                           else
                              if(e=='f')
                                 out+=ShortToString(12);
                              else
                                 if(e=='u')
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
                                   }
                                 else
                                    return(Fail("bad escape"));
         start=m_pos;
        }
      return(Fail("unterminated string"));
     }
   bool              ParseNumber(string &out)
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
   bool              ParseValue(const string path,const int depth)
     {
      if(depth>CB_JSON_MAX_DEPTH)
         return(Fail("nested too deeply"));
      SkipSpace();
      ushort c=Peek();
      if(c=='{')
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
            string child=(path=="" ? key : path+"."+key);
            if(!ParseValue(child,depth+1))
               return(false);
            SkipSpace();
            c=Peek();
            m_pos++;
            if(c==',')
               continue;
            if(c=='}')
               return(true);
            m_pos--;
            return(Fail("expected ',' or '}'"));
           }
        }
      if(c=='[')
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
            c=Peek();
            m_pos++;
            if(c==',')
               continue;
            if(c==']')
               return(true);
            m_pos--;
            return(Fail("expected ',' or ']'"));
           }
        }
      if(c=='"')
        {
         string s;
         if(!ParseString(s))
            return(false);
         Add(path,CB_JSON_STRING,s);
         return(true);
        }
      if(c=='t')
        {
         if(!Expect("true"))
            return(false);
         Add(path,CB_JSON_BOOL,"true");
         return(true);
        }
      if(c=='f')
        {
         if(!Expect("false"))
            return(false);
         Add(path,CB_JSON_BOOL,"false");
         return(true);
        }
      if(c=='n')
        {
         if(!Expect("null"))
            return(false);
         Add(path,CB_JSON_NULL,"");
         return(true);
        }
      string num;
      if(!ParseNumber(num))
         return(false);
      Add(path,CB_JSON_NUMBER,num);
      return(true);
     }
   int               Find(const string path) const
     {
      for(int i=0; i<m_count; i++)
         if(m_paths[i]==path)
            return(i);
      return(-1);
     }

public:
                     CJsonReader(void) : m_count(0), m_text(""), m_pos(0), m_len(0), m_error("") {}
   //--- parses text; false with Error() when it is not one JSON object
   bool              Parse(const string text)
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
   string            Error(void) const { return(m_error); }
   int               Count(void) const { return(m_count); }
   bool              Has(const string path) const { return(Find(path)>=0); }
   int               Kind(const string path) const
     {
      int i=Find(path);
      return(i<0 ? -1 : m_kinds[i]);
     }
   string            GetString(const string path,const string fallback) const
     {
      int i=Find(path);
      if(i<0 || m_kinds[i]!=CB_JSON_STRING)
         return(fallback);
      return(m_values[i]);
     }
   double            GetDouble(const string path,const double fallback) const
     {
      int i=Find(path);
      if(i<0 || m_kinds[i]!=CB_JSON_NUMBER)
         return(fallback);
      return(StringToDouble(m_values[i]));
     }
   long              GetLong(const string path,const long fallback) const
     {
      int i=Find(path);
      if(i<0 || m_kinds[i]!=CB_JSON_NUMBER)
         return(fallback);
      //--- integers beyond 2^53 are not expected; accept "1.7e12" too
      if(StringFind(m_values[i],".")>=0 || StringFind(m_values[i],"e")>=0 || StringFind(m_values[i],"E")>=0)
         return((long)MathRound(StringToDouble(m_values[i])));
      return(StringToInteger(m_values[i]));
     }
   bool              GetBool(const string path,const bool fallback) const
     {
      int i=Find(path);
      if(i<0 || m_kinds[i]!=CB_JSON_BOOL)
         return(fallback);
      return(m_values[i]=="true");
     }
   //--- number of elements of an array, -1 when path is not an array
   int               ArrayLength(const string path) const
     {
      int i=Find(path);
      if(i<0 || m_kinds[i]!=CB_JSON_ARRAY)
         return(-1);
      return((int)StringToInteger(m_values[i]));
     }
  };

#endif
