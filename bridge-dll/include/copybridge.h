/*
 * copybridge.h - ZeroMQ for MQL5: the flat C interface of the CopyBridge bridge library.
 *
 * Rules every call follows (MQL5 can only pass simple types, arrays of simple types by
 * reference with a separate length, and cannot read errno):
 *   - strings are UTF-8 byte arrays with an explicit length (no terminating NUL needed; trailing
 *     NULs, which StringToCharArray(..., WHOLE_ARRAY, CP_UTF8) counts, are ignored everywhere,
 *     also at the end of a cb_send message);
 *   - handles are 64-bit integers > 0, never pointers; an unknown or closed handle is an error,
 *     not a crash;
 *   - every call (but cb_strerror, for C callers) returns an int status (CB_OK or a negative
 *     CB_E* code) or a non-negative count/length; the text of the last error is kept per handle
 *     and read with cb_last_error (handle 0: the calling thread's last error of a call that had
 *     no live handle, such as a failed cb_open or a call with a closed handle); the fixed text of
 *     a status code is read with cb_strerror_r;
 *   - buffers are owned by the caller; a message larger than the buffer is not lost: the call
 *     reports CB_ETRUNC and the size needed, and the same message is returned by the next call;
 *   - no call blocks: sends never wait (a full queue drops the message and says so), receives
 *     return 0 when nothing waits, close uses zero linger and never terminates the shared context
 *     (the one bounded wait: cb_open waits up to 250 ms when a burst of closes left the process
 *     out of ZeroMQ sockets that libzmq is still releasing).
 *
 * Wire format (see docs/protocol.md): the terminal PUSHes one-frame JSON messages to the hub's
 * PULL socket; the hub PUBlishes two-frame messages [topic = account name, JSON] and the bridge
 * delivers only the JSON frame of messages whose topic equals the subscribed topic exactly
 * (ZeroMQ subscriptions match prefixes, so "FTMO1" would otherwise also get "FTMO10").
 */
#ifndef COPYBRIDGE_H
#define COPYBRIDGE_H

#ifdef _WIN32
#  ifdef CB_BUILDING
#    define CB_EXPORT __declspec(dllexport)
#  else
#    define CB_EXPORT __declspec(dllimport)
#  endif
#else
#  define CB_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes and limits. A value never changes its meaning: new codes and limits are only ever
 * appended, so an EA built against an older copy of this header keeps working with a newer
 * library (the EA copies them: test/mql5/build.js checks every copy against this file). */
#define CB_OK        0
#define CB_EARG     -1  /* a null pointer, a negative or too large length, a malformed endpoint or key */
#define CB_EHANDLE  -2  /* unknown or already closed handle */
#define CB_EZMQ     -3  /* libzmq failed; cb_last_error says which call and why */
#define CB_ETRUNC   -4  /* buffer too small: *needed holds the size, the message stays queued */
#define CB_EAGAIN   -5  /* send queue full (hub unreachable or slow): message dropped, not queued */
#define CB_ENOMEM   -6  /* out of memory */
#define CB_ETOOBIG  -7  /* message larger than CB_MAX_MESSAGE */
#define CB_ELIMIT   -8  /* too many open handles (CB_MAX_HANDLES) */
#define CB_ENOTSUP  -9  /* not supported on this platform (e.g. window wake-up on Linux) */

#define CB_MAX_MESSAGE (1024 * 1024) /* bytes; the hub's default limit too */
#define CB_MAX_HANDLES 256

/* Version of the CopyBridge release this library belongs to (the "version" of the repository's
 * package.json, stamped in by the build) as major*10000 + minor*100 + patch. */
CB_EXPORT int cb_version(void);
/* Linked libzmq version as major*10000 + minor*100 + patch. */
CB_EXPORT int cb_zmq_version(void);

/* Opens one connection to the hub: a PUSH socket connected to push_endpoint (the hub's PULL)
 * and a SUB socket connected to sub_endpoint (the hub's PUB) subscribed to topic.
 * Returns a handle > 0, or a negative CB_E* status (text: cb_last_error(0, ...)).
 * Connecting is asynchronous: open succeeds while the hub is down and ZeroMQ reconnects. */
CB_EXPORT long long cb_open(const unsigned char *push_endpoint, int push_len,
                            const unsigned char *sub_endpoint, int sub_len,
                            const unsigned char *topic, int topic_len);

