/*
 * The server's TLS sessions (server/tls.c) against an OpenSSL client, both
 * over memory: the handshake, only released plaintext becoming ciphertext,
 * decryption, close_notify both ways, garbage instead of TLS, and the
 * start-up errors for a missing file or a key of another certificate.  The
 * certificates are made here with OpenSSL's API in temporary files.
 */
#include "check.h"
#include "server/tls.h"
#include "util/error.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/kith-unit-tls-XXXXXX";
static char cert_path[128], key_path[128], other_key_path[128];

static EVP_PKEY *write_key(const char *path)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    FILE *f = fopen(path, "w");
    if (!k || !f) abort();
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return k;
}

/* A self-signed certificate for localhost in cert_path, its key in
 * key_path, and an unrelated key in other_key_path. */
static void make_files(void)
{
    if (!mkdtemp(dir)) abort();
    snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
    snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
    snprintf(other_key_path, sizeof(other_key_path), "%s/other.pem", dir);
    EVP_PKEY *k = write_key(key_path);
    EVP_PKEY_free(write_key(other_key_path));
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, k, EVP_sha256())) abort();
    FILE *f = fopen(cert_path, "w");
    if (!f) abort();
    PEM_write_X509(f, x);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void remove_files(void)
{
    unlink(cert_path);
    unlink(key_path);
    unlink(other_key_path);
    rmdir(dir);
}

/* An OpenSSL client over memory BIOs. */
struct client {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
};

static void client_init(struct client *cl)
{
    cl->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_NONE, NULL); /* self-signed: trust is not tested here */
    cl->ssl = SSL_new(cl->ctx);
    cl->rbio = BIO_new(BIO_s_mem());
    cl->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(cl->rbio, -1);
    SSL_set_bio(cl->ssl, cl->rbio, cl->wbio);
    SSL_set_connect_state(cl->ssl);
}

static void client_release(struct client *cl)
{
    SSL_free(cl->ssl);
    SSL_CTX_free(cl->ctx);
}

/* Moves the client's output to the server and the server's wire to the
 * client; decrypted plaintext on the server side is appended to `got`.
 * Returns the last kith_tls_read code. */
static int pump(struct client *cl, kith_tls *t, kith_buf *got)
{
    char buf[16384];
    int n, rc = 0;
    while ((n = BIO_read(cl->wbio, buf, sizeof(buf))) > 0)
        kith_tls_feed(t, buf, (size_t)n);
    size_t k;
    while ((rc = kith_tls_read(t, buf, sizeof(buf), &k)) == 0 && k > 0)
        kith_buf_append(got, buf, k);
    kith_buf *w = kith_tls_wire(t);
    if (kith_buf_size(w)) BIO_write(cl->rbio, kith_buf_head(w), (int)kith_buf_size(w));
    kith_buf_clear(w);
    return rc;
}

static void handshake(struct client *cl, kith_tls *t, kith_buf *got)
{
    for (int i = 0; i < 10 && !(SSL_is_init_finished(cl->ssl) && kith_tls_ready(t)); i++) {
        SSL_do_handshake(cl->ssl);
        pump(cl, t, got);
    }
}

/* Everything the client can decrypt now, as a string (owned by `out`). */
static const char *client_read(struct client *cl, kith_buf *out)
{
    char buf[16384];
    int n;
    kith_buf_clear(out);
    while ((n = SSL_read(cl->ssl, buf, sizeof(buf))) > 0)
        kith_buf_append(out, buf, (size_t)n);
    kith_buf_append(out, "", 0);
    return kith_buf_head(out);
}

static void test_ctx_errors(void)
{
    char err[512];
    kith_tls_ctx *ctx = NULL;
    CHECK_INT(kith_tls_ctx_new("/nonexistent/cert.pem", key_path, &ctx, err, sizeof(err)),
              KITH_ECONFIG);
    CHECK(ctx == NULL);
    CHECK(strstr(err, "tls_cert") && strstr(err, "/nonexistent/cert.pem"));
    CHECK_INT(kith_tls_ctx_new(cert_path, other_key_path, &ctx, err, sizeof(err)), KITH_ECONFIG);
    CHECK(strstr(err, "tls_key") && strstr(err, "does not match"));
    CHECK_INT(kith_tls_ctx_new(key_path, key_path, &ctx, err, sizeof(err)), KITH_ECONFIG);
    CHECK(strstr(err, "tls_cert") != NULL);
    CHECK_INT(kith_tls_ctx_new("", key_path, &ctx, err, sizeof(err)), KITH_ECONFIG);
    CHECK(strstr(err, "tls_cert") != NULL);
}

