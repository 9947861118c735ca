/*
 * cb_wintest.exe - drives copybridge.dll the way a MetaTrader 5 terminal does (LoadLibrary,
 * calls from a GUI thread, a chart window for the wake-up), against an echo hub on loopback.
 * Run under wine by test/bridge-dll/wine.test.ts; usable on real Windows as well.
 *
 *   cb_wintest <push endpoint> <sub endpoint> <mode> <topic> [n]
 *
 * The echo hub (the test) answers every {"type":"echo",...} message it PULLs by publishing the
 * same bytes on the topic named in "to" (default: "account").
 *
 * Modes
 *   basic    connect, messages both ways, large message, truncation, bad arguments, topic
 *            isolation, wake-up message, FreeLibrary while a handle is open
 *   latency  2n stamped messages from the hub, picked up alternately with the DLL's wake-up on
 *            (plus the 10 ms timer, as the EA runs) and with the 10 ms window timer alone (what
 *            EventSetMillisecondTimer gives an EA)
 *   cycles   n x (open, wake-up on, send, close); every 100th cycle waits for its echo;
 *            pauses at checkpoints so the test can read the process's fds/threads/memory
 *   many     n handles open at once (n > 64 checks the select() limit), each gets its echo,
 *            then the handle limit
 *   exit     leaves handles open and returns from main: the process must end at once
 *   curve    cb_open_curve (keys in CB_CURVE_* environment variables) against the hub with CURVE:
 *            hello -> welcome; a hello in another account's name is refused
 *
 * The window stands in for a MetaTrader chart: its message loop dispatches, and its window
 * procedure turns every WM_TIMER into the "OnTimer" handler of the mode, whatever its wParam (the
 * terminal's own timer here has id TIMER_ID; the DLL's wake-up posts wParam 0).
 *
 * Output: "RESULT <json>" lines, "CHECKPOINT <k> <json>" lines (then it waits for a line on
 * stdin), "FAIL <text>" lines; exit code 0 when every check passed.
 */
#define __USE_MINGW_ANSI_STDIO 1
#include <windows.h>
#include <psapi.h>
#include <tlhelp32.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copybridge.h"

#define TIMER_ID 1                /* the stand-in for the terminal's own timer */
#define OTHER_MSG (WM_USER + 4096) /* an explicit message for cb_set_wakeup */
#define MAX_READS 256              /* messages one OnTimer reads at most, as the EA */

typedef int (*fn_version)(void);
typedef long long (*fn_open)(const unsigned char *, int, const unsigned char *, int, const unsigned char *, int);
typedef long long (*fn_open_curve)(const unsigned char *, int, const unsigned char *, int, const unsigned char *, int,
                                   const unsigned char *, int, const unsigned char *, int, const unsigned char *, int);
typedef int (*fn_send)(long long, const unsigned char *, int);
typedef int (*fn_recv)(long long, unsigned char *, int, int *);
typedef int (*fn_pending)(long long);
typedef int (*fn_set_wakeup)(long long, long long, int);
typedef int (*fn_last_error)(long long, unsigned char *, int);
typedef int (*fn_strerror_r)(int, unsigned char *, int);
typedef int (*fn_close)(long long);
typedef int (*fn_handle_count)(void);
typedef long long (*fn_dropped)(long long);

static struct {
    HMODULE dll;
    fn_version version, zmq_version;
    fn_open open;
    fn_open_curve open_curve;
    fn_send send;
    fn_recv recv;
    fn_pending pending;
    fn_set_wakeup set_wakeup;
    fn_last_error last_error;
    fn_strerror_r strerror_r;
    fn_close close;
    fn_handle_count handle_count;
    fn_dropped dropped;
} cb;

static const char *g_push, *g_sub;
static HWND g_hwnd;
static int g_failures;
static LARGE_INTEGER g_freq;

static double now_ms(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart * 1000.0 / (double)g_freq.QuadPart;
}

#define CHECK(cond, ...)                                                                            \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            printf("FAIL line %d: %s: ", __LINE__, #cond);                                          \
            printf(__VA_ARGS__);                                                                    \
            printf("\n");                                                                           \
            fflush(stdout);                                                                         \
            g_failures++;                                                                           \
        }                                                                                           \
    } while (0)

static const char *err_text(long long h)
{
    static unsigned char buf[600];
    cb.last_error(h, buf, sizeof buf);
    return (const char *)buf;
}

