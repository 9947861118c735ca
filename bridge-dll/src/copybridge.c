/*
 * copybridge.c - ZeroMQ for MQL5: implementation of copybridge.h.
 *
 * Structure
 *   - One process-wide ZeroMQ context, created by the first cb_open and never terminated
 *     (zmq_ctx_term waits for every socket of every EA in the terminal; peers' EAs hung the
 *     terminal there). Its threads run code of this library, so the library is pinned.
 *   - A handle table: 64-bit ids (never reused, never pointers) -> connection records, guarded
 *     by one mutex; each record is reference counted so a close racing with another call of the
 *     same handle from a second thread never frees memory in use.
 *   - Per connection: a PUSH socket to the hub (used by the caller under the record's mutex,
 *     never blocking) and a SUB socket, read by the one receive thread of the library.
 *   - The receive thread polls every SUB socket plus an inproc PAIR on which cb_open and cb_close
 *     announce sockets to add or drop. It filters topics exactly, moves messages into the
 *     connection's bounded queue (cb_recv is a locked pop, cb_pending exact) and, on Windows,
 *     posts the wake-up message to the EA's chart window. One thread and two sockets per
 *     connection keep 256 handles within the limits of a Windows select() build of libzmq, and
 *     cb_close never waits for a thread.
 */
#define CB_BUILDING 1
#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#  define __USE_MINGW_ANSI_STDIO 1 /* C99 snprintf (always NUL-terminated, %lld) */
#endif

#include "copybridge.h"
#include "cb_platform.h"
#include "cb_x25519.h"

#include <zmq.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stamped by the build from the root package.json (bridge-dll/CMakeLists.txt). */
#if !defined(CB_VERSION_MAJOR) || !defined(CB_VERSION_MINOR) || !defined(CB_VERSION_PATCH)
#  error "define CB_VERSION_MAJOR, CB_VERSION_MINOR and CB_VERSION_PATCH (bridge-dll/CMakeLists.txt does)"
#endif

#if defined(_MSC_VER)
#  define CB_THREAD_LOCAL __declspec(thread)
#else
#  define CB_THREAD_LOCAL _Thread_local
#endif

/* Limits. */
#define CB_MAX_ENDPOINT 255            /* bytes of an endpoint text */
#define CB_MAX_TOPIC 255               /* bytes of a topic (account name) */
#define CB_SNDHWM 1000                 /* messages queued towards the hub before cb_send drops */
#define CB_RCVHWM 1000                 /* messages ZeroMQ buffers before the I/O thread reads them */
#define CB_QUEUE_MAX_MSGS 10000        /* messages waiting for cb_recv, per handle */
#define CB_QUEUE_MAX_BYTES (32 << 20)  /* bytes waiting for cb_recv, per handle */
#define CB_DRAIN_BATCH 256             /* messages moved per wake-up of the I/O thread */
/* ZMQ_MAXMSGSIZE of the SUB socket. Not CB_MAX_MESSAGE: libzmq treats an oversized frame as a
 * protocol error and abandons the connection for good (no reconnect), so one oversized message
 * would leave the EA deaf until it re-attaches. Frames up to this size are read and dropped
 * (counted in cb_recv_dropped); only absurd sizes cut the connection. */
#define CB_WIRE_MAX (64LL << 20)
#define CB_ERR_MAX 512

/* The default wake-up: WM_TIMER (0x0113) with wParam 0 and lParam 0, what the mtapi project posts
 * to the chart for MetaTrader to run the EA's OnTimer (docs/bridge.md, "Prompt wake-up"). lParam
 * must stay 0: DispatchMessage calls a non-zero lParam of a WM_TIMER as a TIMERPROC. */
#define CB_WAKE_DEFAULT_MSG 0x0113

typedef struct cb_msg {
    struct cb_msg *next;
    int len;
    unsigned char data[1];
} cb_msg;

typedef struct cb_conn {
    long long id;
    int refs;     /* guarded by g_lock */
    cb_mutex_t lock;
    int closed;   /* guarded by lock */
    void *push;   /* guarded by lock */
    void *sub;    /* owned by the receive thread once cb_open handed it over */
    struct cb_conn *add_next;  /* in g_io_add, guarded by g_io_lock */
    struct cb_conn *drop_next; /* in g_io_drop, guarded by g_io_lock */
    int io_dropping;           /* receive thread only */
    /* receive queue, guarded by lock */
    cb_msg *head, *tail;
    int qcount;
    long long qbytes;
    long long rx_dropped;
    long long tx_dropped;
    long long hwnd; /* wake-up window, 0: off */
    unsigned wake_msg;
    int wake_pending; /* a wake-up was posted and the EA has not called cb_recv since */
    char topic[CB_MAX_TOPIC + 1];
    int topic_len;
    /* CURVE: the account proof sent as the first frame of every message (see cb_open_curve) */
    int proof_on;
    unsigned char proof[32];
    char err[CB_ERR_MAX];
} cb_conn;

