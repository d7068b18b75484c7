/*
 * kith_email_norm(x) and kith_phone_norm(x): util/contact_norm.h as SQL
 * functions, so the store writes customers.email_norm and phone_norm in
 * the same statement as the value, and the migration that added the
 * columns could fill them for existing rows.  NULL when the value is NULL
 * or has no comparable form.
 */
#include "store/customer_norm.h"
#include "util/contact_norm.h"

#include <sqlite3.h>

static void apply(sqlite3_context *cx, sqlite3_value *v, int (*norm)(const char *, char *, size_t))
{
    const char *in = (const char *)sqlite3_value_text(v);
    char out[KITH_NORM_MAX];
    if (in && norm(in, out, sizeof(out)) == 0)
        sqlite3_result_text(cx, out, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_null(cx);
}

static void email_norm(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    apply(cx, argv[0], kith_norm_email);
}

static void phone_norm(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    apply(cx, argv[0], kith_norm_phone);
}

int kith_customer_norm_register(struct sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    if (sqlite3_create_function(db, "kith_email_norm", 1, flags, NULL, email_norm, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_create_function(db, "kith_phone_norm", 1, flags, NULL, phone_norm, NULL, NULL) !=
            SQLITE_OK)
        return -1;
    return 0;
}
