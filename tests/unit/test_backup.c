/*
 * store/backup.c on real files: a backup of a live store (its writer
 * connection open, in WAL mode) holds what was committed and the event seq
 * of that moment, passes the restore check and is private (0600); the
 * check refuses a file that is not a Kith database; a failed backup leaves
 * no file behind.
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "dispatch/dispatch.h"
#include "store/backup.h"
#include "store/event.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static kith_session admin = {.role = KITH_ROLE_ADMIN, .authenticated = 1, .name = "t"};

int main(void)
{
    char dir[] = "/tmp/kith-test-backup-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char db[256], dest[256], tmp[256], junk[256], why[600];
    snprintf(db, sizeof(db), "%s/kith.db", dir);
    snprintf(dest, sizeof(dest), "%s/copy.db", dir);
    snprintf(tmp, sizeof(tmp), "%s/copy.db.tmp", dir);
    snprintf(junk, sizeof(junk), "%s/junk.db", dir);

    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(db, KITH_SYNC_NORMAL, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_customer), 0);
    for (int i = 0; i < 50; i++)
        rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"customer.create\","
                    "\"params\":{\"name\":\"Ada\"}}");
    int64_t seq = 0;
    kith_store_event_last_seq(store, &seq);
    CHECK(seq >= 50);

    /* The server's connection stays open, as in a live kithd. */
    kith_backup_info info;
    CHECK_INT(kith_store_backup(db, dest, tmp, &info, why, sizeof(why)), 0);
    CHECK_INT(info.seq, seq);
    CHECK(info.bytes > 0);
    CHECK(access(tmp, F_OK) != 0);
    struct stat st;
    CHECK_INT(stat(dest, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(info.bytes, st.st_size);

    kith_backup_info checked;
    CHECK_INT(kith_store_backup_check(dest, &checked, why, sizeof(why)), 0);
    CHECK_INT(checked.seq, seq);
    CHECK_INT(checked.schema, info.schema);
    kith_store *copy = NULL;
    CHECK_INT(kith_store_open(dest, KITH_SYNC_OFF, &copy), 0);
    CHECK_INT(count_rows(copy, "SELECT count(*) FROM customers", NULL), 50);
    kith_store_close(copy);

    /* Not a database, or not Kith's. */
    FILE *f = fopen(junk, "w");
    fputs("this is not a database, not at all, not even a little bit of one", f);
    fclose(f);
    CHECK_INT(kith_store_backup_check(junk, &checked, why, sizeof(why)), KITH_EINVREQ);
    unlink(junk);
    CHECK_INT(kith_store_open(junk, KITH_SYNC_OFF, &copy), 0);
    CHECK_INT(kith_store_exec(copy, "DROP TABLE events"), 0);
    kith_store_close(copy);
    CHECK_INT(kith_store_backup_check(junk, &checked, why, sizeof(why)), KITH_EINVREQ);
    CHECK(strstr(why, "not a Kith database") != NULL);

    /* A failed backup leaves nothing. */
    char missing[300], out2[300], tmp2[310];
    snprintf(missing, sizeof(missing), "%s/none/kith.db", dir);
    snprintf(out2, sizeof(out2), "%s/copy2.db", dir);
    snprintf(tmp2, sizeof(tmp2), "%s/copy2.db.tmp", dir);
    CHECK(kith_store_backup(missing, out2, tmp2, &info, why, sizeof(why)) < 0);
    CHECK(access(out2, F_OK) != 0 && access(tmp2, F_OK) != 0);

    kith_dispatch_free(d);
    kith_store_close(store);
    kith_buf_release(&out);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    return check_done();
}
