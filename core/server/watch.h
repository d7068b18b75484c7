/*
 * Watching the rule folders: any change to a file in scripts/ or a plugin
 * folder (editors that save by renaming a temporary file over the old one
 * included) schedules a reload after a short quiet period.  Editor temporary
 * files are ignored, and the reload itself skips work when no content hash
 * changed, so a burst of saves costs one reload.  Plugin folders are found
 * at start; a plugin added later is loaded (its parent folder changes) but
 * its later edits are seen only after SIGHUP, script.reload or a restart.
 */
#ifndef KITH_SERVER_WATCH_H
#define KITH_SERVER_WATCH_H

#include <uv.h>

#define KITH_WATCH_MAX 64

typedef struct kith_watch {
    uv_loop_t *loop;
    uv_fs_event_t dirs[KITH_WATCH_MAX];
    int ndirs;
    uv_timer_t debounce;
    void (*fire)(void *ud);
    void *ud;
    char scripts[1024], plugins[1024];
} kith_watch;

/* Starts watching `scripts` and `plugins` (and each plugin's folder); calls
 * fire(ud) once changes have settled.  Returns 0 or a negative code. */
int kith_watch_start(kith_watch *w, uv_loop_t *loop, const char *scripts, const char *plugins,
                     void (*fire)(void *ud), void *ud);
/* Closes every handle; the struct must stay alive until the loop has run
 * their close callbacks. */
void kith_watch_stop(kith_watch *w);

#endif
