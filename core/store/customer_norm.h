/*
 * The SQL functions kith_email_norm(x) and kith_phone_norm(x), the
 * comparable forms of util/contact_norm.h, registered on the store's
 * connection before migrating (a migration fills the columns with them).
 */
#ifndef KITH_STORE_CUSTOMER_NORM_H
#define KITH_STORE_CUSTOMER_NORM_H

struct sqlite3;

/* Registers both functions on `db`; 0 or -1. */
int kith_customer_norm_register(struct sqlite3 *db);

#endif