static void test_session(kith_tls_ctx *ctx)
{
    struct client cl;
    client_init(&cl);
    kith_tls *t = kith_tls_new(ctx);
    kith_buf got, plain, seen;
    kith_buf_init(&got);
    kith_buf_init(&plain);
    kith_buf_init(&seen);

    /* Before the handshake nothing can be encrypted: the reply waits. */
    kith_buf_appends(&plain, "early\n");
    CHECK_INT(kith_tls_encrypt(t, &plain, kith_buf_size(&plain)), 0);
    CHECK_INT(kith_buf_size(&plain), 6);
    CHECK_INT(kith_buf_size(kith_tls_wire(t)), 0);

    handshake(&cl, t, &got);
    CHECK(SSL_is_init_finished(cl.ssl));
    CHECK(kith_tls_ready(t));

    /* Only the released prefix becomes ciphertext; the rest stays plain. */
    kith_buf_clear(&plain);
    kith_buf_appends(&plain, "{\"id\":1}\n{\"id\":2}\n");
    CHECK_INT(kith_tls_encrypt(t, &plain, 9), 0);
    CHECK_INT(kith_buf_size(&plain), 9);
    pump(&cl, t, &got);
    CHECK_STR(client_read(&cl, &seen), "{\"id\":1}\n");
    CHECK_INT(kith_tls_encrypt(t, &plain, 9), 0);
    CHECK_INT(kith_buf_size(&plain), 0);
    pump(&cl, t, &got);
    CHECK_STR(client_read(&cl, &seen), "{\"id\":2}\n");

    /* Client to server, in pieces, then a large reply back. */
    SSL_write(cl.ssl, "{\"jsonrpc\":", 11);
    SSL_write(cl.ssl, "\"2.0\"}\n", 7);
    CHECK_INT(pump(&cl, t, &got), 0);
    kith_buf_append(&got, "", 0);
    CHECK_STR(kith_buf_head(&got), "{\"jsonrpc\":\"2.0\"}\n");
    size_t big = 3 << 20;
    char *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (char)('a' + i % 26);
    kith_buf_clear(&plain);
    kith_buf_append(&plain, blob, big);
    CHECK_INT(kith_tls_encrypt(t, &plain, big), 0);
    CHECK(kith_buf_size(kith_tls_wire(t)) > big);
    pump(&cl, t, &got);
    client_read(&cl, &seen);
    CHECK_INT(kith_buf_size(&seen), big);
    CHECK(memcmp(kith_buf_head(&seen), blob, big) == 0);
    free(blob);

    /* The server's close_notify, once; then the client's. */
    CHECK_INT(kith_tls_shutdown(t), 1);
    CHECK_INT(kith_tls_shutdown(t), 0);
    pump(&cl, t, &got);
    char c;
    CHECK_INT(SSL_get_error(cl.ssl, SSL_read(cl.ssl, &c, 1)), SSL_ERROR_ZERO_RETURN);
    SSL_shutdown(cl.ssl);
    CHECK_INT(pump(&cl, t, &got), KITH_EIO);
    CHECK(kith_tls_why(t) == NULL); /* a clean end, not a failure */

    kith_buf_release(&got);
    kith_buf_release(&plain);
    kith_buf_release(&seen);
    kith_tls_free(t);
    client_release(&cl);
}

static void test_garbage(kith_tls_ctx *ctx)
{
    kith_tls *t = kith_tls_new(ctx);
    const char *req = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}\n";
    CHECK_INT(kith_tls_feed(t, req, strlen(req)), 0);
    char buf[256];
    size_t got = 99;
    CHECK_INT(kith_tls_read(t, buf, sizeof(buf), &got), KITH_EIO);
    CHECK_INT(got, 0);
    CHECK(kith_tls_why(t) != NULL);
    CHECK(!kith_tls_ready(t));
    kith_buf plain;
    kith_buf_init(&plain);
    kith_buf_appends(&plain, "reply\n");
    /* The session failed: replies to it are dropped, not kept forever. */
    CHECK_INT(kith_tls_encrypt(t, &plain, 6), 0);
    CHECK_INT(kith_buf_size(&plain), 0);
    CHECK_INT(kith_tls_shutdown(t), 0);
    kith_buf_release(&plain);
    kith_tls_free(t);
}

int main(void)
{
    make_files();
    test_ctx_errors();
    char err[512];
    kith_tls_ctx *ctx = NULL;
    int rc = kith_tls_ctx_new(cert_path, key_path, &ctx, err, sizeof(err));
    CHECK_INT(rc, 0);
    if (rc == 0) {
        test_session(ctx);
        test_garbage(ctx);
    } else {
        fprintf(stderr, "%s\n", err);
    }
    kith_tls_ctx_free(ctx);
    remove_files();
    return check_done();
}
