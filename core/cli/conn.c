/*
 * The client's socket: see conn.h.  Everything blocks; the client has one
 * request in flight and nothing else to do while it waits.
 *
 * A reply is matched to its request by id.  The one exception is a reply
 * with a null id carrying an error: the server sends that when it could not
 * read the request well enough to learn its id (-32700), and since this
 * client has only one request in flight, that error is about it.
 *
 * A subscriber waits with poll() on the socket and a wake-up descriptor
 * rather than in recv(): a signal handler that writes to a pipe ends the
 * wait without the race of checking a flag just before blocking.
 */
#include "cli/conn.h"
#include "util/error.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* How much room to make before each recv(); replies are usually small,
 * lists of a thousand customers are not. */
#define READ_CHUNK 65536

void kith_cli_conn_init(kith_cli_conn *c)
{
    c->fd = -1;
    c->next_id = 1;
    kith_buf_init(&c->in);
    c->held = NULL;
    c->hold_notifications = 0;
    c->err[0] = '\0';
}

void kith_cli_conn_release(kith_cli_conn *c)
{
    kith_cli_conn_close(c);
    kith_buf_release(&c->in);
}

void kith_cli_conn_close(kith_cli_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    kith_buf_clear(&c->in);
    kith_cli_conn_drop_held(c);
}

void kith_cli_conn_drop_held(kith_cli_conn *c)
{
    cJSON_Delete(c->held);
    c->held = NULL;
}

/* Nobody listening is the usual reason a connect fails; saying so saves
 * the user a guess. */
static const char *hint(int err)
{
    return err == ECONNREFUSED || err == ENOENT ? " (is kithd running?)" : "";
}

int kith_cli_conn_open_tcp(kith_cli_conn *c, const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int grc = getaddrinfo(host, port, &hints, &res);
    if (grc != 0) {
        snprintf(c->err, sizeof(c->err), "cannot resolve %s: %s", host, gai_strerror(grc));
        return KITH_EIO;
    }

    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s port %s: %s%s", host, port,
                 strerror(saved), hint(saved));
        return KITH_EIO;
    }
    /* Requests are small and each waits for its reply: Nagle would only
     * add latency. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    kith_cli_conn_close(c);
    c->fd = fd;
    return 0;
}

int kith_cli_conn_open_unix(kith_cli_conn *c, const char *path)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s: the path is too long", path);
        return KITH_EIO;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s: %s%s", path, strerror(errno),
                 hint(errno));
        if (fd >= 0) close(fd);
        return KITH_EIO;
    }
    kith_cli_conn_close(c);
    c->fd = fd;
    return 0;
}

/* Fails the connection: records why, closes it, returns KITH_EIO. */
static int broken(kith_cli_conn *c, const char *why)
{
    snprintf(c->err, sizeof(c->err), "%s", why);
    kith_cli_conn_close(c);
    return KITH_EIO;
}

static int send_all(kith_cli_conn *c, const char *p, size_t n)
{
    while (n > 0) {
        /* MSG_NOSIGNAL: a server that went away is an error to report,
         * not a SIGPIPE that kills the client silently. */
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            char why[160];
            snprintf(why, sizeof(why), "lost the connection to the server: %s", strerror(errno));
            return broken(c, why);
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Waits until the socket or wake_fd is readable.  Returns 1 when wake_fd
 * is, 0 when the socket is (or may be: errors show in the recv() that
 * follows). */
static int wait_readable(int fd, int wake_fd)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 0;
        if (p[1].revents) return 1;
        if (p[0].revents) return 0;
    }
}

/* Reads the next non-blank line and parses it.  Returns 0 with *msg owned
 * by the caller (NULL when wake_fd, if not negative, became readable first),
 * or KITH_EIO / KITH_ENOMEM. */