/* Same, with CURVE encryption: keys are 40-character Z85 texts (server public key, this
 * terminal's public and secret keys). Every message then goes out as two frames: a 32-byte
 * account proof, X25519(client secret, server public), which only the holder of the server's
 * secret key can compute as well, and the message. The hub finds the account a message comes
 * from by it (docs/remote.md). */
CB_EXPORT long long cb_open_curve(const unsigned char *push_endpoint, int push_len,
                                  const unsigned char *sub_endpoint, int sub_len,
                                  const unsigned char *topic, int topic_len,
                                  const unsigned char *server_public, int server_public_len,
                                  const unsigned char *client_public, int client_public_len,
                                  const unsigned char *client_secret, int client_secret_len);

/* Queues one message to the hub without blocking. CB_OK, or CB_EAGAIN when the queue is full
 * (1000 messages wait for an unreachable or slow hub: this one is dropped and counted in
 * cb_dropped), CB_EARG for a null/negative/empty message, CB_ETOOBIG above CB_MAX_MESSAGE. */
CB_EXPORT int cb_send(long long handle, const unsigned char *data, int len);

/* Copies the next message for this topic into buf without blocking.
 * Returns its length (> 0), 0 when nothing waits, CB_ETRUNC with *needed set when cap is too
 * small (the message is kept for the next call), or another negative status. needed may be null;
 * on success it is set to the length too. buf may be null with cap 0 to ask for the size. */
CB_EXPORT int cb_recv(long long handle, unsigned char *buf, int cap, int *needed);

/* Number of messages received and waiting to be read with cb_recv (at most 10000 per handle:
 * beyond that, or beyond 32 MiB, arriving messages are dropped and counted in cb_recv_dropped). */
CB_EXPORT int cb_pending(long long handle);

/* Windows: when messages arrive, the receive thread posts window message `msg` to the window hwnd
 * (the chart's CHART_WINDOW_HANDLE) so the EA wakes at once instead of at its next timer event.
 * msg 0 selects the default, WM_TIMER with wParam 0 and lParam 0, which MetaTrader 5 turns into an
 * OnTimer call of the chart's EA (the mtapi project's technique; see docs/bridge.md for what is
 * and is not proven). Another msg is posted as is, also with wParam 0 and lParam 0.
 * At most one wake-up is outstanding per handle: the next is posted once the EA called cb_recv,
 * so the handler must drain the queue (cb_recv until 0). An EA that reads a bounded batch calls
 * cb_set_wakeup again with the same arguments when messages remain: that posts one wake-up at
 * once if none is outstanding. hwnd 0 turns it off (CB_OK everywhere). A non-zero hwnd is CB_EARG
 * if it is not a window, CB_ENOTSUP on other platforms. Keep the EA's timer: it is the fallback. */
CB_EXPORT int cb_set_wakeup(long long handle, long long hwnd, int msg);

/* Copies the last error text of the handle (0: this thread's last error without a live handle;
 * an unknown or closed handle: a text saying so) as UTF-8 into buf, NUL-terminated and truncated
 * to cap-1 bytes (never inside a UTF-8 sequence). Returns the full text length (buf may be null
 * with cap 0 to ask for it), or CB_EARG for a negative cap or a null buf with cap > 0. */
CB_EXPORT int cb_last_error(long long handle, unsigned char *buf, int cap);

/* Static English text of a status code ("ok", "buffer too small", ...; "unknown status" for a
 * code this library does not know), like zmq_strerror. For C callers. */
CB_EXPORT const char *cb_strerror(int status);

/* The same text for callers that cannot take a char pointer (MQL5): copied as UTF-8 into buf,
 * NUL-terminated and truncated to cap-1 bytes, exactly like cb_last_error. Returns the full text
 * length (buf may be null with cap 0 to ask for it), or CB_EARG for a negative cap or a null buf
 * with cap > 0. */
CB_EXPORT int cb_strerror_r(int status, unsigned char *buf, int cap);

/* Closes the handle's sockets with zero linger (unsent and unread messages are discarded) and
 * returns at once; the shared context stays. CB_OK, or CB_EHANDLE. Closing twice is CB_EHANDLE. */
CB_EXPORT int cb_close(long long handle);

/* Diagnostics for tests and the EA's status line. */
CB_EXPORT int cb_handle_count(void);                    /* open handles in this process */
CB_EXPORT long long cb_dropped(long long handle);       /* messages dropped by cb_send (CB_EAGAIN) */
CB_EXPORT long long cb_recv_dropped(long long handle);  /* messages from the hub dropped because the
                                                           receive queue was full or they were malformed */

#ifdef __cplusplus
}
#endif

#endif /* COPYBRIDGE_H */
