/*
 * Lookups over the KITH_ERRORS table.  Nothing here allocates.
 */
#include "util/error.h"

#include <stddef.h>

struct error_row {
    int code;
    int rpc;
    const char *kind;
    const char *msg;
};

static const struct error_row rows[] = {
#define KITH_ERROR_ROW(name, value, rpc, kind, msg) {value, rpc, kind, msg},
    KITH_ERRORS(KITH_ERROR_ROW)
#undef KITH_ERROR_ROW
};

static const struct error_row *find(int code)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code) return &rows[i];
    return NULL;
}

const char *kith_strerror(int code)
{
    if (code == 0) return "ok";
    const struct error_row *r = find(code);
    return r ? r->msg : "unknown error";
}

int kith_error_rpc_code(int code)
{
    const struct error_row *r = find(code);
    return r ? r->rpc : -32603;
}

const char *kith_error_kind(int code)
{
    const struct error_row *r = find(code);
    return r ? r->kind : "internal";
}
