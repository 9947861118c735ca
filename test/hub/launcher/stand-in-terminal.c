/*
 * A stand-in for terminal64.exe on Windows (built with mingw, run under wine by the tests). Like
 * MetaTrader 5 it reads the /config: file's [StartUp] section and, from its data folder (with
 * /portable: its own folder), the .set file named by ExpertParameters in MQL5\Presets. Then it
 * plays a minimal EA through MQL5\Libraries\copybridge.dll: hello until welcomed, heartbeats; a
 * master reports a buy deal when "buy" is appended to %CB_STANDIN_DIR%\<account>.ctl ("exit" ends
 * it, "crash" ends it with code 3 at once), a slave answers every open command with a done result. A window of its own takes WM_CLOSE (taskkill),
 * like the terminal's main window. Every start and event is a line in %CB_STANDIN_DIR%\launches.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <windows.h>

typedef long long (*open_fn)(const unsigned char *, int, const unsigned char *, int, const unsigned char *, int);
typedef int (*send_fn)(long long, const unsigned char *, int);
typedef int (*recv_fn)(long long, unsigned char *, int, int *);
typedef int (*close_fn)(long long);

static char g_dir[MAX_PATH], g_account[80];
static int g_closing;

static void record(const char *fmt, const char *a, const char *b)
{
    char path[MAX_PATH];
    snprintf(path, sizeof path, "%s\\launches.txt", g_dir);
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "pid=%lu ", GetCurrentProcessId());
    fprintf(f, fmt, a, b);
    fputc('\n', f);
    fclose(f);
}

/* The text of a file: UTF-16LE with a byte order mark (what MetaTrader writes) narrowed to ASCII, or as is. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 2, f);
    fclose(f);
    buf[n] = buf[n + 1] = 0;
    if (n >= 2 && (unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) {
        size_t j = 0;
        for (size_t i = 2; i + 1 < n; i += 2) buf[j++] = buf[i];
        buf[j] = 0;
    }
    return strdup(buf);
}

/* Value of key= in text (first match at a line start), copied to out. */
static int ini_value(const char *text, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            size_t i = 0;
            for (p += k + 1; *p && *p != '\r' && *p != '\n' && i + 1 < cap; p++) out[i++] = *p;
            out[i] = 0;
            return 1;
        }
    }
    return 0;
}

static void json_str(const char *msg, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(msg, pat);
    size_t i = 0;
    if (p)
        for (p += strlen(pat); *p && *p != '"' && i + 1 < cap; p++) out[i++] = *p;
    out[i] = 0;
}

static LRESULT CALLBACK wndproc(HWND h, UINT m, WPARAM w, LPARAM l)
{
    if (m == WM_CLOSE) {
        g_closing = 1;
        return 0;
    }
    return DefWindowProcA(h, m, w, l);
}

/* Wall clock in ms, as MetaTrader stamps deals: whole seconds would date a deal made in the
 * hub's first second before the hub started. */
static long long now_ms(void)
{
    FILETIME ft;
    ULARGE_INTEGER t;
    GetSystemTimeAsFileTime(&ft);
    t.LowPart = ft.dwLowDateTime;
    t.HighPart = ft.dwHighDateTime;
    return (long long)((t.QuadPart - 116444736000000000ULL) / 10000ULL);
}

