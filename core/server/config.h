/*
 * Configuration: one table of options, each settable in the config file
 * (`name value`, `#` comments) and by a flag (`--name value`, dashes or
 * underscores alike); the flag wins.  Unknown options and bad values are
 * errors that name the file and line (or the flag), so a typo never starts
 * a server with a setting silently ignored.
 */
#ifndef KITH_SERVER_CONFIG_H
#define KITH_SERVER_CONFIG_H

#include "script/script.h"

#include <stddef.h>
#include <stdint.h>

#define KITH_PATH_MAX 1024

typedef struct kith_config {
    char config_path[KITH_PATH_MAX];
    char listen[256];              /* "HOST:PORT" or "none" */
    int64_t allow_plain_tcp;       /* 1: `listen` may be a non-loopback address */
    char tls_listen[256];          /* "HOST:PORT" or "none" */
    char tls_cert[KITH_PATH_MAX];  /* PEM certificate chain for tls_listen */
    char tls_key[KITH_PATH_MAX];   /* PEM private key of tls_cert */
    char unix_path[KITH_PATH_MAX]; /* a path, "none", or "" for <data>/kith.sock */
    char data[KITH_PATH_MAX];
    char scripts[KITH_PATH_MAX];
    char plugins[KITH_PATH_MAX];
    int log_level;
    int synchronous;
    int64_t max_message_bytes;
    int64_t max_output_bytes;
    int64_t max_connections;
    int64_t max_connections_per_address;
    int64_t max_nesting;
    int64_t idle_timeout;   /* seconds; 0 = never */
    int64_t shutdown_grace; /* seconds to flush replies on shutdown */
    char default_currency[4];
    int64_t script_cpu_ms;
    int64_t script_memory;
    int64_t record_cache;
    int64_t max_hook_depth;
    int64_t watch_scripts; /* 1: reload when the folders change */
    int64_t event_retention_days;
    int64_t event_retention_count;
    int64_t audit_retention_days;
    int64_t schedule_skip_missed;         /* 1: runs missed while down are skipped */
    kith_plugin_setting plugins_conf[64]; /* plugin.<name>.<key> lines */
    size_t nplugins_conf;
} kith_config;

/* Sets every option to its default. */
void kith_config_init(kith_config *c);
/* Reads the file at `path`.  A missing file is an error when `required`,
 * otherwise it leaves the defaults.  Returns 0 or KITH_ECONFIG with the
 * reason (file:line) written to `err`. */
int kith_config_load(kith_config *c, const char *path, int required, char *err, size_t errlen);
/* Sets option `name` (underscores or dashes) to `value`; `where` names the
 * source for messages.  Returns 0 or KITH_ECONFIG with `err` filled. */
int kith_config_set(kith_config *c, const char *name, const char *value, const char *where,
                    char *err, size_t errlen);
/* 1 when `name` is an option (for flag parsing). */
int kith_config_has(const char *name);
/* Prints every option with its default and description (for --help). */
void kith_config_print_help(void);
/* The Unix socket path in effect ("" when disabled). */
const char *kith_config_unix_path(const kith_config *c, char *buf, size_t len);

/* Fills *so with the rules engine's options from `cfg` (borrowed: the
 * strings stay cfg's), the same for the server and for test-scripts. */
void kith_config_script_options(const kith_config *cfg, kith_script_options *so);

#endif
