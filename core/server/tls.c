/*
 * TLS sessions over memory BIOs; see tls.h.  OpenSSL's error queue is per
 * thread and outlives a call, so every SSL call here is preceded by
 * ERR_clear_error(): a stale entry would make SSL_get_error() misreport the
 * next connection's state.
 */
#include "server/tls.h"
#include "util/error.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kith_tls_ctx {
    SSL_CTX *ssl_ctx;
};

struct kith_tls {
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl: ciphertext in, ciphertext out */
    kith_buf wire;    /* ciphertext drained from wbio, waiting for the socket */
    int shutdown_sent;
    int broken;    /* a fatal error: nothing more can be encrypted */
    char why[160]; /* why the session failed; empty when it did not */
};

/* The OpenSSL reason of the newest queued error, or `fallback`. */
static void openssl_reason(char *out, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(out, len, "%s", r ? r : fallback);
    ERR_clear_error();
}

/* OpenSSL 3 notices a key of another certificate while loading it. */
static int key_mismatch(void)
{
    int r = ERR_GET_REASON(ERR_peek_last_error());
    return r == X509_R_KEY_VALUES_MISMATCH || r == X509_R_KEY_TYPE_MISMATCH;
}

/* A readable file gives a clearer message than OpenSSL's "system lib". */
static int check_readable(const char *option, const char *path, char *err, size_t errlen)
{
    if (!path[0]) {
        snprintf(err, errlen, "tls_listen is set but %s is not (a PEM file)", option);
        return KITH_ECONFIG;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read '%s': %s", option, path, strerror(errno));
        return KITH_ECONFIG;
    }
    fclose(f);
    return 0;
}

int kith_tls_ctx_new(const char *cert, const char *key, kith_tls_ctx **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    int rc = check_readable("tls_cert", cert, err, errlen);
    if (!rc) rc = check_readable("tls_key", key, err, errlen);
    if (rc) return rc;
    kith_tls_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return KITH_ENOMEM;
    ERR_clear_error();
    char why[128];
    ctx->ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx->ssl_ctx) {
        openssl_reason(why, sizeof(why), "unknown");
        snprintf(err, errlen, "tls: cannot create a TLS context: %s", why);
        free(ctx);
        return KITH_ENOMEM;
    }
    SSL_CTX *sc = ctx->ssl_ctx;
    SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION);
    /* Renegotiation and compression only ever served attackers here; the
     * server's cipher order is the considered one. */
    SSL_CTX_set_options(sc, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Idle connections (subscribers) then hold no TLS record buffers. */
    SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(sc, cert) != 1) {
        openssl_reason(why, sizeof(why), "not a PEM certificate");
        snprintf(err, errlen, "tls_cert: cannot load '%s': %s", cert, why);
        rc = KITH_ECONFIG;
    } else if (SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM) != 1 && !key_mismatch()) {
        openssl_reason(why, sizeof(why), "not a PEM private key");
        snprintf(err, errlen, "tls_key: cannot load '%s': %s", key, why);
        rc = KITH_ECONFIG;
    } else if (key_mismatch() || SSL_CTX_check_private_key(sc) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "tls_key: '%s' does not match the certificate in tls_cert '%s'", key,
                 cert);
        rc = KITH_ECONFIG;
    }
    if (rc) {
        kith_tls_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

void kith_tls_ctx_free(kith_tls_ctx *ctx)
{
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl_ctx); /* reference counted: live sessions keep it */
    free(ctx);
}

kith_tls *kith_tls_new(kith_tls_ctx *ctx)
{
    kith_tls *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    ERR_clear_error();
    t->ssl = SSL_new(ctx->ssl_ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return NULL;
    }
    /* An empty read BIO means "wait for more", not end of stream. */
    BIO_set_mem_eof_return(t->rbio, -1);
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_accept_state(t->ssl);
    kith_buf_init(&t->wire);
    return t;
}

void kith_tls_free(kith_tls *t)
{
    if (!t) return;
    SSL_free(t->ssl); /* frees both BIOs */
    kith_buf_release(&t->wire);
    free(t);
}

/* Moves whatever OpenSSL has written into the wire buffer. */
static int drain(kith_tls *t)
{
    size_t pending;
    while ((pending = BIO_ctrl_pending(t->wbio)) > 0) {
        if (kith_buf_reserve(&t->wire, pending) < 0) return KITH_ENOMEM;
        int chunk = pending > INT_MAX ? INT_MAX : (int)pending;
        int n = BIO_read(t->wbio, t->wire.data + t->wire.len, chunk);
        if (n <= 0) break;
        t->wire.len += (size_t)n;
        t->wire.data[t->wire.len] = '\0';
    }
    return 0;
}

int kith_tls_feed(kith_tls *t, const char *cipher, size_t n)
{
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        int w = BIO_write(t->rbio, cipher, chunk);
        if (w <= 0) return KITH_ENOMEM;
        cipher += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Records why the session ended after SSL call `ret` failed. */
static int failed(kith_tls *t, int ret)
{
    int e = SSL_get_error(t->ssl, ret);
    if (e == SSL_ERROR_ZERO_RETURN) {
        t->why[0] = '\0'; /* the peer's close_notify: a clean end */
        ERR_clear_error();
    } else {
        t->broken = 1;
        openssl_reason(t->why, sizeof(t->why),
                       e == SSL_ERROR_SYSCALL ? "unexpected end of the TLS stream"
                                              : "TLS protocol error");
    }
    drain(t); /* an alert telling the peer why, if OpenSSL made one */
    return KITH_EIO;
}

int kith_tls_read(kith_tls *t, char *buf, size_t cap, size_t *got)
{
    *got = 0;
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (n > 0) {
        *got = (size_t)n;
        return drain(t);
    }
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return drain(t);
    return failed(t, n);
}

const char *kith_tls_why(const kith_tls *t)
{
    return t->why[0] ? t->why : NULL;
}

int kith_tls_ready(const kith_tls *t)
{
    return SSL_is_init_finished(t->ssl);
}

int kith_tls_encrypt(kith_tls *t, kith_buf *plain, size_t n)
{
    if (t->broken) {
        /* The session failed: these replies can never be delivered, and the
         * alert already on the wire is what the peer gets. */
        kith_buf_consume(plain, n);
        return 0;
    }
    if (!kith_tls_ready(t) || t->shutdown_sent) return 0;
    while (n > 0) {
        /* Memory BIOs never push back, so SSL_write takes all or fails. */
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        ERR_clear_error();
        int w = SSL_write(t->ssl, kith_buf_head(plain), chunk);
        if (w <= 0) return failed(t, w);
        kith_buf_consume(plain, (size_t)w);
        n -= (size_t)w;
        int rc = drain(t);
        if (rc < 0) return rc;
    }
    return 0;
}

int kith_tls_shutdown(kith_tls *t)
{
    if (t->shutdown_sent || t->broken || !kith_tls_ready(t)) return 0;
    t->shutdown_sent = 1;
    size_t before = kith_buf_size(&t->wire);
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
    drain(t);
    return kith_buf_size(&t->wire) > before;
}

kith_buf *kith_tls_wire(kith_tls *t)
{
    return &t->wire;
}
