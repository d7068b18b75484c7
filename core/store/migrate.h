/*
 * Versioned schema migrations, tracked in PRAGMA user_version.  Each version's
 * SQL runs once, in its own transaction with the version bump, so a crash
 * mid-migration leaves the previous version intact.
 */
#ifndef KITH_STORE_MIGRATE_H
#define KITH_STORE_MIGRATE_H

#include "store/store.h"

/* Brings the schema to the newest version.  Returns 0, or KITH_EIO (logged);
 * refuses a database newer than this binary with KITH_ECONFIG. */
int kith_migrate(kith_store *s);
/* The schema version this binary writes. */
int kith_migrate_latest(void);

#endif
