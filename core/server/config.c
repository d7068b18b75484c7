/*
 * See config.h.  The option table is the single description of every
 * setting: defaults, parsing, --help and error messages come from it.  The
 * shipped config/kith.conf documents the same options for humans.
 */
#include "server/config.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_BYTES, OPT_LOG, OPT_SYNC, OPT_CURRENCY };

struct option {
    const char *name;
    int type;
    size_t offset, size;
    const char *def;
    int64_t min, max;
    const char *doc;
};

#define STR(field, def, doc)                                                                       \
    {                                                                                              \
#field, OPT_STR, offsetof(kith_config, field), sizeof(((kith_config *)0)->field), def, 0,  \
            0, doc                                                                                 \
    }
#define NUM(field, type, def, min, max, doc)                                                       \
    {                                                                                              \
#field, type, offsetof(kith_config, field), sizeof(int64_t), def, min, max, doc            \
    }

static const struct option options[] = {
    STR(listen, "127.0.0.1:7411", "TCP listener HOST:PORT, or none"),
    NUM(allow_plain_tcp, OPT_BOOL, "no", 0, 1,
        "yes: let listen be a non-loopback address (unencrypted; prefer tls_listen)"),
    STR(tls_listen, "none", "TLS listener HOST:PORT, or none"),
    STR(tls_cert, "", "PEM certificate chain of tls_listen (leaf first)"),
    STR(tls_key, "", "PEM private key of tls_cert"),
    {"unix", OPT_STR, offsetof(kith_config, unix_path), KITH_PATH_MAX, "", 0, 0,
     "Unix socket path, or none (default <data>/kith.sock)"},
    STR(data, "data", "data folder: the SQLite database and its WAL"),
    STR(scripts, "scripts", "business-rule scripts folder (hot-reloaded)"),
    STR(plugins, "plugins", "plugins folder (hot-reloaded)"),
    {"log_level", OPT_LOG, offsetof(kith_config, log_level), sizeof(int), "info", 0, 0,
     "debug, info, warn or error"},
    {"synchronous", OPT_SYNC, offsetof(kith_config, synchronous), sizeof(int), "full", 0, 0,
     "full (fsync every commit), normal (may lose the last commits on power loss) or off"},
    NUM(record_cache, OPT_BYTES, "256mb", 0, 1LL << 40,
        "memory for customer.get's cache of rendered records (0 = off)"),
    NUM(max_message_bytes, OPT_BYTES, "1mb", 256, 1LL << 30, "largest accepted message"),
    NUM(max_output_bytes, OPT_BYTES, "32mb", 4096, 1LL << 40,
        "unsent output after which a client that does not read is disconnected"),
    NUM(max_connections, OPT_INT, "16384", 1, 1000000,
        "connections beyond this get -32029 overloaded and are closed"),
    NUM(max_nesting, OPT_INT, "64", 2, 128, "deepest JSON nesting accepted in a message"),
    NUM(max_connections_per_address, OPT_INT, "1024", 1, 1000000,
        "TCP connections one client address may hold; beyond it -32029 overloaded"),
    NUM(idle_timeout, OPT_INT, "300", 0, 365LL * 86400,
        "seconds of silence after which a client (not a subscriber) is disconnected (0 = never)"),
    NUM(shutdown_grace, OPT_INT, "5", 0, 3600,
        "seconds to deliver pending replies on shutdown before closing anyway"),
    NUM(script_cpu_ms, OPT_INT, "100", 1, 60000,
        "wall-clock budget of one rule hook call, in milliseconds"),
    NUM(script_memory, OPT_BYTES, "64mb", 1 << 20, 1LL << 34, "memory cap of the rules' Lua state"),
    NUM(max_hook_depth, OPT_INT, "8", 1, 64,
        "how deep rules may trigger each other before the request fails"),
    NUM(watch_scripts, OPT_INT, "1", 0, 1,
        "1: reload the rules when files in the scripts or plugins folder change"),
    NUM(event_retention_days, OPT_INT, "30", 1, 36500,
        "days of events kept for subscribers resuming with since"),
    NUM(event_retention_count, OPT_INT, "1000000", 1000, 1000000000,
        "events kept at most, however recent"),
    NUM(audit_retention_days, OPT_INT, "365", 1, 36500,
        "days of audit trail kept (audit.list); older rows are trimmed in the background"),
    NUM(schedule_skip_missed, OPT_INT, "0", 0, 1,
        "0: a schedule that missed runs while kithd was down runs once at start; 1: skip them"),
    {"default_currency", OPT_CURRENCY, offsetof(kith_config, default_currency), 4, "USD", 0, 0,
     "ISO 4217 currency of orders that do not name one"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option *find(const char *name)
{
    char norm[64];
    size_t n = strlen(name);
    if (n >= sizeof(norm)) return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = name[i] == '-' ? '_' : name[i];
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].name, norm) == 0) return &options[i];
    return NULL;
}

