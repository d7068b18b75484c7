/*
 * The param checker: validates a request's params against a command's
 * declaration before its handler runs.  By-position params are mapped to the
 * declared order, so handlers always see an object.
 */
#ifndef KITH_DISPATCH_PARAMS_H
#define KITH_DISPATCH_PARAMS_H

#include "dispatch/command.h"

/* Checks `params` (an object, an array, or NULL for none) against `decl`.
 * On success returns 0 and *out: the params as an object, owned by the caller
 * (a copy when positional, an empty object when NULL, else `params` itself
 * with *owned = 0).  On failure returns KITH_EPARAMS with err->param naming
 * the offending parameter and err->message saying why. */
int kith_params_check(const kith_param *decl, const cJSON *params, cJSON **out, int *owned,
                      kith_call_error *err);
/* The JSON type name a param type is documented with ("string", ...). */
const char *kith_param_type_name(int type);

#endif
