/*
 * Lua 5.4 patterns with a step budget: string.find, match, gmatch and gsub
 * as the sandbox offers them.  The semantics are Lua's (classes, sets,
 * quantifiers, captures and position captures, %b, %f, anchors, plain
 * find), but every unit of matching work is counted and a caller-given
 * check runs every KITH_LPATTERN_CHECK_STEPS steps.  Lua's own matcher never
 * returns to the interpreter while it backtracks, so an instruction-count
 * hook cannot stop a pattern such as '.-.-b' on a long subject; this one
 * can, by raising from the check.
 *
 * The module knows nothing of budgets: the check decides (sandbox.c raises
 * the CPU-budget error once the deadline has passed).  Error messages for
 * malformed patterns are Lua's, word for word, so rules see no difference.
 */
#ifndef KITH_SCRIPT_LPATTERN_H
#define KITH_SCRIPT_LPATTERN_H

#include <lua.h>

/* How many steps of matching work pass between two calls of the check. */
#define KITH_LPATTERN_CHECK_STEPS 4096

/* Called every KITH_LPATTERN_CHECK_STEPS steps while a pattern function
 * runs; raises a Lua error (lua_error/luaL_error) to stop the match, or
 * returns to let it go on.  Nothing is held that such an error would leak. */
typedef void (*kith_lpattern_check)(lua_State *L);

/* Pushes a new table {find, match, gmatch, gsub} of functions that behave as
 * Lua 5.4's string functions of those names and call `check` (may be NULL:
 * never stopped) as they work.  Stack effect: +1. */
void kith_lpattern_push_lib(lua_State *L, kith_lpattern_check check);

#endif