static int load_dll(void)
{
    cb.dll = LoadLibraryW(L"copybridge.dll");
    if (cb.dll == NULL) {
        printf("FAIL LoadLibrary(copybridge.dll): Windows error %lu\n", (unsigned long)GetLastError());
        return -1;
    }
#define RESOLVE(field, name)                                                                        \
    if ((*(FARPROC *)&cb.field = GetProcAddress(cb.dll, name)) == NULL) {                           \
        printf("FAIL GetProcAddress(%s)\n", name);                                                 \
        return -1;                                                                                  \
    }
    RESOLVE(version, "cb_version");
    RESOLVE(zmq_version, "cb_zmq_version");
    RESOLVE(open, "cb_open");
    RESOLVE(open_curve, "cb_open_curve");
    RESOLVE(send, "cb_send");
    RESOLVE(recv, "cb_recv");
    RESOLVE(pending, "cb_pending");
    RESOLVE(set_wakeup, "cb_set_wakeup");
    RESOLVE(last_error, "cb_last_error");
    RESOLVE(strerror_r, "cb_strerror_r");
    RESOLVE(close, "cb_close");
    RESOLVE(handle_count, "cb_handle_count");
    RESOLVE(dropped, "cb_dropped");
#undef RESOLVE
    return 0;
}

/* The "OnTimer" of the running mode: called for every WM_TIMER the window gets. */
static void (*g_on_timer)(WPARAM id);

static LRESULT CALLBACK wndproc(HWND h, UINT m, WPARAM w, LPARAM l)
{
    if (m == WM_TIMER) {
        if (g_on_timer != NULL)
            g_on_timer(w);
        return 0;
    }
    return DefWindowProcW(h, m, w, l);
}

static HWND make_window(void)
{
    WNDCLASSW wc;
    memset(&wc, 0, sizeof wc);
    wc.lpfnWndProc = wndproc;
    wc.hInstance = GetModuleHandleW(NULL);
    wc.lpszClassName = L"CopyBridgeTestChart";
    RegisterClassW(&wc);
    /* A message-only window stands in for the chart: it has a handle and a message queue. */
    return CreateWindowExW(0, wc.lpszClassName, L"chart", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, wc.hInstance, NULL);
}

static long long open_topic(const char *topic)
{
    return cb.open((const unsigned char *)g_push, (int)strlen(g_push), (const unsigned char *)g_sub,
                   (int)strlen(g_sub), (const unsigned char *)topic, (int)strlen(topic));
}

static int send_str(long long h, const char *s) { return cb.send(h, (const unsigned char *)s, (int)strlen(s)); }

static MSG g_last; /* the last message pump() returned */

/* Runs the window's message loop (every message is dispatched, as the terminal does) for up to
 * timeout_ms; returns after a WM_TIMER or OTHER_MSG (copied to g_last) or with 0 on timeout. */
static UINT pump(DWORD timeout_ms)
{
    MSG msg;
    double end = now_ms() + timeout_ms;
    for (;;) {
        double left = end - now_ms();
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
            DispatchMessageW(&msg);
            if (msg.message == OTHER_MSG || msg.message == WM_TIMER) {
                g_last = msg;
                return msg.message;
            }
        }
        if (left <= 0)
            return 0;
        MsgWaitForMultipleObjects(0, NULL, FALSE, (DWORD)left + 1, QS_ALLINPUT);
    }
}

static unsigned char g_buf[CB_MAX_MESSAGE];

/* Sends an echo request with seq, retrying every 100 ms (PUB/SUB joins late), until the echo
 * comes back (via cb_recv polling) or timeout. Returns 1 when it came back. */
static int echo_until(long long h, const char *topic, int seq, DWORD timeout_ms)
{
    char msg[256];
    double end = now_ms() + timeout_ms, next = 0;
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, seq);
    while (now_ms() < end) {
        int n;
        if (now_ms() >= next) {
            send_str(h, msg);
            next = now_ms() + 100;
        }
        while ((n = cb.recv(h, g_buf, sizeof g_buf, NULL)) > 0) {
            if (n == (int)strlen(msg) && memcmp(g_buf, msg, (size_t)n) == 0)
                return 1;
        }
        Sleep(2);
    }
    return 0;
}

static void drain(long long h)
{
    while (cb.recv(h, g_buf, sizeof g_buf, NULL) > 0) {
    }
}

/* Takes the WM_TIMER messages waiting for the window out of its queue; returns how many. */
static int queued_timers(void)
{
    MSG msg;
    int n = 0;
    while (PeekMessageW(&msg, g_hwnd, WM_TIMER, WM_TIMER, PM_REMOVE))
        n++;
    return n;
}

static const char *echo_text(char *out, size_t cap, const char *topic, int seq)
{
    snprintf(out, cap, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, seq);
    return out;
}