int kith_config_has(const char *name)
{
    return strncmp(name, "plugin.", 7) == 0 || find(name) != NULL;
}

/* Parses "123", "64kb", "32mb", "1gb" (powers of 1024). */
static int parse_bytes(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || errno || n < 0) return -1;
    int64_t mul = 1;
    if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "k") == 0)
        mul = 1024;
    else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "m") == 0)
        mul = 1024 * 1024;
    else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "g") == 0)
        mul = 1024 * 1024 * 1024;
    else if (*end)
        return -1;
    if (n > INT64_MAX / mul) return -1;
    *out = n * mul;
    return 0;
}

static int set_value(kith_config *c, const struct option *o, const char *v, char *why, size_t wl)
{
    char *field = (char *)c + o->offset;
    int64_t n;
    char *end;
    switch (o->type) {
    case OPT_STR:
        if (strlen(v) >= o->size) return snprintf(why, wl, "value too long"), -1;
        memcpy(field, v, strlen(v) + 1);
        return 0;
    case OPT_INT:
    case OPT_BYTES:
        errno = 0;
        if (o->type == OPT_BYTES) {
            if (parse_bytes(v, &n) < 0)
                return snprintf(why, wl, "expected a size like 1048576 or 32mb"), -1;
        } else {
            n = strtoll(v, &end, 10);
            if (end == v || *end || errno) return snprintf(why, wl, "expected an integer"), -1;
        }
        if (n < o->min || n > o->max)
            return snprintf(why, wl, "must be between %lld and %lld", (long long)o->min,
                            (long long)o->max),
                   -1;
        memcpy(field, &n, sizeof(n));
        return 0;
    case OPT_BOOL:
        if (strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
            n = 1;
        else if (strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
            n = 0;
        else
            return snprintf(why, wl, "expected yes or no"), -1;
        memcpy(field, &n, sizeof(n));
        return 0;
    case OPT_LOG: {
        int level;
        if (kith_log_parse_level(v, &level) < 0)
            return snprintf(why, wl, "expected debug, info, warn or error"), -1;
        memcpy(field, &level, sizeof(level));
        return 0;
    }
    case OPT_SYNC: {
        int mode = strcasecmp(v, "full") == 0     ? KITH_SYNC_FULL
                   : strcasecmp(v, "normal") == 0 ? KITH_SYNC_NORMAL
                   : strcasecmp(v, "off") == 0    ? KITH_SYNC_OFF
                                                  : -1;
        if (mode < 0) return snprintf(why, wl, "expected full, normal or off"), -1;
        memcpy(field, &mode, sizeof(mode));
        return 0;
    }
    case OPT_CURRENCY:
        if (strlen(v) != 3 || !isupper((unsigned char)v[0]) || !isupper((unsigned char)v[1]) ||
            !isupper((unsigned char)v[2]))
            return snprintf(why, wl, "expected an ISO 4217 code like EUR"), -1;
        memcpy(field, v, 4);
        return 0;
    }
    return -1;
}

void kith_config_init(kith_config *c)
{
    memset(c, 0, sizeof(*c));
    char why[128];
    for (size_t i = 0; i < NOPTIONS; i++)
        if (set_value(c, &options[i], options[i].def, why, sizeof(why)) < 0)
            kith_assert(!"bad default in the option table");
    snprintf(c->config_path, sizeof(c->config_path), "config/kith.conf");
}

/* plugin.<name>.<key> value: kept for the plugin to check against its own
 * schema when it loads. */
static int set_plugin(kith_config *c, const char *name, const char *value, const char *where,
                      char *err, size_t errlen)
{
    const char *dot = strchr(name + 7, '.');
    if (!dot || dot == name + 7 || !dot[1] ||
        (size_t)(dot - name - 7) >= sizeof(c->plugins_conf[0].plugin) ||
        strlen(dot + 1) >= sizeof(c->plugins_conf[0].key) ||
        strlen(value) >= sizeof(c->plugins_conf[0].value)) {
        snprintf(err, errlen, "%s: '%s' should be plugin.<name>.<setting> (with a short value)",
                 where, name);
        return KITH_ECONFIG;
    }
    kith_plugin_setting *p = NULL;
    for (size_t i = 0; i < c->nplugins_conf; i++)
        if (strncmp(c->plugins_conf[i].plugin, name + 7, (size_t)(dot - name - 7)) == 0 &&
            c->plugins_conf[i].plugin[dot - name - 7] == '\0' &&
            strcmp(c->plugins_conf[i].key, dot + 1) == 0)
            p = &c->plugins_conf[i];
    if (!p) {
        if (c->nplugins_conf == sizeof(c->plugins_conf) / sizeof(c->plugins_conf[0])) {
            snprintf(err, errlen, "%s: too many plugin settings", where);
            return KITH_ECONFIG;
        }
        p = &c->plugins_conf[c->nplugins_conf++];
        snprintf(p->plugin, sizeof(p->plugin), "%.*s", (int)(dot - name - 7), name + 7);
        snprintf(p->key, sizeof(p->key), "%s", dot + 1);
    }
    snprintf(p->value, sizeof(p->value), "%s", value);
    snprintf(p->where, sizeof(p->where), "%s", where);
    return 0;
}

int kith_config_set(kith_config *c, const char *name, const char *value, const char *where,
                    char *err, size_t errlen)
{
    if (strncmp(name, "plugin.", 7) == 0) return set_plugin(c, name, value, where, err, errlen);
    const struct option *o = find(name);
    if (!o) {
        snprintf(err, errlen, "%s: unknown option '%s'", where, name);
        return KITH_ECONFIG;
    }
    char why[128];
    if (set_value(c, o, value, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: bad value '%s' for %s: %s", where, value, o->name, why);
        return KITH_ECONFIG;
    }
    return 0;
}

int kith_config_load(kith_config *c, const char *path, int required, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!required && errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return KITH_ECONFIG;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        lineno++;
        char where[KITH_PATH_MAX + 32];
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s: line too long", where);
            rc = KITH_ECONFIG;
            break;
        }
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '#' || *p == '\0') continue;
        char *name = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p) *p++ = '\0';
        while (isspace((unsigned char)*p))
            p++;
        char *value = p;
        /* A value runs to the end of the line; trailing blanks and a
         * trailing comment are not part of it. */
        char *hash = strstr(value, " #");
        if (hash) *hash = '\0';
        size_t n = strlen(value);
        while (n > 0 && isspace((unsigned char)value[n - 1]))
            value[--n] = '\0';
        if (n == 0) {
            snprintf(err, errlen, "%s: option '%s' has no value", where, name);
            rc = KITH_ECONFIG;
            break;
        }
        rc = kith_config_set(c, name, value, where, err, errlen);
    }
    fclose(f);
    return rc;
}

void kith_config_print_help(void)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", options[i].name);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_') *p = '-';
        printf("  %-22s %s (default: %s)\n", flag, options[i].doc,
               options[i].def[0] ? options[i].def : "see description");
    }
}

const char *kith_config_unix_path(const kith_config *c, char *buf, size_t len)
{
    if (strcmp(c->unix_path, "none") == 0)
        snprintf(buf, len, "%s", "");
    else if (c->unix_path[0])
        snprintf(buf, len, "%s", c->unix_path);
    else
        snprintf(buf, len, "%s/kith.sock", c->data);
    return buf;
}

void kith_config_script_options(const kith_config *cfg, kith_script_options *so)
{
    *so = (kith_script_options){.scripts_dir = cfg->scripts,
                                .plugins_dir = cfg->plugins,
                                .cpu_limit_ms = cfg->script_cpu_ms,
                                .mem_limit = (size_t)cfg->script_memory,
                                .max_hook_depth = (int)cfg->max_hook_depth,
                                .plugin_settings = cfg->plugins_conf,
                                .nplugin_settings = cfg->nplugins_conf};
}