static cb_mutex_t g_lock = CB_MUTEX_INITIALIZER;
static void *g_ctx;
static cb_conn *g_slots[CB_MAX_HANDLES];
static int g_count;      /* open + opening handles (reserved slots) */
static long long g_next_id = 1;

static CB_THREAD_LOCAL char tl_err[CB_ERR_MAX];

/* The receive thread and its mailbox: cb_open queues connections on g_io_add, cb_close on
 * g_io_drop, and both poke the thread through g_ctl_tx. */
static cb_mutex_t g_io_lock = CB_MUTEX_INITIALIZER;
static cb_conn *g_io_add, *g_io_drop;
static void *g_ctl_tx, *g_ctl_rx;
static cb_thread_t g_io_thread;

/* ------------------------------------------------------------------------------------------ */
/* errors                                                                                       */

static void set_text(char *dst, const char *fmt, va_list ap)
{
    vsnprintf(dst, CB_ERR_MAX, fmt, ap);
    dst[CB_ERR_MAX - 1] = 0;
}

/* Error of a call not attributable to a live handle: remembered for the calling thread. */
static int fail_tl(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_text(tl_err, fmt, ap);
    va_end(ap);
    return status;
}

/* Error of a live handle; caller holds c->lock. */
static int fail_c(cb_conn *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_text(c->err, fmt, ap);
    va_end(ap);
    return status;
}

static int bad_handle(const char *fn, long long h)
{
    return fail_tl(CB_EHANDLE, "%s: unknown or closed handle %lld", fn, h);
}

/* ------------------------------------------------------------------------------------------ */
/* arguments                                                                                    */

/* MQL5's StringToCharArray(..., WHOLE_ARRAY, CP_UTF8) counts the terminating NUL; strings may
 * therefore arrive with trailing NUL bytes, which are ignored. Embedded NULs are an error. */
static int trim_nuls(const unsigned char *p, int len)
{
    while (len > 0 && p[len - 1] == 0)
        len--;
    return len;
}