/* n echoes queued while the EA does not read: one wake-up for all of them (collapse); a bounded
 * read of MAX_READS, then cb_set_wakeup again posts one more for the rest (re-arm), and calling
 * it again without reading posts none; everything arrives once and in order. */
static void check_collapse(long long h, const char *topic, int n)
{
    char want[256];
    int i, got = 0, r, posted;
    for (i = 0; i < n; i++)
        CHECK(send_str(h, echo_text(want, sizeof want, topic, 1000 + i)) == CB_OK, "send %d", i);
    for (i = 0; i < 1000 && cb.pending(h) < n; i++)
        Sleep(10);
    CHECK(cb.pending(h) == n, "pending %d of %d", cb.pending(h), n);
    posted = queued_timers();
    CHECK(posted == 1, "%d arrivals posted %d wake-ups, want 1", n, posted);
    for (i = 0; i < MAX_READS && (r = cb.recv(h, g_buf, sizeof g_buf, NULL)) > 0; i++, got++)
        CHECK(r == (int)strlen(echo_text(want, sizeof want, topic, 1000 + got)) && memcmp(g_buf, want, (size_t)r) == 0,
              "message %d out of order", got);
    CHECK(queued_timers() == 0, "a read posted a wake-up");
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "re-arm: %s", err_text(h));
    CHECK(queued_timers() == 1, "re-arm with %d waiting posted no wake-up", cb.pending(h));
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "re-arm 2");
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "re-arm 3");
    /* the first re-arm's wake-up was taken out of the queue above but the EA has not read since:
     * it counts as outstanding */
    CHECK(queued_timers() == 0, "re-arm without a read posted a second wake-up");
    while ((r = cb.recv(h, g_buf, sizeof g_buf, NULL)) > 0) {
        CHECK(r == (int)strlen(echo_text(want, sizeof want, topic, 1000 + got)) && memcmp(g_buf, want, (size_t)r) == 0,
              "message %d out of order", got);
        got++;
    }
    CHECK(got == n, "read %d of %d", got, n);
    Sleep(50);
    CHECK(queued_timers() == 0, "a wake-up with nothing waiting");
}

/* ---------------------------------------------------------------------------------------- */