static int read_message(kith_cli_conn *c, int wake_fd, cJSON **msg)
{
    *msg = NULL;
    /* Bytes already searched for a newline, counted from the head (which
     * compaction moves, but never past unconsumed bytes): a reply of many
     * megabytes is then scanned once, not once per recv(). */
    size_t searched = 0;
    for (;;) {
        char *head = kith_buf_head(&c->in);
        size_t have = kith_buf_size(&c->in);
        char *nl = have > searched ? memchr(head + searched, '\n', have - searched) : NULL;
        searched = have;
        if (nl) {
            searched = 0;
            size_t len = (size_t)(nl - head);
            size_t start = 0;
            while (start < len &&
                   (head[start] == ' ' || head[start] == '\t' || head[start] == '\r'))
                start++;
            cJSON *v = start < len ? cJSON_ParseWithLength(head, len) : NULL;
            kith_buf_consume(&c->in, len + 1);
            if (start == len) continue;
            if (!v) return broken(c, "the server sent something that is not JSON");
            *msg = v;
            return 0;
        }
        if (c->fd < 0) return broken(c, "not connected");
        if (wake_fd >= 0 && wait_readable(c->fd, wake_fd)) return 0;
        if (kith_buf_reserve(&c->in, READ_CHUNK) < 0) return KITH_ENOMEM;
        ssize_t k = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
        if (k < 0) {
            if (errno == EINTR) continue;
            char why[160];
            snprintf(why, sizeof(why), "lost the connection to the server: %s", strerror(errno));
            return broken(c, why);
        }
        if (k == 0) return broken(c, "the server closed the connection");
        c->in.len += (size_t)k;
        c->in.data[c->in.len] = '\0';
    }
}

/* Builds the request line: compact JSON and "\n".  Takes `params`. */
static int build_request(long long id, const char *method, cJSON *params, char **line)
{
    cJSON *req = cJSON_CreateObject();
    if (!req) {
        cJSON_Delete(params);
        return KITH_ENOMEM;
    }
    int ok = cJSON_AddStringToObject(req, "jsonrpc", "2.0") &&
             cJSON_AddNumberToObject(req, "id", (double)id) &&
             cJSON_AddStringToObject(req, "method", method);
    if (ok && params && !cJSON_AddItemToObject(req, "params", params)) {
        cJSON_Delete(params);
        ok = 0;
    } else if (!ok) {
        cJSON_Delete(params);
    }
    char *text = ok ? cJSON_PrintUnformatted(req) : NULL;
    cJSON_Delete(req);
    if (!text) return KITH_ENOMEM;

    size_t n = strlen(text);
    char *grown = realloc(text, n + 2);
    if (!grown) {
        free(text);
        return KITH_ENOMEM;
    }
    grown[n] = '\n';
    grown[n + 1] = '\0';
    *line = grown;
    return 0;
}

static int is_our_reply(const cJSON *msg, long long id)
{
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(msg, "id");
    if (cJSON_IsNumber(mid)) return mid->valuedouble == (double)id;
    return cJSON_IsNull(mid) && cJSON_GetObjectItemCaseSensitive(msg, "error") != NULL;
}

static int is_notification(const cJSON *msg)
{
    return cJSON_IsObject(msg) && cJSON_HasObjectItem(msg, "method") &&
           !cJSON_HasObjectItem(msg, "id");
}

int kith_cli_conn_call(kith_cli_conn *c, const char *method, cJSON *params, cJSON **reply)
{
    *reply = NULL;
    if (c->fd < 0) {
        cJSON_Delete(params);
        return broken(c, "not connected");
    }
    long long id = c->next_id++;
    char *line;
    int rc = build_request(id, method, params, &line);
    if (rc < 0) return rc;
    rc = send_all(c, line, strlen(line));
    free(line);
    if (rc < 0) return rc;

    for (;;) {
        cJSON *msg;
        if ((rc = read_message(c, -1, &msg)) < 0) return rc;
        /* Only an object with our id is our reply; anything else is a
         * notification (an event for a subscriber), kept only when asked. */
        if (cJSON_IsObject(msg) && is_our_reply(msg, id)) {
            *reply = msg;
            return 0;
        }
        if (c->hold_notifications && is_notification(msg)) {
            if (!c->held && !(c->held = cJSON_CreateArray())) {
                /* A subscriber must not miss an event silently. */
                cJSON_Delete(msg);
                kith_cli_conn_close(c);
                return KITH_ENOMEM;
            }
            cJSON_AddItemToArray(c->held, msg);
            continue;
        }
        cJSON_Delete(msg);
    }
}

int kith_cli_conn_next(kith_cli_conn *c, int wake_fd, cJSON **msg)
{
    if (c->held && c->held->child) {
        *msg = cJSON_DetachItemViaPointer(c->held, c->held->child);
        return 0;
    }
    return read_message(c, wake_fd, msg);
}