/* Copies a string argument into out (NUL-terminated). Returns CB_OK or CB_EARG (text in tl). */
static int take_string(const char *fn, const char *what, const unsigned char *p, int len,
                       int max, char *out)
{
    if (p == NULL)
        return fail_tl(CB_EARG, "%s: %s is null", fn, what);
    if (len < 0)
        return fail_tl(CB_EARG, "%s: %s length %d is negative", fn, what, len);
    len = trim_nuls(p, len);
    if (len == 0)
        return fail_tl(CB_EARG, "%s: %s is empty", fn, what);
    if (len > max)
        return fail_tl(CB_EARG, "%s: %s is %d bytes, the limit is %d", fn, what, len, max);
    if (memchr(p, 0, (size_t)len) != NULL)
        return fail_tl(CB_EARG, "%s: %s contains a NUL byte", fn, what);
    memcpy(out, p, (size_t)len);
    out[len] = 0;
    return CB_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* handle table                                                                                 */

static cb_conn *acquire(long long h)
{
    cb_conn *c = NULL;
    int i;
    if (h <= 0)
        return NULL;
    cb_mutex_lock(&g_lock);
    for (i = 0; i < CB_MAX_HANDLES; i++) {
        if (g_slots[i] != NULL && g_slots[i]->id == h) {
            c = g_slots[i];
            c->refs++;
            break;
        }
    }
    cb_mutex_unlock(&g_lock);
    return c;
}

static void free_queue(cb_conn *c)
{
    cb_msg *m = c->head;
    while (m != NULL) {
        cb_msg *next = m->next;
        free(m);
        m = next;
    }
    c->head = c->tail = NULL;
    c->qcount = 0;
    c->qbytes = 0;
}

static void release(cb_conn *c)
{
    int last;
    cb_mutex_lock(&g_lock);
    last = (--c->refs == 0);
    cb_mutex_unlock(&g_lock);
    if (last) {
        free_queue(c);
        cb_mutex_destroy(&c->lock);
        memset(c->proof, 0, sizeof c->proof);
        free(c);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* context                                                                                      */

static int set_int(void *s, int opt, int v) { return zmq_setsockopt(s, opt, &v, sizeof v); }

CB_THREAD_FN(io_thread, arg);

static void *context(void)
{
    void *ctx;
    cb_mutex_lock(&g_lock);
    if (g_ctx == NULL) {
        ctx = zmq_ctx_new();
        if (ctx != NULL) {
            /* 2 sockets per handle (PUSH, SUB) plus the receive thread's mailbox, and room for
             * sockets closed but not yet released by libzmq's reaper. 1023 is the most a Windows
             * select() build of libzmq allows with FD_SETSIZE 1024. */
            zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 1023);
            zmq_ctx_set(ctx, ZMQ_IO_THREADS, 1);
            /* Sockets default to zero linger: nothing ever waits for unsent messages. */
            zmq_ctx_set(ctx, ZMQ_BLOCKY, 0);
            g_ctl_rx = zmq_socket(ctx, ZMQ_PAIR);
            g_ctl_tx = zmq_socket(ctx, ZMQ_PAIR);
            if (g_ctl_rx == NULL || g_ctl_tx == NULL || set_int(g_ctl_rx, ZMQ_LINGER, 0) != 0 ||
                set_int(g_ctl_tx, ZMQ_LINGER, 0) != 0 ||
                zmq_bind(g_ctl_rx, "inproc://copybridge-receive-thread") != 0 ||
                zmq_connect(g_ctl_tx, "inproc://copybridge-receive-thread") != 0 ||
                cb_thread_start(&g_io_thread, io_thread, NULL) != 0) {
                int e = zmq_errno();
                if (g_ctl_rx != NULL)
                    zmq_close(g_ctl_rx);
                if (g_ctl_tx != NULL)
                    zmq_close(g_ctl_tx);
                g_ctl_rx = g_ctl_tx = NULL;
                /* Nothing uses this context: terminating it cannot wait for anything. */
                zmq_ctx_term(ctx);
                errno = e;
                ctx = NULL;
            } else {
                cb_pin_module((void *)&cb_version);
                g_ctx = ctx;
            }
        }
    }
    ctx = g_ctx;
    cb_mutex_unlock(&g_lock);
    return ctx;
}

/* Hands a connection to the receive thread (add) or takes it back (drop). */
static void io_request(cb_conn *c, int add)
{
    cb_mutex_lock(&g_io_lock);
    if (add) {
        c->add_next = g_io_add;
        g_io_add = c;
    } else {
        c->drop_next = g_io_drop;
        g_io_drop = c;
    }
    /* EAGAIN only when a thousand pokes already wait: the thread wakes anyway. */
    zmq_send(g_ctl_tx, "", 0, ZMQ_DONTWAIT);
    cb_mutex_unlock(&g_io_lock);
}

/* ------------------------------------------------------------------------------------------ */
/* I/O thread                                                                                   */

static void wake(cb_conn *c)
{
#ifdef _WIN32
    long long hwnd;
    unsigned msg;
    cb_mutex_lock(&c->lock);
    hwnd = c->hwnd;
    msg = c->wake_msg;
    if (hwnd == 0 || c->wake_pending || c->qcount == 0)
        hwnd = 0;
    else
        c->wake_pending = 1;
    cb_mutex_unlock(&c->lock);
    if (hwnd != 0 && !PostMessageW((HWND)(intptr_t)hwnd, msg, 0, 0)) {
        DWORD e = GetLastError();
        cb_mutex_lock(&c->lock);
        if (c->hwnd == hwnd) {
            /* The window is gone (chart closed): stop posting, say why. */
            if (e == ERROR_INVALID_WINDOW_HANDLE)
                c->hwnd = 0;
            c->wake_pending = 0;
            fail_c(c, CB_OK, "wake-up: PostMessage to window %lld failed (Windows error %lu)%s",
                   hwnd, (unsigned long)e, e == ERROR_INVALID_WINDOW_HANDLE ? ", wake-up turned off" : "");
        }
        cb_mutex_unlock(&c->lock);
    }
#else
    (void)c;
#endif
}

/* Reads one published message. Returns 1 when a message was consumed (delivered or not),
 * 0 when nothing waits, -1 on a socket error. */
static int read_one(cb_conn *c)
{
    zmq_msg_t topic, body;
    int more, frames = 2, deliver;
    cb_msg *m = NULL;

    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, c->sub, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&topic);
        return (e == EAGAIN || e == EINTR) ? 0 : -1;
    }
    deliver = zmq_msg_size(&topic) == (size_t)c->topic_len &&
              memcmp(zmq_msg_data(&topic), c->topic, (size_t)c->topic_len) == 0;
    more = zmq_msg_more(&topic);
    zmq_msg_close(&topic);
    if (!more) /* a topic without a body */
        return 1;

    zmq_msg_init(&body);
    /* The frames of a message arrive together, so this never waits. */
    if (zmq_msg_recv(&body, c->sub, 0) < 0) {
        zmq_msg_close(&body);
        return -1;
    }
    /* Anything beyond [topic, json] is not ours: drain and drop it. */
    more = zmq_msg_more(&body);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, c->sub, 0) < 0) {
            zmq_msg_close(&extra);
            break;
        }
        frames++;
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }

    if (deliver && frames == 2 && zmq_msg_size(&body) > 0 && zmq_msg_size(&body) <= CB_MAX_MESSAGE) {
        size_t len = zmq_msg_size(&body);
        m = (cb_msg *)malloc(sizeof(cb_msg) + len);
        if (m != NULL) {
            m->next = NULL;
            m->len = (int)len;
            memcpy(m->data, zmq_msg_data(&body), len);
        }
        cb_mutex_lock(&c->lock);
        if (c->closed) {
            /* closed while the message was on its way: nobody will read it */
        } else if (m != NULL && c->qcount < CB_QUEUE_MAX_MSGS && c->qbytes + (long long)len <= CB_QUEUE_MAX_BYTES) {
            if (c->tail != NULL)
                c->tail->next = m;
            else
                c->head = m;
            c->tail = m;
            c->qcount++;
            c->qbytes += (long long)len;
            m = NULL;
        } else {
            c->rx_dropped++;
            fail_c(c, CB_OK, "receive queue full (%d messages, %lld bytes waiting): a message from the hub was dropped; read faster",
                   c->qcount, c->qbytes);
        }
        cb_mutex_unlock(&c->lock);
        free(m);
    } else if (deliver) {
        cb_mutex_lock(&c->lock);
        c->rx_dropped++;
        if (frames == 2 && zmq_msg_size(&body) > CB_MAX_MESSAGE)
            fail_c(c, CB_OK, "a message of %lu bytes from the hub exceeds CB_MAX_MESSAGE (%d): dropped",
                   (unsigned long)zmq_msg_size(&body), CB_MAX_MESSAGE);
        else
            fail_c(c, CB_OK, "malformed message from the hub dropped (%d frames, body %lu bytes)",
                   frames, (unsigned long)zmq_msg_size(&body));
        cb_mutex_unlock(&c->lock);
    }
    zmq_msg_close(&body);
    return 1;
}