static int mode_basic(const char *topic)
{
    long long h, h2;
    int n, needed = -1, i;
    char msg[512], other[64];
    unsigned char small[8];

    CHECK(cb.version() == CB_VERSION_MAJOR * 10000 + CB_VERSION_MINOR * 100 + CB_VERSION_PATCH, "version %d", cb.version());
    CHECK(cb.zmq_version() >= 40300 && cb.zmq_version() < 40400, "zmq version %d", cb.zmq_version());

    /* bad arguments: statuses, never crashes */
    CHECK(cb.open(NULL, 5, (const unsigned char *)g_sub, (int)strlen(g_sub), (const unsigned char *)"X", 1) == CB_EARG, "open null");
    CHECK(cb.open((const unsigned char *)g_push, -1, (const unsigned char *)g_sub, (int)strlen(g_sub), (const unsigned char *)"X", 1) == CB_EARG, "open negative");
    CHECK(cb.open((const unsigned char *)"nonsense", 8, (const unsigned char *)g_sub, (int)strlen(g_sub), (const unsigned char *)"X", 1) == CB_EARG, "open bad endpoint");
    CHECK(strstr(err_text(0), "nonsense") != NULL, "error text '%s'", err_text(0));
    CHECK(cb.open((const unsigned char *)"ipc://x", 7, (const unsigned char *)g_sub, (int)strlen(g_sub), (const unsigned char *)"X", 1) < 0, "ipc is off");
    CHECK(cb.send(0, (const unsigned char *)"x", 1) == CB_EHANDLE, "send handle 0");
    CHECK(cb.send(987654321, (const unsigned char *)"x", 1) == CB_EHANDLE, "send unknown");
    CHECK(cb.recv(-3, g_buf, 10, NULL) == CB_EHANDLE, "recv negative handle");
    CHECK(cb.pending(42424242) == CB_EHANDLE, "pending unknown");
    CHECK(cb.close(42424242) == CB_EHANDLE, "close unknown");
    CHECK(cb.last_error(0, NULL, -1) == CB_EARG, "last_error negative cap");
    n = cb.strerror_r(CB_ETRUNC, small, sizeof small);
    CHECK(n == 16 && strcmp((const char *)small, "buffer ") == 0, "strerror_r CB_ETRUNC: %d '%s'", n, small);

    h = open_topic(topic);
    CHECK(h > 0, "open: %lld %s", h, err_text(0));
    if (h <= 0)
        return 1;
    CHECK(cb.handle_count() == 1, "handle count %d", cb.handle_count());
    CHECK(cb.send(h, NULL, 3) == CB_EARG, "send null");
    CHECK(cb.send(h, (const unsigned char *)"x", -1) == CB_EARG, "send negative");
    {
        unsigned char *huge = (unsigned char *)malloc(CB_MAX_MESSAGE + 1);
        memset(huge, 'x', CB_MAX_MESSAGE + 1);
        CHECK(cb.send(h, huge, CB_MAX_MESSAGE + 1) == CB_ETOOBIG, "send too big");
        free(huge);
    }
    CHECK(cb.recv(h, NULL, 10, NULL) == CB_EARG, "recv null");
    CHECK(cb.recv(h, g_buf, -1, NULL) == CB_EARG, "recv negative cap");
    CHECK(cb.recv(h, g_buf, sizeof g_buf, NULL) == 0, "recv empty");
    CHECK(cb.set_wakeup(h, 0x7fff1234, 0) == CB_EARG, "wakeup bad hwnd");

    /* hello: PUB/SUB joins late, so retry like the EA does */
    CHECK(echo_until(h, topic, 0, 10000), "first echo did not come back: %s", err_text(h));

    /* wake-up: one message arrives -> the window gets the default message, WM_TIMER with
     * wParam 0 and lParam 0 (a non-zero lParam would be called as a TIMERPROC by DispatchMessage) */
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "set wakeup: %s", err_text(h));
    CHECK(send_str(h, echo_text(msg, sizeof msg, topic, 1)) == CB_OK, "send");
    CHECK(pump(5000) == WM_TIMER, "no wake-up message");
    CHECK(g_last.hwnd == g_hwnd && g_last.wParam == 0 && g_last.lParam == 0, "wake-up wParam %llu lParam %lld",
          (unsigned long long)g_last.wParam, (long long)g_last.lParam);
    n = cb.recv(h, g_buf, sizeof g_buf, NULL);
    CHECK(n == (int)strlen(msg) && memcmp(g_buf, msg, (size_t)n) == 0, "echo 1 (%d)", n);

    /* an explicit message is posted as is, with wParam 0 and lParam 0 */
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, OTHER_MSG) == CB_OK, "set wakeup msg: %s", err_text(h));
    CHECK(send_str(h, echo_text(msg, sizeof msg, topic, 5)) == CB_OK, "send");
    CHECK(pump(5000) == OTHER_MSG, "no explicit wake-up message");
    CHECK(g_last.wParam == 0 && g_last.lParam == 0, "explicit message wParam %llu", (unsigned long long)g_last.wParam);
    n = cb.recv(h, g_buf, sizeof g_buf, NULL);
    CHECK(n == (int)strlen(msg) && memcmp(g_buf, msg, (size_t)n) == 0, "echo 5 (%d)", n);
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0x10000) == CB_EARG, "message out of range");
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "back to the default");

    check_collapse(h, topic, MAX_READS + 44);

    /* 200 messages each way, in order */
    for (i = 0; i < 200; i++) {
        snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, 100 + i);
        CHECK(send_str(h, msg) == CB_OK, "send %d", i);
    }
    for (i = 0; i < 200;) {
        char want[256];
        if (pump(5000) == 0)
            break;
        while ((n = cb.recv(h, g_buf, sizeof g_buf, NULL)) > 0) {
            snprintf(want, sizeof want, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, 100 + i);
            CHECK(n == (int)strlen(want) && memcmp(g_buf, want, (size_t)n) == 0, "message %d out of order", i);
            i++;
        }
    }
    CHECK(i == 200, "received %d of 200", i);

    /* a large message (900 KB) both ways, then truncation */
    {
        int big = 900 * 1000, len, off;
        char *p = (char *)malloc((size_t)big + 1);
        off = snprintf(p, (size_t)big, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":9,\"pad\":\"", topic);
        for (len = off; len < big - 2; len++)
            p[len] = (char)('a' + len % 26);
        p[len++] = '"';
        p[len++] = '}';
        CHECK(cb.send(h, (const unsigned char *)p, len) == CB_OK, "send large: %s", err_text(h));
        for (i = 0; i < 500 && cb.pending(h) == 0; i++)
            pump(10);
        CHECK(cb.pending(h) == 1, "pending %d", cb.pending(h));
        needed = -1;
        CHECK(cb.recv(h, small, sizeof small, &needed) == CB_ETRUNC, "truncation");
        CHECK(needed == len, "needed %d, want %d", needed, len);
        CHECK(strstr(err_text(h), "stays queued") != NULL, "trunc text %s", err_text(h));
        CHECK(cb.pending(h) == 1, "still pending");
        n = cb.recv(h, g_buf, sizeof g_buf, &needed);
        CHECK(n == len && memcmp(g_buf, p, (size_t)len) == 0, "large echo %d", n);
        free(p);
    }

    /* topic isolation: a longer topic with ours as prefix, another account, then a marker */
    snprintf(other, sizeof other, "%s0", topic);
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"to\":\"%s\",\"seq\":2}", topic, other);
    send_str(h, msg);
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"to\":\"OTHER\",\"seq\":3}", topic);
    send_str(h, msg);
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":4}", topic);
    send_str(h, msg);
    for (i = 0; i < 500 && cb.pending(h) == 0; i++)
        pump(10);
    n = cb.recv(h, g_buf, sizeof g_buf, NULL);
    CHECK(n == (int)strlen(msg) && memcmp(g_buf, msg, (size_t)n) == 0, "only the marker arrives");
    CHECK(cb.pending(h) == 0, "nothing else pending");

    /* the terminal unloads the DLL while a handle is open (EA removed without closing):
     * the DLL is pinned, so nothing is unmapped under the running threads */
    h2 = open_topic(topic);
    CHECK(h2 > 0, "open 2");
    CHECK(FreeLibrary(cb.dll), "FreeLibrary");
    Sleep(50);
    CHECK(cb.handle_count() == 2, "after FreeLibrary: %d", cb.handle_count());
    CHECK(load_dll() == 0, "reload");
    CHECK(cb.handle_count() == 2, "after reload: %d", cb.handle_count());
    CHECK(cb.close(h2) == CB_OK, "close 2");

    CHECK(cb.close(h) == CB_OK, "close");
    CHECK(cb.close(h) == CB_EHANDLE, "close twice");
    CHECK(cb.send(h, (const unsigned char *)"x", 1) == CB_EHANDLE, "send closed");
    CHECK(cb.recv(h, g_buf, 10, NULL) == CB_EHANDLE, "recv closed");
    CHECK(strstr(err_text(h), "closed") != NULL, "closed text");
    CHECK(cb.handle_count() == 0, "count %d", cb.handle_count());
    printf("RESULT {\"mode\":\"basic\",\"failures\":%d}\n", g_failures);
    return g_failures ? 1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One RESULT line of latencies; extra: more JSON members (a format and its arguments). */
