/*
 * See watch.h.
 */
#include "server/watch.h"
#include "util/log.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define QUIET_MS 250

static int is_temp_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0) return 0;
    if (name[0] == '.' || name[0] == '#' || name[n - 1] == '~') return 1;
    if (strcmp(name, "4913") == 0) return 1; /* vim's probe file */
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".swp") == 0 || strcmp(dot, ".swx") == 0 ||
                   strcmp(dot, ".tmp") == 0 || strcmp(dot, ".part") == 0);
}

static void on_quiet(uv_timer_t *t)
{
    kith_watch *w = t->data;
    w->fire(w->ud);
}

static void on_change(uv_fs_event_t *h, const char *name, int events, int status)
{
    kith_watch *w = h->data;
    if (status < 0 || is_temp_name(name)) return;
    kith_debug("watch: %s changed", name ? name : "?");
    uv_timer_start(&w->debounce, on_quiet, QUIET_MS, 0);
}

static void watch_dir(kith_watch *w, const char *path)
{
    struct stat st;
    if (w->ndirs == KITH_WATCH_MAX || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) return;
    uv_fs_event_t *h = &w->dirs[w->ndirs];
    uv_fs_event_init(w->loop, h);
    h->data = w;
    if (uv_fs_event_start(h, on_change, path, 0) < 0) {
        uv_close((uv_handle_t *)h, NULL);
        kith_warn("watch: cannot watch %s", path);
        return;
    }
    w->ndirs++;
}

static void watch_all(kith_watch *w)
{
    watch_dir(w, w->scripts);
    watch_dir(w, w->plugins);
    DIR *d = opendir(w->plugins);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2100];
        snprintf(path, sizeof(path), "%s/%s", w->plugins, e->d_name);
        watch_dir(w, path);
    }
    if (d) closedir(d);
}

int kith_watch_start(kith_watch *w, uv_loop_t *loop, const char *scripts, const char *plugins,
                     void (*fire)(void *ud), void *ud)
{
    memset(w, 0, sizeof(*w));
    w->loop = loop;
    w->fire = fire;
    w->ud = ud;
    snprintf(w->scripts, sizeof(w->scripts), "%s", scripts);
    snprintf(w->plugins, sizeof(w->plugins), "%s", plugins);
    uv_timer_init(loop, &w->debounce);
    w->debounce.data = w;
    watch_all(w);
    return 0;
}

static void stop_dirs(kith_watch *w)
{
    for (int i = 0; i < w->ndirs; i++)
        if (!uv_is_closing((uv_handle_t *)&w->dirs[i])) uv_close((uv_handle_t *)&w->dirs[i], NULL);
}

void kith_watch_stop(kith_watch *w)
{
    stop_dirs(w);
    if (!uv_is_closing((uv_handle_t *)&w->debounce)) uv_close((uv_handle_t *)&w->debounce, NULL);
}