static void io_forget(cb_conn *c)
{
    zmq_close(c->sub); /* linger 0 */
    c->sub = NULL;
    release(c); /* the receive thread's reference */
}

/* Takes the connections cb_open and cb_close queued. conns/n: the thread's own list.
 * Drops go first, so the list never holds more than the handles open at that moment; a
 * connection opened and closed since the last wake-up is in both lists and is only forgotten. */
static void io_apply_requests(cb_conn **conns, int *n)
{
    cb_conn *add, *drop, *c, *next;
    char poke[8];
    int i;
    while (zmq_recv(g_ctl_rx, poke, sizeof poke, ZMQ_DONTWAIT) >= 0) {
    }
    cb_mutex_lock(&g_io_lock);
    add = g_io_add;
    drop = g_io_drop;
    g_io_add = g_io_drop = NULL;
    cb_mutex_unlock(&g_io_lock);

    for (c = drop; c != NULL; c = c->drop_next)
        c->io_dropping = 1;
    for (i = 0; i < *n;) {
        if (conns[i]->io_dropping) {
            c = conns[i];
            conns[i] = conns[--(*n)];
            io_forget(c);
        } else {
            i++;
        }
    }
    for (c = add; c != NULL; c = next) {
        next = c->add_next;
        if (c->io_dropping)
            io_forget(c);
        else if (*n < CB_MAX_HANDLES)
            conns[(*n)++] = c;
        else
            io_forget(c); /* cannot happen: cb_open reserves one of CB_MAX_HANDLES slots */
    }
}

CB_THREAD_FN(io_thread, arg)
{
    static cb_conn *conns[CB_MAX_HANDLES];
    static zmq_pollitem_t items[CB_MAX_HANDLES + 1];
    int n = 0, i, changed = 1;
    (void)arg;

    for (;;) {
        int rc;
        if (changed) {
            memset(items, 0, sizeof items);
            items[0].socket = g_ctl_rx;
            items[0].events = ZMQ_POLLIN;
            for (i = 0; i < n; i++) {
                items[i + 1].socket = conns[i]->sub;
                items[i + 1].events = ZMQ_POLLIN;
            }
            changed = 0;
        }
        rc = zmq_poll(items, n + 1, -1);
        if (rc < 0) {
            if (zmq_errno() == ETERM)
                break; /* never: the context is not terminated */
            if (zmq_errno() != EINTR) {
                /* Should not happen; say so on every handle, and never spin. */
                for (i = 0; i < n; i++) {
                    cb_mutex_lock(&conns[i]->lock);
                    fail_c(conns[i], CB_OK, "receive thread: zmq_poll failed: %s", zmq_strerror(zmq_errno()));
                    cb_mutex_unlock(&conns[i]->lock);
                }
                cb_sleep_ms(10);
            }
            continue;
        }
        for (i = 0; i < n; i++) {
            if (items[i + 1].revents & ZMQ_POLLIN) {
                cb_conn *c = conns[i];
                int k, got = 0;
                for (k = 0; k < CB_DRAIN_BATCH; k++) {
                    int r = read_one(c);
                    if (r <= 0)
                        break;
                    got++;
                }
                if (got > 0)
                    wake(c);
            }
        }
        if (items[0].revents & ZMQ_POLLIN) {
            io_apply_requests(conns, &n);
            changed = 1;
        }
    }
    CB_THREAD_RETURN;
}

/* ------------------------------------------------------------------------------------------ */
/* open / close                                                                                 */

static int errno_status(int e)
{
    switch (e) {
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
        return CB_EARG;
    case ENOMEM:
        return CB_ENOMEM;
    case EMFILE:
        return CB_ELIMIT;
    default:
        return CB_EZMQ;
    }
}


static int set_common(void *s)
{
    int rc = 0;
    rc |= set_int(s, ZMQ_LINGER, 0);
    /* ZMTP heartbeats: a hub that vanished without closing TCP (machine off, network down) is
     * noticed within seconds and the connection is re-established. */
    rc |= set_int(s, ZMQ_HEARTBEAT_IVL, 5000);
    rc |= set_int(s, ZMQ_HEARTBEAT_TIMEOUT, 15000);
    rc |= set_int(s, ZMQ_RECONNECT_IVL, 100);
    rc |= set_int(s, ZMQ_RECONNECT_IVL_MAX, 2000);
    return rc;
}