static void stats(const char *name, double *v, int n, const char *extra, ...)
{
    double sum = 0;
    int i;
    va_list ap;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    for (i = 0; i < n; i++)
        sum += v[i];
    printf("RESULT {\"mode\":\"latency\",\"kind\":\"%s\",\"n\":%d,\"mean_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,",
           name, n, n ? sum / n : 0, n ? v[n / 2] : 0, n ? v[n * 9 / 10] : 0, n ? v[n * 99 / 100] : 0,
           n ? v[n - 1] : 0);
    va_start(ap, extra);
    vprintf(extra, ap);
    va_end(ap);
    printf("}\n");
}

/* Wall clock in microseconds since 1970, the clock the hub stamps its messages with. */
static double realtime_us(void)
{
    FILETIME ft;
    ULARGE_INTEGER u;
    GetSystemTimePreciseAsFileTime(&ft);
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    return (double)(u.QuadPart - 116444736000000000ULL) / 10.0;
}

/* The hub streams 2n stamped messages at random moments ({"type":"stream"} asks for them), 15-35
 * ms apart. The window's 10 ms timer runs throughout (what EventSetMillisecondTimer(10) gives an
 * EA); the DLL's wake-up is on for every other message and off for the rest, so both ways run
 * under the same machine load. Each WM_TIMER, the terminal's timer (wParam TIMER_ID) or the DLL's
 * wake-up (wParam 0), runs on_latency_timer, which reads like the EA's OnTimer: everything
 * waiting, at most MAX_READS, re-arming the wake-up when more remain. Measured: hub send -> the
 * handler holds the message (wall clock), and which kind of WM_TIMER delivered it. */
static struct {
    long long h;
    int n, wake, total, got[2], via_wakeup, events[2], stale;
    double *lat[2], tick_prev, tick_sum;
    int intervals;
} g_lat;

static void set_mode(int wake)
{
    g_lat.wake = wake;
    cb.set_wakeup(g_lat.h, wake ? (long long)(INT_PTR)g_hwnd : 0, 0);
}