int main(void)
{
    const char *dir = getenv("CB_STANDIN_DIR");
    if (!dir) return 2;
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    const char *cmdline = GetCommandLineA();
    record("argv=%s%s", cmdline, "");

    char exe[MAX_PATH], data[MAX_PATH], ini[MAX_PATH] = "", path[MAX_PATH];
    GetModuleFileNameA(NULL, exe, MAX_PATH);
    strcpy(data, exe);
    *strrchr(data, '\\') = 0;
    const char *c = strstr(cmdline, "/config:");
    if (!c || !strstr(cmdline, "/portable")) {
        record("error=%s%s", "needs /config: and /portable", "");
        return 2;
    }
    c += 8;
    int quoted = *c == '"';
    size_t i = 0;
    for (c += quoted; *c && (quoted ? *c != '"' : *c != ' ') && i + 1 < sizeof ini; c++) ini[i++] = *c;
    ini[i] = 0;
    char *config = read_text(ini);
    char set[128] = "", expert[64] = "";
    if (!config || !ini_value(config, "ExpertParameters", set, sizeof set) || !ini_value(config, "Expert", expert, sizeof expert)) {
        record("error=cannot read [StartUp] of %s%s", ini, "");
        return 2;
    }
    snprintf(path, sizeof path, "%s\\MQL5\\Presets\\%s", data, set);
    char *inputs = read_text(path);
    char host[64], pull[16], pub[16];
    if (!inputs || !ini_value(inputs, "InpHubHost", host, sizeof host) || !ini_value(inputs, "InpHubPullPort", pull, sizeof pull) ||
        !ini_value(inputs, "InpHubPubPort", pub, sizeof pub) || !ini_value(inputs, "InpAccountName", g_account, sizeof g_account)) {
        record("error=cannot read the inputs in %s%s", path, "");
        return 2;
    }
    record("account=%s expert=%s", g_account, expert);

    snprintf(path, sizeof path, "%s\\MQL5\\Libraries\\copybridge.dll", data);
    HMODULE dll = LoadLibraryA(path);
    if (!dll) {
        record("error=cannot load %s%s", path, "");
        return 3;
    }
    open_fn cb_open = (open_fn)GetProcAddress(dll, "cb_open");
    send_fn cb_send = (send_fn)GetProcAddress(dll, "cb_send");
    recv_fn cb_recv = (recv_fn)GetProcAddress(dll, "cb_recv");
    close_fn cb_close = (close_fn)GetProcAddress(dll, "cb_close");
    char push_ep[128], sub_ep[128];
    snprintf(push_ep, sizeof push_ep, "tcp://%s:%s", host, pull);
    snprintf(sub_ep, sizeof sub_ep, "tcp://%s:%s", host, pub);
    long long h = cb_open((const unsigned char *)push_ep, (int)strlen(push_ep), (const unsigned char *)sub_ep, (int)strlen(sub_ep),
                          (const unsigned char *)g_account, (int)strlen(g_account));
    if (h <= 0) {
        record("error=cb_open failed%s%s", "", "");
        return 3;
    }

    WNDCLASSA wc = {0};
    wc.lpfnWndProc = wndproc;
    wc.lpszClassName = "CopyBridgeStandIn";
    RegisterClassA(&wc);
    CreateWindowA("CopyBridgeStandIn", g_account, WS_OVERLAPPEDWINDOW, 0, 0, 100, 100, NULL, NULL, NULL, NULL);

    char ctl[MAX_PATH], msg[4096], out[1024], role[16] = "";
    snprintf(ctl, sizeof ctl, "%s\\%s.ctl", g_dir, g_account);
    long seq = 0, ctl_seen = 0, tickets = 7000;
    /* only lines written after this start count: a restarted stand-in must not crash again */
    FILE *old = fopen(ctl, "rb");
    if (old) {
        fseek(old, 0, SEEK_END);
        ctl_seen = ftell(old);
        fclose(old);
    }
    DWORD last_hello = 0, last_beat = 0;
    int welcomed = 0;
    for (;;) {
        MSG m;
        while (PeekMessageA(&m, NULL, 0, 0, PM_REMOVE)) DispatchMessageA(&m);
        if (g_closing) break;
        DWORD now = GetTickCount();
        long long ts = now_ms();
        if (!welcomed && now - last_hello >= 1000) {
            last_hello = now;
            snprintf(out, sizeof out, "{\"v\":1,\"type\":\"hello\",\"account\":\"%s\",\"seq\":%ld,\"ts\":%lld,\"login\":4242,\"server\":\"Wine-Demo\",\"broker\":\"Wine Broker\",\"currency\":\"USD\",\"margin_mode\":\"hedging\",\"ea_version\":\"stand-in\"}", g_account, ++seq, ts);
            cb_send(h, (const unsigned char *)out, (int)strlen(out));
        }
        if (welcomed && now - last_beat >= 1000) {
            last_beat = now;
            snprintf(out, sizeof out, "{\"v\":1,\"type\":\"heartbeat\",\"account\":\"%s\",\"seq\":%ld,\"ts\":%lld,\"balance\":10000,\"equity\":10000,\"margin\":0}", g_account, ++seq, ts);
            cb_send(h, (const unsigned char *)out, (int)strlen(out));
        }
        int n;
        while ((n = cb_recv(h, (unsigned char *)msg, sizeof msg - 1, NULL)) > 0) {
            msg[n] = 0;
            char type[32], cmd[80];
            json_str(msg, "type", type, sizeof type);
            if (strcmp(type, "welcome") == 0) {
                welcomed = 1;
                json_str(msg, "role", role, sizeof role);
                record("welcome role=%s%s", role, "");
            } else if (strcmp(type, "open") == 0) {
                json_str(msg, "cmd_id", cmd, sizeof cmd);
                const char *vol = strstr(msg, "\"volume\":");
                double volume = vol ? atof(vol + 9) : 0;
                ++tickets;
                snprintf(out, sizeof out, "{\"v\":1,\"type\":\"result\",\"account\":\"%s\",\"seq\":%ld,\"ts\":%lld,\"cmd_id\":\"%s\",\"status\":\"done\",\"retcode\":10009,\"message\":\"done\",\"ticket\":\"%ld\",\"position\":\"%ld\",\"price\":1.1,\"volume\":%g}",
                         g_account, ++seq, ts, cmd, tickets, tickets, volume);
                cb_send(h, (const unsigned char *)out, (int)strlen(out));
                record("open %s -> done #%s", cmd, "");
            }
        }
        FILE *f = fopen(ctl, "rb");
        if (f) {
            char line[64] = "";
            fseek(f, ctl_seen, SEEK_SET);
            /* a trade waits until the hub welcomed this terminal (PUB/SUB may drop the first welcome) */
            if (fgets(line, sizeof line, f) && (welcomed || strncmp(line, "buy", 3) != 0)) {
                ctl_seen += (long)strlen(line);
                if (strncmp(line, "crash", 5) == 0) {
                    record("crash on request%s%s", "", "");
                    ExitProcess(3);
                }
                if (strncmp(line, "exit", 4) == 0) {
                    fclose(f);
                    record("exit on request%s%s", "", "");
                    break;
                }
                if (strncmp(line, "buy", 3) == 0) {
                    snprintf(out, sizeof out, "{\"v\":1,\"type\":\"deal\",\"account\":\"%s\",\"seq\":%ld,\"ts\":%lld,\"deal\":\"9001\",\"order\":\"8001\",\"position\":\"5001\",\"symbol\":\"EURUSD\",\"side\":\"buy\",\"entry\":\"in\",\"volume\":0.3,\"price\":1.1,\"magic\":0,\"comment\":\"\",\"reason\":\"client\",\"time_ms\":%lld,\"position_volume\":0.3,\"position_side\":\"buy\"}",
                             g_account, ++seq, ts, ts);
                    cb_send(h, (const unsigned char *)out, (int)strlen(out));
                    record("deal sent%s%s", "", "");
                }
            }
            fclose(f);
        }
        Sleep(20);
    }
    if (g_closing) record("closed on WM_CLOSE%s%s", "", "");
    cb_close(h);
    return 0;
}