typedef struct curve_keys {
    int on;
    unsigned char server_public[32], client_public[32], client_secret[32];
} curve_keys;

static int set_curve(void *s, const curve_keys *k)
{
    int rc = 0;
    if (!k->on)
        return 0;
    rc |= zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, k->server_public, 32);
    rc |= zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, k->client_public, 32);
    rc |= zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k->client_secret, 32);
    return rc;
}

/* zmq_socket, allowing for sockets still being released: zmq_close hands a socket to libzmq's
 * reaper thread, so after a burst of close/open cycles the context may briefly be at its socket
 * limit (EMFILE). Wait for the reaper then, at most CB_SOCKET_WAIT_MS; never otherwise. */
#define CB_SOCKET_WAIT_MS 250
static void *make_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    int waited = 0;
    while (s == NULL && zmq_errno() == EMFILE && waited < CB_SOCKET_WAIT_MS) {
        cb_sleep_ms(2);
        waited += 2;
        s = zmq_socket(ctx, type);
    }
    return s;
}

static void close_socket(void **s)
{
    if (*s != NULL) {
        zmq_close(*s);
        *s = NULL;
    }
}

static long long open_impl(const char *fn, const unsigned char *push_ep, int push_len,
                           const unsigned char *sub_ep, int sub_len, const unsigned char *topic,
                           int topic_len, const curve_keys *keys)
{
    char push_s[CB_MAX_ENDPOINT + 1], sub_s[CB_MAX_ENDPOINT + 1];
    cb_conn *c;
    void *ctx;
    int rc, i, slot = -1;
    long long id;
    const char *step, *which = ""; /* the endpoint of the failing step, if any */

    if ((rc = take_string(fn, "push endpoint", push_ep, push_len, CB_MAX_ENDPOINT, push_s)) != CB_OK)
        return rc;
    if ((rc = take_string(fn, "sub endpoint", sub_ep, sub_len, CB_MAX_ENDPOINT, sub_s)) != CB_OK)
        return rc;
    if (topic == NULL)
        return fail_tl(CB_EARG, "%s: topic is null", fn);
    if (topic_len < 0)
        return fail_tl(CB_EARG, "%s: topic length %d is negative", fn, topic_len);
    topic_len = trim_nuls(topic, topic_len);
    if (topic_len == 0)
        return fail_tl(CB_EARG, "%s: topic is empty (it must be the account name)", fn);
    if (topic_len > CB_MAX_TOPIC)
        return fail_tl(CB_EARG, "%s: topic is %d bytes, the limit is %d", fn, topic_len, CB_MAX_TOPIC);

    ctx = context();
    if (ctx == NULL)
        return fail_tl(CB_EZMQ, "%s: zmq_ctx_new failed: %s", fn, zmq_strerror(zmq_errno()));

    /* Reserve a slot first, so the limit holds even when EAs open concurrently. */
    cb_mutex_lock(&g_lock);
    if (g_count >= CB_MAX_HANDLES) {
        cb_mutex_unlock(&g_lock);
        return fail_tl(CB_ELIMIT, "%s: %d handles are open, the limit is %d (are handles closed in OnDeinit?)",
                       fn, g_count, CB_MAX_HANDLES);
    }
    g_count++;
    id = g_next_id++;
    cb_mutex_unlock(&g_lock);

    c = (cb_conn *)calloc(1, sizeof *c);
    if (c == NULL) {
        rc = fail_tl(CB_ENOMEM, "%s: out of memory", fn);
        goto unreserve;
    }
    c->id = id;
    c->refs = 2; /* the handle table's and the receive thread's */
    cb_mutex_init(&c->lock);
    memcpy(c->topic, topic, (size_t)topic_len);
    c->topic_len = topic_len;
    if (keys->on) {
        cb_x25519(c->proof, keys->client_secret, keys->server_public);
        c->proof_on = 1;
    }

#define STEP(what, expr)                                                                            \
    do {                                                                                            \
        step = what;                                                                                \
        if (!(expr))                                                                                \
            goto zmq_failed;                                                                        \
    } while (0)

    STEP("zmq_socket(PUSH)", (c->push = make_socket(ctx, ZMQ_PUSH)) != NULL);
    STEP("PUSH options", set_common(c->push) == 0 && set_int(c->push, ZMQ_SNDHWM, CB_SNDHWM) == 0 &&
                             set_int(c->push, ZMQ_IMMEDIATE, 0) == 0 && set_int(c->push, ZMQ_SNDTIMEO, 0) == 0);
    STEP("PUSH CURVE keys", set_curve(c->push, keys) == 0);
    which = push_s;
    STEP("zmq_connect(push endpoint)", zmq_connect(c->push, push_s) == 0);
    which = "";

    STEP("zmq_socket(SUB)", (c->sub = make_socket(ctx, ZMQ_SUB)) != NULL);
    STEP("SUB options", set_common(c->sub) == 0 && set_int(c->sub, ZMQ_RCVHWM, CB_RCVHWM) == 0);
    {
        int64_t maxsize = CB_WIRE_MAX;
        STEP("SUB options", zmq_setsockopt(c->sub, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) == 0);
    }
    STEP("SUB CURVE keys", set_curve(c->sub, keys) == 0);
    STEP("zmq_setsockopt(SUBSCRIBE)", zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, c->topic, (size_t)c->topic_len) == 0);
    which = sub_s;
    STEP("zmq_connect(sub endpoint)", zmq_connect(c->sub, sub_s) == 0);

