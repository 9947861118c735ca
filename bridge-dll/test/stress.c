/*
 * stress.c - hammers the bridge from several threads at once, built together with the library
 * source under AddressSanitizer+UndefinedBehaviorSanitizer or ThreadSanitizer (Linux), so that
 * use-after-free, double free, leaks and data races show up as failures instead of rare crashes
 * in a terminal. Run by test/bridge-dll/sanitizers.test.ts:
 *
 *   cc -fsanitize=address,undefined -Ibridge-dll/include bridge-dll/test/stress.c \
 *      bridge-dll/src/copybridge.c $(pkg-config --cflags --libs libzmq) -lpthread -o stress && ./stress
 *
 * A hub of libzmq sockets (PUB + PULL, echoing "echo" messages) runs in its own thread.
 */
#include "copybridge.h"

#include <zmq.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_pub_ep[64], g_pull_ep[64];
static int g_ready; /* endpoints written (atomic) */
static int g_stop;
static volatile int g_failures;

#define FAIL(...)                                                                                   \
    do {                                                                                            \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                                                      \
        fprintf(stderr, "\n");                                                                      \
        __atomic_add_fetch(&g_failures, 1, __ATOMIC_SEQ_CST);                                       \
    } while (0)

static void *hub_thread(void *ctx)
{
    void *pub = zmq_socket(ctx, ZMQ_PUB), *pull = zmq_socket(ctx, ZMQ_PULL);
    int zero = 0, timeout = 50;
    size_t len = sizeof g_pub_ep;
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_bind(pub, "tcp://127.0.0.1:*");
    zmq_bind(pull, "tcp://127.0.0.1:*");
    zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, g_pub_ep, &len);
    len = sizeof g_pull_ep;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, g_pull_ep, &len);
    __atomic_store_n(&g_ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        char buf[512], topic[64];
        int n = zmq_recv(pull, buf, sizeof buf - 1, 0);
        const char *a, *e;
        if (n <= 0 || n >= (int)sizeof buf)
            continue;
        buf[n] = 0;
        /* {"type":"echo","account":"<topic>",...} -> publish [topic, same bytes] */
        if (strstr(buf, "\"echo\"") == NULL || (a = strstr(buf, "\"account\":\"")) == NULL)
            continue;
        a += 11;
        e = strchr(a, '"');
        if (e == NULL || e - a >= (int)sizeof topic)
            continue;
        memcpy(topic, a, (size_t)(e - a));
        topic[e - a] = 0;
        zmq_send(pub, topic, strlen(topic), ZMQ_SNDMORE);
        zmq_send(pub, buf, (size_t)n, 0);
    }
    zmq_close(pub);
    zmq_close(pull);
    return NULL;
}

static long long open_topic(const char *topic)
{
    return cb_open((const unsigned char *)g_pull_ep, (int)strlen(g_pull_ep), (const unsigned char *)g_pub_ep,
                   (int)strlen(g_pub_ep), (const unsigned char *)topic, (int)strlen(topic));
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* An EA: open, talk, close, again and again (re-attach, timeframe change). */
static void *ea_thread(void *arg)
{
    int id = (int)(long)arg, i;
    char topic[32], msg[128];
    unsigned char buf[256], err[256];
    snprintf(topic, sizeof topic, "EA%d", id);
    for (i = 0; i < 150; i++) {
        long long h = open_topic(topic);
        int k, got = 0;
        if (h <= 0) {
            cb_last_error(0, err, sizeof err);
            FAIL("ea %d open: %s", id, err);
            continue;
        }
        snprintf(msg, sizeof msg, "{\"type\":\"echo\",\"account\":\"%s\",\"seq\":%d}", topic, i);
        for (k = 0; k < (i % 10 == 0 ? 400 : 3) && !got; k++) {
            int n;
            cb_send(h, (const unsigned char *)msg, (int)strlen(msg));
            sleep_ms(1);
            while ((n = cb_recv(h, buf, sizeof buf, NULL)) > 0)
                got = 1;
            cb_pending(h);
            cb_last_error(h, err, sizeof err);
        }
        if (i % 10 == 0 && !got)
            FAIL("ea %d cycle %d: no echo", id, i);
        if (cb_close(h) != CB_OK)
            FAIL("ea %d close", id);
        if (cb_close(h) != CB_EHANDLE)
            FAIL("ea %d close twice", id);
    }
    return NULL;
}

/* Several threads on one handle while another thread closes it. */
static long long g_shared;
static void *shared_user(void *arg)
{
    unsigned char buf[256];
    int i, needed;
    const char *msg = "{\"type\":\"echo\",\"account\":\"SHARED\"}";
    (void)arg;
    for (i = 0; i < 20000; i++) {
        long long h = __atomic_load_n(&g_shared, __ATOMIC_SEQ_CST);
        int r = (i & 1) ? cb_send(h, (const unsigned char *)msg, (int)strlen(msg))
                        : cb_recv(h, buf, (i & 2) ? 4 : (int)sizeof buf, &needed);
        if (r < 0 && r != CB_EHANDLE && r != CB_EAGAIN && r != CB_ETRUNC)
            FAIL("shared user got %d", r);
        cb_pending(h);
        cb_dropped(h);
        cb_last_error(h, buf, sizeof buf);
        if (r == CB_EHANDLE)
            return NULL;
    }
    return NULL;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    pthread_t hub, eas[6], users[4];
    int i, round;
    pthread_create(&hub, NULL, hub_thread, ctx);
    while (!__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE))
        sleep_ms(1);

    for (i = 0; i < 6; i++)
        pthread_create(&eas[i], NULL, ea_thread, (void *)(long)i);
    for (round = 0; round < 20; round++) {
        g_shared = open_topic("SHARED");
        if (g_shared <= 0)
            FAIL("shared open");
        for (i = 0; i < 4; i++)
            pthread_create(&users[i], NULL, shared_user, NULL);
        sleep_ms(5 + round);
        if (cb_close(g_shared) != CB_OK)
            FAIL("shared close");
        for (i = 0; i < 4; i++)
            pthread_join(users[i], NULL);
    }
    for (i = 0; i < 6; i++)
        pthread_join(eas[i], NULL);

    if (cb_handle_count() != 0)
        FAIL("%d handles left", cb_handle_count());
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    pthread_join(hub, NULL);
    zmq_ctx_term(ctx);
    sleep_ms(100); /* let the bridge's receive thread release the last dropped sockets */
    printf("stress: %d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
