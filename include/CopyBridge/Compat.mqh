//+------------------------------------------------------------------+
//| Compat.mqh - the few spellings MQL5 and C++ do not share          |
//|                                                                  |
//| The EA is written in the common subset of MQL5 and C++ so that   |
//| the test suite can compile it with g++ against a stand-in for    |
//| the MQL5 runtime (test/mql5/runtime). Dynamic arrays are the one |
//| construct with no common spelling ("uchar buf[];" and            |
//| "uchar &buf[]" are not C++), so they are written through the     |
//| macros below. MetaEditor defines __MQL5__; the C++ stand-in      |
//| defines the same macros with a bounds-checked array class.       |
//+------------------------------------------------------------------+
#ifndef CB_COMPAT_MQH
#define CB_COMPAT_MQH

#ifdef __MQL5__
//--- declaration of a dynamic array (member, local or global)
#define CB_ARRAY(T, N)       T N[]
//--- dynamic array parameter passed by reference
#define CB_ARRAY_REF(T, N)   T &N[]
//--- read-only dynamic array parameter
#define CB_ARRAY_CREF(T, N)  const T &N[]
#endif

#endif