static void on_latency_timer(WPARAM id)
{
    int r, reads = 0, k;
    if (id == TIMER_ID) {
        double t = now_ms();
        if (g_lat.tick_prev != 0) {
            g_lat.tick_sum += t - g_lat.tick_prev;
            g_lat.intervals++;
        }
        g_lat.tick_prev = t;
    } else if (!g_lat.wake) {
        g_lat.stale++; /* the wake-up of a message the timer-only mode already took: not this mode's */
        return;
    }
    g_lat.events[id == TIMER_ID]++;
    while (reads < MAX_READS && (r = cb.recv(g_lat.h, g_buf, sizeof g_buf - 1, NULL)) > 0) {
        double t = realtime_us();
        const char *p;
        reads++;
        g_buf[r] = 0;
        p = strstr((const char *)g_buf, "\"t_us\":");
        if (p == NULL)
            continue;
        g_lat.total++;
        k = g_lat.wake ? 0 : 1;
        if (g_lat.got[k] < g_lat.n) {
            g_lat.lat[k][g_lat.got[k]++] = (t - atof(p + 7)) / 1000.0;
            if (k == 0 && id != TIMER_ID)
                g_lat.via_wakeup++;
        }
        set_mode(!g_lat.wake);
    }
    if (reads == MAX_READS && g_lat.wake)
        cb.set_wakeup(g_lat.h, (long long)(INT_PTR)g_hwnd, 0);
}

static int mode_latency(const char *topic, int n)
{
    long long h = open_topic(topic);
    double end;
    char msg[256];

    memset(&g_lat, 0, sizeof g_lat);
    g_lat.h = h;
    g_lat.n = n;
    g_lat.lat[0] = (double *)calloc((size_t)n, sizeof(double));
    g_lat.lat[1] = (double *)calloc((size_t)n, sizeof(double));
    CHECK(h > 0, "open");
    if (h <= 0)
        return 1;
    CHECK(echo_until(h, topic, 0, 10000), "first echo");
    CHECK(cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) == CB_OK, "wakeup");
    drain(h);
    queued_timers();
    set_mode(1);
    g_on_timer = on_latency_timer;
    SetTimer(g_hwnd, TIMER_ID, 10, NULL);
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"stream\",\"account\":\"%s\",\"count\":%d}", topic, 2 * n);
    CHECK(send_str(h, msg) == CB_OK, "stream request");
    end = now_ms() + 2 * n * 60.0 + 5000;
    while (g_lat.total < 2 * n && now_ms() < end)
        pump(1000);
    KillTimer(g_hwnd, TIMER_ID);
    g_on_timer = NULL;
    CHECK(g_lat.got[0] == n && g_lat.got[1] == n, "messages: wake-up %d, timer %d of %d", g_lat.got[0], g_lat.got[1], n);
    stats("wakeup", g_lat.lat[0], g_lat.got[0], "\"via_wakeup\":%d,\"wakeup_events\":%d,\"stale_wakeups\":%d",
          g_lat.via_wakeup, g_lat.events[0], g_lat.stale);
    stats("timer10ms", g_lat.lat[1], g_lat.got[1], "\"timer_interval_ms\":%.3f,\"timer_events\":%d",
          g_lat.intervals ? g_lat.tick_sum / g_lat.intervals : 0.0, g_lat.events[1]);
    cb.close(h);
    free(g_lat.lat[0]);
    free(g_lat.lat[1]);
    return g_failures ? 1 : 0;
}

static void process_stats(char *out, size_t cap)
{
    PROCESS_MEMORY_COUNTERS_EX pmc;
    DWORD handles = 0, threads = 0, pid = GetCurrentProcessId();
    HANDLE snap;
    THREADENTRY32 te;
    memset(&pmc, 0, sizeof pmc);
    pmc.cb = sizeof pmc;
    GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc);
    GetProcessHandleCount(GetCurrentProcess(), &handles);
    snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap != INVALID_HANDLE_VALUE) {
        te.dwSize = sizeof te;
        if (Thread32First(snap, &te)) {
            do {
                if (te.th32OwnerProcessID == pid)
                    threads++;
            } while (Thread32Next(snap, &te));
        }
        CloseHandle(snap);
    }
    snprintf(out, cap, "{\"handles\":%lu,\"threads\":%lu,\"private_bytes\":%llu,\"working_set\":%llu,\"cb_handles\":%d}",
             (unsigned long)handles, (unsigned long)threads, (unsigned long long)pmc.PrivateUsage,
             (unsigned long long)pmc.WorkingSetSize, cb.handle_count());
}

static void checkpoint(int k)
{
    char s[256], line[64];
    process_stats(s, sizeof s);
    printf("CHECKPOINT %d %s\n", k, s);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) {
        /* no controller on stdin: go on */
    }
}