#undef STEP

    snprintf(c->err, sizeof c->err, "no error");
    io_request(c, 1); /* the SUB socket now belongs to the receive thread */
    cb_mutex_lock(&g_lock);
    for (i = 0; i < CB_MAX_HANDLES; i++) {
        if (g_slots[i] == NULL) {
            slot = i;
            g_slots[i] = c;
            break;
        }
    }
    cb_mutex_unlock(&g_lock);
    /* g_count reserved a slot, so one is free. */
    (void)slot;
    return id;

zmq_failed : {
    int e = zmq_errno();
    rc = fail_tl(errno_status(e), "%s: %s%s%s%s failed: %s", fn, step, *which ? " '" : "", which,
                 *which ? "'" : "", zmq_strerror(e));
}
    close_socket(&c->push);
    close_socket(&c->sub);
    cb_mutex_destroy(&c->lock);
    free(c);
unreserve:
    cb_mutex_lock(&g_lock);
    g_count--;
    cb_mutex_unlock(&g_lock);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* API                                                                                          */

CB_EXPORT int cb_version(void)
{
    return CB_VERSION_MAJOR * 10000 + CB_VERSION_MINOR * 100 + CB_VERSION_PATCH;
}

CB_EXPORT int cb_zmq_version(void)
{
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    return major * 10000 + minor * 100 + patch;
}

CB_EXPORT long long cb_open(const unsigned char *push_endpoint, int push_len,
                            const unsigned char *sub_endpoint, int sub_len,
                            const unsigned char *topic, int topic_len)
{
    curve_keys none;
    memset(&none, 0, sizeof none);
    return open_impl("cb_open", push_endpoint, push_len, sub_endpoint, sub_len, topic, topic_len, &none);
}

static int take_key(const char *what, const unsigned char *p, int len, unsigned char out[32])
{
    char z85[41];
    int rc = take_string("cb_open_curve", what, p, len, 40, z85);
    if (rc != CB_OK)
        return rc;
    if (strlen(z85) != 40 || zmq_z85_decode(out, z85) == NULL)
        return fail_tl(CB_EARG, "cb_open_curve: %s must be a 40-character Z85 key", what);
    return CB_OK;
}

CB_EXPORT long long cb_open_curve(const unsigned char *push_endpoint, int push_len,
                                  const unsigned char *sub_endpoint, int sub_len,
                                  const unsigned char *topic, int topic_len,
                                  const unsigned char *server_public, int server_public_len,
                                  const unsigned char *client_public, int client_public_len,
                                  const unsigned char *client_secret, int client_secret_len)
{
    curve_keys k;
    char secret_z85[41], derived_z85[41], public_z85[41];
    long long rc;

    memset(&k, 0, sizeof k);
    if (!zmq_has("curve"))
        return fail_tl(CB_ENOTSUP, "cb_open_curve: this build of libzmq has no CURVE support");
    if ((rc = take_key("server public key", server_public, server_public_len, k.server_public)) != CB_OK ||
        (rc = take_key("client public key", client_public, client_public_len, k.client_public)) != CB_OK ||
        (rc = take_key("client secret key", client_secret, client_secret_len, k.client_secret)) != CB_OK)
        return rc;
    /* A public key that does not belong to the secret key fails silently at the handshake;
     * say so now instead. */
    zmq_z85_encode(secret_z85, k.client_secret, 32);
    zmq_z85_encode(public_z85, k.client_public, 32);
    if (zmq_curve_public(derived_z85, secret_z85) != 0)
        return fail_tl(CB_EZMQ, "cb_open_curve: zmq_curve_public failed: %s", zmq_strerror(zmq_errno()));
    if (strcmp(derived_z85, public_z85) != 0)
        return fail_tl(CB_EARG, "cb_open_curve: the client public key does not belong to the client secret key");
    k.on = 1;
    rc = open_impl("cb_open_curve", push_endpoint, push_len, sub_endpoint, sub_len, topic, topic_len, &k);
    memset(&k, 0, sizeof k);
    memset(secret_z85, 0, sizeof secret_z85);
    return rc;
}

