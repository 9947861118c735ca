/*
 * cb_platform.h - the few OS services the bridge needs: mutexes, one thread per handle, a
 * monotonic clock, and keeping the library mapped for the life of the process.
 *
 * Windows uses native primitives (SRW locks, _beginthreadex) so the DLL needs neither
 * libwinpthread nor any other runtime DLL; everything else uses POSIX threads.
 */
#ifndef CB_PLATFORM_H
#define CB_PLATFORM_H

#include <stdint.h>

#ifdef _WIN32
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <windows.h>
#  include <process.h>

typedef SRWLOCK cb_mutex_t;
#  define CB_MUTEX_INITIALIZER SRWLOCK_INIT
static inline void cb_mutex_init(cb_mutex_t *m) { InitializeSRWLock(m); }
static inline void cb_mutex_destroy(cb_mutex_t *m) { (void)m; }
static inline void cb_mutex_lock(cb_mutex_t *m) { AcquireSRWLockExclusive(m); }
static inline void cb_mutex_unlock(cb_mutex_t *m) { ReleaseSRWLockExclusive(m); }

typedef HANDLE cb_thread_t;
typedef unsigned(__stdcall *cb_thread_fn_raw)(void *);
#  define CB_THREAD_FN(name, arg) static unsigned __stdcall name(void *arg)
#  define CB_THREAD_RETURN return 0
static inline int cb_thread_start(cb_thread_t *t, cb_thread_fn_raw fn, void *arg)
{
    /* A small stack: the thread only polls two sockets and copies messages. */
    uintptr_t h = _beginthreadex(NULL, 256 * 1024, fn, arg, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (h == 0)
        return -1;
    *t = (HANDLE)h;
    return 0;
}
static inline void cb_thread_join(cb_thread_t t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}

static inline void cb_sleep_ms(int ms) { Sleep((DWORD)ms); }

static inline double cb_now_ms(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart * 1000.0 / (double)freq.QuadPart;
}

/* The shared ZeroMQ context (and its I/O and reaper threads, which run code of this DLL) lives
 * until the process ends. The terminal unloads a DLL when the last EA that imports it goes away;
 * unmapping code that live threads execute would crash the terminal, and terminating the
 * context from DllMain would deadlock on the loader lock. So the first cb_open pins the DLL:
 * FreeLibrary becomes a no-op and the DLL stays until the process exits. */
static inline void cb_pin_module(void *any_function_in_module)
{
    HMODULE self = NULL;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                       (LPCWSTR)any_function_in_module, &self);
}

#else /* POSIX */
#  include <pthread.h>
#  include <time.h>

typedef pthread_mutex_t cb_mutex_t;
#  define CB_MUTEX_INITIALIZER PTHREAD_MUTEX_INITIALIZER
static inline void cb_mutex_init(cb_mutex_t *m) { pthread_mutex_init(m, NULL); }
static inline void cb_mutex_destroy(cb_mutex_t *m) { pthread_mutex_destroy(m); }
static inline void cb_mutex_lock(cb_mutex_t *m) { pthread_mutex_lock(m); }
static inline void cb_mutex_unlock(cb_mutex_t *m) { pthread_mutex_unlock(m); }

typedef pthread_t cb_thread_t;
typedef void *(*cb_thread_fn_raw)(void *);
#  define CB_THREAD_FN(name, arg) static void *name(void *arg)
#  define CB_THREAD_RETURN return NULL
static inline int cb_thread_start(cb_thread_t *t, cb_thread_fn_raw fn, void *arg)
{
    pthread_attr_t attr;
    int rc;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setstacksize(&attr, 256 * 1024);
    rc = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}
static inline void cb_thread_join(cb_thread_t t) { pthread_join(t, NULL); }

static inline void cb_sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static inline double cb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The library is linked with -z nodelete, which has the same effect as pinning on Windows. */
static inline void cb_pin_module(void *any_function_in_module) { (void)any_function_in_module; }
#endif

#endif /* CB_PLATFORM_H */
