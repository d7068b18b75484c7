/*
 * The sandbox: a Lua state whose code sees only an allow-list of globals,
 * whose shared tables are read-only, and which runs under two budgets — a
 * wall-clock limit per call, checked from an instruction-count hook, and a
 * memory cap enforced by a counting allocator.  Neither budget can be escaped
 * with pcall: the sandbox's pcall and xpcall re-raise once a budget is spent.
 * Library functions that could run long inside C, where the hook never
 * fires, are replaced by metered ones (lpattern.c, bounded.c) that check the
 * same clock.  What remains unmetered is a single VM step that allocates (a
 * concatenation, a table resize): bounded by the memory cap.
 *
 * Lua is entered only through kith_lua_pcall(), which installs the traceback
 * handler and arms the clock.  Host code that builds tables does so inside a
 * C function called through it, so an allocation failure is an error, never
 * a panic.
 */
#ifndef KITH_SCRIPT_SANDBOX_H
#define KITH_SCRIPT_SANDBOX_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

enum kith_budget_state { KITH_BUDGET_OK = 0, KITH_BUDGET_CPU, KITH_BUDGET_MEM };

typedef struct kith_lua_budget {
    size_t used, limit;  /* bytes */
    int64_t limit_ms;    /* wall clock per outermost call */
    int64_t deadline_ns; /* 0 while no call runs */
    int depth;           /* nesting of kith_lua_pcall */
    int exceeded;        /* enum kith_budget_state */
    int error_code;      /* KITH_E* carried by the last error object, or 0 */
} kith_lua_budget;

typedef struct kith_lua_error {
    int code;          /* KITH_ESCRIPT or KITH_ESCRIPTLIMIT */
    char message[512]; /* "file:line: what" when Lua knows the place */
    char script[256];  /* the file, when known */
    int line;          /* the line, or 0 */
    char traceback[2048];
} kith_lua_error;

/* Creates a sandboxed state that allocates through `b` (borrowed; must
 * outlive the state) with the base environment in the registry.  Returns
 * NULL when out of memory. */
lua_State *kith_sandbox_new(kith_lua_budget *b);
/* Adds `name` = a read-only view of the table on top of the stack to the
 * base environment.  Stack effect: -1. */
void kith_sandbox_add_library(lua_State *L, const char *name);
/* Pushes a new environment table for one file, plugin or eval: its globals
 * are its own, reads fall through to the base environment.  Stack effect:
 * +1. */
void kith_sandbox_push_env(lua_State *L);
/* Pushes a read-only view of the table at `idx`.  Stack effect: +1. */
void kith_sandbox_push_readonly(lua_State *L, int idx);
/* Loads a text chunk with the environment at `env_idx` as its _ENV.
 * Returns 0 with the function pushed, or -1 with the message pushed. */
int kith_sandbox_load(lua_State *L, const char *code, size_t len, const char *chunkname,
                      int env_idx);

/* Calls the function below `nargs` arguments on the stack in protected
 * mode, under the budgets.  Returns 0 with `nresults` results pushed, or a
 * negative KITH_E* code with *err filled and nothing pushed. */
int kith_lua_pcall(lua_State *L, int nargs, int nresults, kith_lua_error *err);
/* Raises the budget error, exactly as the instruction-count hook does, when
 * the running entry's deadline has passed or a budget is already spent;
 * returns otherwise.  C functions that loop call it every few thousand
 * steps, since the hook never fires inside them.  Call only from a C
 * function running under kith_lua_pcall. */
void kith_sandbox_check_cpu(lua_State *L);
/* For host code that walks Lua values outside the hook's reach and must not
 * raise (the JSON conversion): the running entry's deadline, or one CPU
 * budget from now when no entry runs. */
int64_t kith_sandbox_deadline(lua_State *L);
/* Returns 1 once `deadline_ns` has passed, marking the CPU budget spent if
 * an entry runs (so its error ends as -32011); 0 before. */
int kith_sandbox_past(lua_State *L, int64_t deadline_ns);
/* The budget a state allocates through. */
kith_lua_budget *kith_sandbox_budget(lua_State *L);
/* Closes the state after a full collection. */
void kith_sandbox_close(lua_State *L);
/* Fills *err from a message "file:line: text" (code KITH_ESCRIPT). */
void kith_lua_error_set(kith_lua_error *err, int code, const char *message);

#endif
