/* X25519 (RFC 7748), the scalar multiplication of TweetNaCl (public domain, Bernstein, van Gastel,
 * Janssen, Lange, Schwabe, Smetsers), for the account proof of cb_open_curve: libzmq exports no
 * Diffie-Hellman of its own. Constant time; only ever computed once per cb_open_curve. */
#ifndef CB_X25519_H
#define CB_X25519_H

typedef long long cb_gf[16];

static void cb_car25519(cb_gf o)
{
    int i;
    long long c;
    for (i = 0; i < 16; i++) {
        o[i] += (1LL << 16);
        c = o[i] >> 16;
        o[(i + 1) * (i < 15)] += c - 1 + 37 * (c - 1) * (i == 15);
        o[i] -= c * 65536; /* not c << 16: c may be negative */
    }
}

static void cb_sel25519(cb_gf p, cb_gf q, int b)
{
    long long t, c = ~(long long)(b - 1);
    int i;
    for (i = 0; i < 16; i++) {
        t = c & (p[i] ^ q[i]);
        p[i] ^= t;
        q[i] ^= t;
    }
}

static void cb_pack25519(unsigned char *o, const cb_gf n)
{
    int i, j, b;
    cb_gf m, t;
    for (i = 0; i < 16; i++)
        t[i] = n[i];
    cb_car25519(t);
    cb_car25519(t);
    cb_car25519(t);
    for (j = 0; j < 2; j++) {
        m[0] = t[0] - 0xffed;
        for (i = 1; i < 15; i++) {
            m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
            m[i - 1] &= 0xffff;
        }
        m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
        b = (int)((m[15] >> 16) & 1);
        m[14] &= 0xffff;
        cb_sel25519(t, m, 1 - b);
    }
    for (i = 0; i < 16; i++) {
        o[2 * i] = (unsigned char)(t[i] & 0xff);
        o[2 * i + 1] = (unsigned char)(t[i] >> 8);
    }
}

static void cb_unpack25519(cb_gf o, const unsigned char *n)
{
    int i;
    for (i = 0; i < 16; i++)
        o[i] = n[2 * i] + ((long long)n[2 * i + 1] << 8);
    o[15] &= 0x7fff;
}

static void cb_fadd(cb_gf o, const cb_gf a, const cb_gf b)
{
    int i;
    for (i = 0; i < 16; i++)
        o[i] = a[i] + b[i];
}

static void cb_fsub(cb_gf o, const cb_gf a, const cb_gf b)
{
    int i;
    for (i = 0; i < 16; i++)
        o[i] = a[i] - b[i];
}

static void cb_fmul(cb_gf o, const cb_gf a, const cb_gf b)
{
    long long t[31];
    int i, j;
    for (i = 0; i < 31; i++)
        t[i] = 0;
    for (i = 0; i < 16; i++)
        for (j = 0; j < 16; j++)
            t[i + j] += a[i] * b[j];
    for (i = 0; i < 15; i++)
        t[i] += 38 * t[i + 16];
    for (i = 0; i < 16; i++)
        o[i] = t[i];
    cb_car25519(o);
    cb_car25519(o);
}

static void cb_inv25519(cb_gf o, const cb_gf in)
{
    cb_gf c;
    int a;
    for (a = 0; a < 16; a++)
        c[a] = in[a];
    for (a = 253; a >= 0; a--) {
        cb_fmul(c, c, c);
        if (a != 2 && a != 4)
            cb_fmul(c, c, in);
    }
    for (a = 0; a < 16; a++)
        o[a] = c[a];
}

/* q = X25519(n, p): n a secret key, p a public key, all 32 bytes. */
static void cb_x25519(unsigned char q[32], const unsigned char n[32], const unsigned char p[32])
{
    static const cb_gf k121665 = {0xDB41, 1};
    unsigned char z[32];
    cb_gf x, a, b, c, d, e, f;
    int i, r;
    for (i = 0; i < 31; i++)
        z[i] = n[i];
    z[31] = (unsigned char)((n[31] & 127) | 64);
    z[0] &= 248;
    cb_unpack25519(x, p);
    for (i = 0; i < 16; i++) {
        b[i] = x[i];
        d[i] = a[i] = c[i] = 0;
    }
    a[0] = d[0] = 1;
    for (i = 254; i >= 0; --i) {
        r = (z[i >> 3] >> (i & 7)) & 1;
        cb_sel25519(a, b, r);
        cb_sel25519(c, d, r);
        cb_fadd(e, a, c);
        cb_fsub(a, a, c);
        cb_fadd(c, b, d);
        cb_fsub(b, b, d);
        cb_fmul(d, e, e);
        cb_fmul(f, a, a);
        cb_fmul(a, c, a);
        cb_fmul(c, b, e);
        cb_fadd(e, a, c);
        cb_fsub(a, a, c);
        cb_fmul(b, a, a);
        cb_fsub(c, d, f);
        cb_fmul(a, c, k121665);
        cb_fadd(a, a, d);
        cb_fmul(c, c, a);
        cb_fmul(a, d, f);
        cb_fmul(d, b, x);
        cb_fmul(b, e, e);
        cb_sel25519(a, b, r);
        cb_sel25519(c, d, r);
    }
    cb_inv25519(c, c);
    cb_fmul(a, a, c);
    cb_pack25519(q, a);
    for (i = 0; i < 32; i++)
        z[i] = 0;
}

#endif
