/*
 * Metered versions of the library functions that can run long inside C,
 * where the sandbox's instruction-count hook never fires (sandbox.c note 4):
 * string.rep, format, upper, lower and reverse; table.concat, insert,
 * remove, move and sort; utf8.len, offset and codes; os.date; tonumber with a
 * base; string.pack, packsize and unpack take formats of at most 64 KiB.  Each behaves
 * as Lua 5.4's function of the same name and calls kith_sandbox_check_cpu()
 * every few thousand units of work, so a spent CPU budget stops it within
 * microseconds.  The pattern functions live in lpattern.c.
 *
 * Functions whose work is bounded by the Lua stack (string.byte/char,
 * utf8.char/codepoint, table.unpack, select) or that only copy memory once
 * (string.sub) are left as they are: the memory budget bounds them.
 */
#ifndef KITH_SCRIPT_BOUNDED_H
#define KITH_SCRIPT_BOUNDED_H

#include <lua.h>

/* Each replaces, in the table at `idx` (the sandbox's copy of the library
 * named), the functions listed above with their metered versions.  The
 * originals they delegate to are read from the same table first.  Stack
 * effect: 0. */
void kith_bounded_string(lua_State *L, int idx);
void kith_bounded_table(lua_State *L, int idx);
void kith_bounded_utf8(lua_State *L, int idx);
void kith_bounded_os(lua_State *L, int idx);
/* The same for the base functions (tonumber with a base). */
void kith_bounded_base(lua_State *L, int idx);

#endif