static int one_cycle(const char *topic, int i, int wait_echo)
{
    long long h = open_topic(topic);
    char msg[160];
    int ok = 1;
    if (h <= 0) {
        printf("FAIL cycle %d: open: %s\n", i, err_text(0));
        return 0;
    }
    if (cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0) != CB_OK)
        ok = 0;
    snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"hello\",\"account\":\"%s\",\"seq\":%d}", topic, i);
    if (send_str(h, msg) != CB_OK)
        ok = 0;
    if (wait_echo && !echo_until(h, topic, i, 5000)) {
        printf("FAIL cycle %d: no echo\n", i);
        ok = 0;
    }
    if (cb.close(h) != CB_OK)
        ok = 0;
    return ok;
}

static int mode_cycles(const char *topic, int n)
{
    int i, bad = 0;
    double t0;
    MSG msg;
    for (i = 0; i < 50; i++) /* warm-up: the context, wine's socket tables, heap */
        bad += !one_cycle(topic, i, i == 0);
    checkpoint(0);
    t0 = now_ms();
    for (i = 0; i < n; i++) {
        bad += !one_cycle(topic, i, i % 100 == 99);
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) /* stale wake-ups */
        {
        }
        if (i == n / 2 - 1)
            checkpoint(1);
    }
    checkpoint(2);
    CHECK(bad == 0, "%d cycles failed", bad);
    CHECK(cb.handle_count() == 0, "handles left %d", cb.handle_count());
    printf("RESULT {\"mode\":\"cycles\",\"n\":%d,\"failed\":%d,\"ms_per_cycle\":%.3f}\n", n, bad, (now_ms() - t0) / n);
    return g_failures ? 1 : 0;
}

static int mode_many(const char *prefix, int n)
{
    long long *h = (long long *)calloc(CB_MAX_HANDLES + 1, sizeof(long long));
    char *done = (char *)calloc(CB_MAX_HANDLES + 1, 1);
    char topic[64], msg[160];
    int i, opened = 0, answered = 0, k;
    double t0 = now_ms();
    if (n > CB_MAX_HANDLES)
        n = CB_MAX_HANDLES;
    for (i = 0; i < n; i++) {
        snprintf(topic, sizeof topic, "%s%d", prefix, i);
        h[i] = open_topic(topic);
        if (h[i] > 0)
            opened++;
        else
            printf("FAIL open %d: %s\n", i, err_text(0));
    }
    CHECK(opened == n, "opened %d of %d", opened, n);
    CHECK(cb.handle_count() == n, "count %d", cb.handle_count());
    /* every handle asks for an echo until it gets one (late joiners retry) */
    for (k = 0; k < 150 && answered < n; k++) {
        for (i = 0; i < n; i++) {
            if (h[i] <= 0 || done[i])
                continue;
            if (cb.pending(h[i]) > 0) {
                done[i] = 1;
                answered++;
                continue;
            }
            snprintf(topic, sizeof topic, "%s%d", prefix, i);
            snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, i);
            send_str(h[i], msg);
        }
        if (answered < n)
            Sleep(100);
    }
    CHECK(answered == n, "%d of %d handles got their echo", answered, n);
    if (n == CB_MAX_HANDLES) {
        long long extra = open_topic("EXTRA");
        CHECK(extra == CB_ELIMIT, "open beyond the limit: %lld", extra);
        CHECK(strstr(err_text(0), "limit") != NULL, "limit text");
    }
    for (i = 0; i < n; i++)
        if (h[i] > 0)
            CHECK(cb.close(h[i]) == CB_OK, "close %d", i);
    CHECK(cb.handle_count() == 0, "count after close %d", cb.handle_count());
    printf("RESULT {\"mode\":\"many\",\"n\":%d,\"answered\":%d,\"ms\":%.1f}\n", n, answered, now_ms() - t0);
    free(h);
    free(done);
    return g_failures ? 1 : 0;
}

/* Sends a hello in the name of `account` every 200 ms until a message containing `want` comes
 * back on the handle's topic (a hub answers hello with welcome, or with an error). */
static int hello_until(long long h, const char *account, const char *want, DWORD timeout_ms)
{
    char msg[256];
    double end = now_ms() + timeout_ms, next = 0;
    int seq = 0;
    while (now_ms() < end) {
        int n;
        if (now_ms() >= next) {
            snprintf(msg, sizeof msg,
                     "{\"v\":1,\"type\":\"hello\",\"account\":\"%s\",\"seq\":%d,\"ts\":1,\"login\":7,\"server\":\"Demo\","
                     "\"broker\":\"X\",\"currency\":\"USD\",\"margin_mode\":\"hedging\",\"ea_version\":\"0\"}",
                     account, ++seq);
            send_str(h, msg);
            next = now_ms() + 200;
        }
        while ((n = cb.recv(h, g_buf, sizeof g_buf - 1, NULL)) > 0) {
            g_buf[n] = 0;
            if (strstr((const char *)g_buf, want) != NULL)
                return 1;
        }
        Sleep(2);
    }
    return 0;
}

