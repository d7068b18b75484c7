/*
 * Kith's one table of error codes.
 *
 * Every function in the core returns 0 or a negative KITH_E* code; results go
 * through out-parameters.  Each code carries the JSON-RPC error code and the
 * stable `data.kind` string the contract promises, so the wire layer never has
 * to guess.  SQLite and libuv codes are translated at the module border and
 * never travel past it.
 */
#ifndef KITH_UTIL_ERROR_H
#define KITH_UTIL_ERROR_H

/* X(name, value, rpc_code, kind, message) */
#define KITH_ERRORS(X)                                                                             \
    X(KITH_EPARSE, -1, -32700, "parse_error", "parse error")                                       \
    X(KITH_EINVREQ, -2, -32600, "invalid_request", "invalid request")                              \
    X(KITH_ETOOLARGE, -3, -32600, "too_large", "message too large")                                \
    X(KITH_ENOMETHOD, -4, -32601, "method_not_found", "method not found")                          \
    X(KITH_EPARAMS, -5, -32602, "invalid_params", "invalid params")                                \
    X(KITH_EINTERNAL, -6, -32603, "internal", "internal error")                                    \
    X(KITH_EUNAUTH, -7, -32001, "unauthenticated", "authentication required")                      \
    X(KITH_EFORBIDDEN, -8, -32003, "forbidden", "forbidden")                                       \
    X(KITH_ENOTFOUND, -9, -32004, "not_found", "not found")                                        \
    X(KITH_ECONFLICT, -10, -32009, "conflict", "conflict")                                         \
    X(KITH_ESCRIPT, -11, -32010, "script_error", "script error")                                   \
    X(KITH_ESCRIPTLIMIT, -12, -32011, "script_limit", "script limit exceeded")                     \
    X(KITH_EOVERLOAD, -13, -32029, "overloaded", "server overloaded")                              \
    X(KITH_ENOMEM, -14, -32603, "internal", "out of memory")                                       \
    X(KITH_EIO, -15, -32603, "internal", "I/O error")                                              \
    X(KITH_ECONFIG, -16, -32603, "internal", "configuration error")                                \
    X(KITH_ENOSPACE, -17, -32603, "disk_full", "disk full: nothing in this request was saved")     \
    X(KITH_EDISKIO, -18, -32603, "io", "I/O error: nothing in this request was saved")

enum kith_error {
    KITH_OK = 0,
#define KITH_ERROR_ENUM(name, value, rpc, kind, msg) name = value,
    KITH_ERRORS(KITH_ERROR_ENUM)
#undef KITH_ERROR_ENUM
};

/* Returns a static, human-readable message for `code` (0 gives "ok"). */
const char *kith_strerror(int code);

/* Returns the JSON-RPC error code for `code`; unknown codes map to -32603. */
int kith_error_rpc_code(int code);

/* Returns the contract's stable `data.kind` string for `code`. */
const char *kith_error_kind(int code);

#endif