CB_EXPORT int cb_send(long long handle, const unsigned char *data, int len)
{
    cb_conn *c;
    int rc;
    if (data == NULL || len < 0 || (len = trim_nuls(data, len)) == 0 || len > CB_MAX_MESSAGE) {
        int status = (data != NULL && len > CB_MAX_MESSAGE) ? CB_ETOOBIG : CB_EARG;
        const char *why = data == NULL ? "data is null" : len < 0 ? "length is negative"
                        : len == 0 ? "message is empty" : "message is larger than CB_MAX_MESSAGE";
        c = acquire(handle);
        if (c == NULL)
            return bad_handle("cb_send", handle);
        cb_mutex_lock(&c->lock);
        rc = c->closed ? CB_EHANDLE : fail_c(c, status, "cb_send: %s (length %d)", why, len);
        cb_mutex_unlock(&c->lock);
        release(c);
        return rc == CB_EHANDLE ? bad_handle("cb_send", handle) : rc;
    }
    c = acquire(handle);
    if (c == NULL)
        return bad_handle("cb_send", handle);
    cb_mutex_lock(&c->lock);
    if (c->closed) {
        rc = CB_EHANDLE;
    } else if ((!c->proof_on || zmq_send(c->push, c->proof, 32, ZMQ_DONTWAIT | ZMQ_SNDMORE) == 32) &&
               zmq_send(c->push, data, (size_t)len, ZMQ_DONTWAIT) == len) {
        rc = CB_OK;
    } else {
        int e = zmq_errno();
        if (e == EAGAIN) {
            c->tx_dropped++;
            rc = fail_c(c, CB_EAGAIN, "cb_send: %d messages already wait for the hub (not reachable or slow): message dropped (%lld dropped so far)",
                        CB_SNDHWM, c->tx_dropped);
        } else {
            rc = fail_c(c, CB_EZMQ, "cb_send: zmq_send failed: %s", zmq_strerror(e));
        }
    }
    cb_mutex_unlock(&c->lock);
    release(c);
    return rc == CB_EHANDLE ? bad_handle("cb_send", handle) : rc;
}

CB_EXPORT int cb_recv(long long handle, unsigned char *buf, int cap, int *needed)
{
    cb_conn *c = acquire(handle);
    cb_msg *m = NULL;
    int rc;
    if (c == NULL)
        return bad_handle("cb_recv", handle);
    cb_mutex_lock(&c->lock);
    if (c->closed) {
        rc = CB_EHANDLE;
    } else if (cap < 0) {
        rc = fail_c(c, CB_EARG, "cb_recv: capacity %d is negative", cap);
    } else if (buf == NULL && cap > 0) {
        rc = fail_c(c, CB_EARG, "cb_recv: buffer is null");
    } else if (c->head == NULL) {
        c->wake_pending = 0;
        rc = 0;
    } else if (c->head->len > cap) {
        if (needed != NULL)
            *needed = c->head->len;
        rc = fail_c(c, CB_ETRUNC, "cb_recv: the next message has %d bytes, the buffer only %d; it stays queued",
                    c->head->len, cap);
    } else {
        m = c->head;
        c->head = m->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->qcount--;
        c->qbytes -= m->len;
        c->wake_pending = 0;
        memcpy(buf, m->data, (size_t)m->len);
        if (needed != NULL)
            *needed = m->len;
        rc = m->len;
    }
    cb_mutex_unlock(&c->lock);
    free(m);
    release(c);
    return rc == CB_EHANDLE ? bad_handle("cb_recv", handle) : rc;
}

CB_EXPORT int cb_pending(long long handle)
{
    cb_conn *c = acquire(handle);
    int rc;
    if (c == NULL)
        return bad_handle("cb_pending", handle);
    cb_mutex_lock(&c->lock);
    rc = c->closed ? CB_EHANDLE : c->qcount;
    cb_mutex_unlock(&c->lock);
    release(c);
    return rc == CB_EHANDLE ? bad_handle("cb_pending", handle) : rc;
}

CB_EXPORT int cb_set_wakeup(long long handle, long long hwnd, int msg)
{
    cb_conn *c = acquire(handle);
    int rc = CB_OK;
    if (c == NULL)
        return bad_handle("cb_set_wakeup", handle);
    cb_mutex_lock(&c->lock);
    if (c->closed) {
        rc = CB_EHANDLE;
    } else if (hwnd == 0) {
        c->hwnd = 0;
        c->wake_pending = 0;
    } else {
#ifdef _WIN32
        if (hwnd < 0 || !IsWindow((HWND)(intptr_t)hwnd)) {
            rc = fail_c(c, CB_EARG, "cb_set_wakeup: %lld is not a window handle", hwnd);
        } else if (msg < 0 || msg > 0xFFFF) {
            rc = fail_c(c, CB_EARG, "cb_set_wakeup: message %d is out of range 0..65535", msg);
        } else {
            unsigned m = msg == 0 ? CB_WAKE_DEFAULT_MSG : (unsigned)msg;
            /* The same window again keeps an outstanding wake-up: still at most one. */
            if (c->hwnd != hwnd || c->wake_msg != m)
                c->wake_pending = 0;
            c->hwnd = hwnd;
            c->wake_msg = m;
        }
#else
        (void)msg;
        rc = fail_c(c, CB_ENOTSUP, "cb_set_wakeup: window wake-up exists only on Windows; poll with cb_recv");
#endif
    }
    cb_mutex_unlock(&c->lock);
    /* Messages that wait (arrived before the window was set, or left by an EA that reads a
     * bounded batch and calls again to be woken for the rest): wake now. */
    if (rc == CB_OK && hwnd != 0)
        wake(c);
    release(c);
    return rc == CB_EHANDLE ? bad_handle("cb_set_wakeup", handle) : rc;
}