/* CURVE with the DLL's built-in tweetnacl, against the real hub with CURVE on (its ZAP handler and
 * the account proof of every message): keys come in the environment (CB_CURVE_SERVER_PUBLIC,
 * CB_CURVE_CLIENT_PUBLIC, CB_CURVE_CLIENT_SECRET: Z85 has characters a command line may glob);
 * topic is the account the client key was issued for. */
static int mode_curve(const char *topic, const char *sp, const char *cp, const char *cs)
{
#define S(x) (const unsigned char *)(x), (int)strlen(x)
    long long h;
    char other[300];
    CHECK(cb.open_curve(S(g_push), S(g_sub), S(topic), S(sp), S(cp), S(sp)) == CB_EARG, "mismatched key pair");
    CHECK(cb.open_curve(S(g_push), S(g_sub), S(topic), S("short"), S(cp), S(cs)) == CB_EARG, "short key");
    h = cb.open_curve(S(g_push), S(g_sub), S(topic), S(sp), S(cp), S(cs));
#undef S
    CHECK(h > 0, "open_curve: %s", err_text(0));
    if (h <= 0)
        return 1;
    CHECK(hello_until(h, topic, "\"type\":\"welcome\"", 15000), "no welcome over CURVE: %s", err_text(h));
    /* The same key in another account's name: the hub refuses it and says so on this topic. */
    snprintf(other, sizeof other, "%sX", topic);
    CHECK(hello_until(h, other, "not the account of this terminal's CURVE key", 10000), "no refusal of another account's name");
    CHECK(cb.close(h) == CB_OK, "close");
    printf("RESULT {\"mode\":\"curve\",\"failures\":%d}\n", g_failures);
    fflush(stdout);
    /* This mode is about the CURVE handshake; ending the process normally is the exit mode's
     * subject. Under wine, ExitProcess right after a CURVE connection was closed sometimes never
     * returned (2 of about 10 CI runs; on Windows the threads are ended before the DLLs are told):
     * end here, at once. */
    TerminateProcess(GetCurrentProcess(), g_failures ? 1 : 0);
    return g_failures ? 1 : 0;
}

static int mode_exit(const char *topic)
{
    int i;
    for (i = 0; i < 8; i++) {
        long long h = open_topic(topic);
        char msg[128];
        snprintf(msg, sizeof msg, "{\"v\":1,\"type\":\"hello\",\"account\":\"%s\",\"seq\":%d}", topic, i);
        CHECK(h > 0, "open");
        send_str(h, msg);
        cb.set_wakeup(h, (long long)(INT_PTR)g_hwnd, 0);
    }
    /* leave them open, as a crashed or careless EA would, and end the process */
    printf("RESULT {\"mode\":\"exit\",\"open_handles\":%d}\n", cb.handle_count());
    fflush(stdout);
    return g_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *mode, *topic;
    int n, rc;
    QueryPerformanceFrequency(&g_freq);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 5) {
        fprintf(stderr, "usage: cb_wintest <push endpoint> <sub endpoint> <basic|latency|cycles|many|exit|curve> <topic> [n]\n");
        return 2;
    }
    g_push = argv[1];
    g_sub = argv[2];
    mode = argv[3];
    topic = argv[4];
    n = argc > 5 ? atoi(argv[5]) : 100;
    if (load_dll() != 0)
        return 1;
    g_hwnd = make_window();
    if (g_hwnd == NULL) {
        printf("FAIL CreateWindow: %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    if (strcmp(mode, "basic") == 0)
        rc = mode_basic(topic);
    else if (strcmp(mode, "latency") == 0)
        rc = mode_latency(topic, n);
    else if (strcmp(mode, "cycles") == 0)
        rc = mode_cycles(topic, n);
    else if (strcmp(mode, "many") == 0)
        rc = mode_many(topic, n);
    else if (strcmp(mode, "exit") == 0)
        rc = mode_exit(topic);
    else if (strcmp(mode, "curve") == 0 && getenv("CB_CURVE_SERVER_PUBLIC") && getenv("CB_CURVE_CLIENT_PUBLIC") &&
             getenv("CB_CURVE_CLIENT_SECRET"))
        rc = mode_curve(topic, getenv("CB_CURVE_SERVER_PUBLIC"), getenv("CB_CURVE_CLIENT_PUBLIC"), getenv("CB_CURVE_CLIENT_SECRET"));
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        rc = 2;
    }
    fflush(stdout);
    return rc;
}
