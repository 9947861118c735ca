//+------------------------------------------------------------------+
//| Json.mqh - the JSON writer of the wire protocol                  |
//|                                                                  |
//| One object with scalar fields and arrays of flat objects, built  |
//| in one pass. The reader: JsonReader.mqh.                         |
//+------------------------------------------------------------------+
#ifndef CB_JSON_MQH
#define CB_JSON_MQH

#include "Compat.mqh"

#define CB_JSON_MAX_DEPTH  16

//+------------------------------------------------------------------+
//| Escapes a string for a JSON string literal (without the quotes)  |
//+------------------------------------------------------------------+
string JsonEscape(const string text)
  {
   int len=StringLen(text);
   bool plain=true;
   for(int i=0; i<len && plain; i++)
     {
      ushort c=StringGetCharacter(text,i);
      plain=(c>=32 && c!=34 && c!=92);
     }
   if(plain)
      return(text);
   string out="";
   for(int i=0; i<len; i++)
     {
      ushort c=StringGetCharacter(text,i);
      switch(c)
        {
         case 34:
            out+="\\\"";
            break;
         case 92:
            out+="\\\\";
            break;
         case 10:
            out+="\\n";
            break;
         case 13:
            out+="\\r";
            break;
         case 9:
            out+="\\t";
            break;
         default:
            out+=(c<32 ? "\\u"+StringFormat("%04x",(int)c) : ShortToString(c));
        }
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

   void              Separator(void);
   void              Key(const string key);
   void              Open(const bool is_array);
   void              Close(void);

public:
                     CJsonWriter(void) : m_text(""), m_depth(0) {}
   //--- starts a new top-level object
   void              Begin(void);
   //--- closes every open level and returns the text
   string            Finish(void);
   void              Str(const string key,const string value);
   void              Num(const string key,const double value,const int digits);
   void              Int(const string key,const long value);
   void              Bool(const string key,const bool value);
   //--- "key":[ ... ]
   void              BeginArray(const string key);
   void              EndArray(void) { Close(); }
   //--- an element of the current array written before (JSON text)
   void              Element(const string json) { Separator(); m_text+=json; }
   //--- { ... } as an element of the current array
   void              BeginObject(void);
   void              EndObject(void) { Close(); }
   //--- "key":{ ... }
   void              BeginMember(const string key);
  };

void CJsonWriter::Separator(void)
  {
   if(m_depth<=0)
      return;
   if(!m_first[m_depth-1])
      m_text+=",";
   m_first[m_depth-1]=false;
  }

void CJsonWriter::Key(const string key)
  {
   Separator();
   m_text+="\""+JsonEscape(key)+"\":";
  }

void CJsonWriter::Open(const bool is_array)
  {
   m_text+=(is_array ? "[" : "{");
   if(m_depth<CB_JSON_MAX_DEPTH)
     {
      m_first[m_depth]=true;
      m_array[m_depth]=is_array;
      m_depth++;
     }
  }

void CJsonWriter::Close(void)
  {
   if(m_depth<=0)
      return;
   m_depth--;
   m_text+=(m_array[m_depth] ? "]" : "}");
  }

void CJsonWriter::Begin(void)
  {
   m_text="";
   m_depth=0;
   Open(false);
  }

string CJsonWriter::Finish(void)
  {
   while(m_depth>0)
      Close();
   return(m_text);
  }

void CJsonWriter::Str(const string key,const string value)
  {
   Key(key);
   m_text+="\""+JsonEscape(value)+"\"";
  }

void CJsonWriter::Num(const string key,const double value,const int digits)
  {
   Key(key);
   m_text+=JsonNumber(value,digits);
  }

void CJsonWriter::Int(const string key,const long value)
  {
   Key(key);
   m_text+=IntegerToString(value);
  }

void CJsonWriter::Bool(const string key,const bool value)
  {
   Key(key);
   m_text+=(value ? "true" : "false");
  }

void CJsonWriter::BeginArray(const string key)
  {
   Key(key);
   Open(true);
  }

void CJsonWriter::BeginMember(const string key)
  {
   Key(key);
   Open(false);
  }

void CJsonWriter::BeginObject(void)
  {
   Separator();
   Open(false);
  }

#endif