static size_t copy_text(const char *text, unsigned char *buf, int cap)
{
    size_t n = strlen(text);
    if (buf != NULL && cap > 0) {
        size_t k = n < (size_t)(cap - 1) ? n : (size_t)(cap - 1);
        /* Do not cut a UTF-8 sequence in half. */
        while (k > 0 && k < n && ((unsigned char)text[k] & 0xC0) == 0x80)
            k--;
        memcpy(buf, text, k);
        buf[k] = 0;
    }
    return n;
}

CB_EXPORT const char *cb_strerror(int status)
{
    switch (status) {
    case CB_OK:
        return "ok";
    case CB_EARG:
        return "bad argument (endpoint, key or length)";
    case CB_EHANDLE:
        return "unknown or closed handle";
    case CB_EZMQ:
        return "ZeroMQ error";
    case CB_ETRUNC:
        return "buffer too small";
    case CB_EAGAIN:
        return "send queue full (hub unreachable or slow), message dropped";
    case CB_ENOMEM:
        return "out of memory";
    case CB_ETOOBIG:
        return "message larger than 1 MiB";
    case CB_ELIMIT:
        return "too many open connections in this terminal";
    case CB_ENOTSUP:
        return "not supported on this platform";
    default:
        return "unknown status";
    }
}

CB_EXPORT int cb_strerror_r(int status, unsigned char *buf, int cap)
{
    if (cap < 0 || (buf == NULL && cap > 0))
        return CB_EARG;
    return (int)copy_text(cb_strerror(status), buf, cap);
}

CB_EXPORT int cb_last_error(long long handle, unsigned char *buf, int cap)
{
    char text[CB_ERR_MAX];
    cb_conn *c;
    if (cap < 0 || (buf == NULL && cap > 0))
        return CB_EARG;
    if (handle == 0) {
        if (tl_err[0] == 0)
            return (int)copy_text("no error", buf, cap);
        return (int)copy_text(tl_err, buf, cap);
    }
    c = acquire(handle);
    if (c == NULL) {
        snprintf(text, sizeof text, "unknown or closed handle %lld", handle);
        return (int)copy_text(text, buf, cap);
    }
    cb_mutex_lock(&c->lock);
    memcpy(text, c->err, sizeof text);
    cb_mutex_unlock(&c->lock);
    release(c);
    text[sizeof text - 1] = 0;
    return (int)copy_text(text, buf, cap);
}

CB_EXPORT int cb_close(long long handle)
{
    cb_conn *c = NULL;
    int i;
    if (handle <= 0)
        return bad_handle("cb_close", handle);
    cb_mutex_lock(&g_lock);
    for (i = 0; i < CB_MAX_HANDLES; i++) {
        if (g_slots[i] != NULL && g_slots[i]->id == handle) {
            c = g_slots[i];
            g_slots[i] = NULL; /* from now on every call of this id is CB_EHANDLE */
            break;
        }
    }
    cb_mutex_unlock(&g_lock);
    if (c == NULL)
        return bad_handle("cb_close", handle);

    cb_mutex_lock(&c->lock);
    c->closed = 1;
    c->hwnd = 0;
    zmq_close(c->push); /* linger 0: queued messages are discarded, nothing waits */
    c->push = NULL;
    free_queue(c);
    cb_mutex_unlock(&c->lock);
    /* The receive thread closes the SUB socket and drops its reference; nobody waits for it. */
    io_request(c, 0);

    cb_mutex_lock(&g_lock);
    g_count--;
    cb_mutex_unlock(&g_lock);
    release(c); /* the table's reference; calls still running hold their own */
    return CB_OK;
}

CB_EXPORT int cb_handle_count(void)
{
    int i, n = 0;
    cb_mutex_lock(&g_lock);
    for (i = 0; i < CB_MAX_HANDLES; i++)
        if (g_slots[i] != NULL)
            n++;
    cb_mutex_unlock(&g_lock);
    return n;
}

static long long counter(const char *fn, long long handle, int rx)
{
    cb_conn *c = acquire(handle);
    long long v;
    if (c == NULL)
        return bad_handle(fn, handle);
    cb_mutex_lock(&c->lock);
    v = c->closed ? CB_EHANDLE : rx ? c->rx_dropped : c->tx_dropped;
    cb_mutex_unlock(&c->lock);
    release(c);
    return v == CB_EHANDLE ? bad_handle(fn, handle) : v;
}

CB_EXPORT long long cb_dropped(long long handle) { return counter("cb_dropped", handle, 0); }
CB_EXPORT long long cb_recv_dropped(long long handle) { return counter("cb_recv_dropped", handle, 1); }
