/*
 * `kith help` from the server's OpenRPC document: see help.h.
 *
 * The document comes from the network, so every field is optional here: a
 * method without a summary, a param without a schema or a role the server
 * did not state still prints, with the gap shown as "-" or "any".
 */
#include "cli/help.h"
#include "util/error.h"

#include <string.h>

/* Names longer than this do not widen the name column for everyone. */
#define NAME_COLUMN_MAX 28

/* The client's own commands: built on subscribe and task.list, with
 * options and output of their own, so the server cannot describe them. */
static const struct client_command {
    const char *name, *synopsis, *summary, *details;
} client_commands[] = {
    {"subscribe", "subscribe PATTERN... [--since SEQ] [--json]",
     "print events as they happen, until Ctrl-C",
     "PATTERN is a channel name or a glob: customer.*, order.created, reminder.due.alice.\n"
     "Each event is one line: seq, local time, channel and a short summary.\n"
     "The seq it starts at goes to stderr; on Ctrl-C it says where to resume.\n"
     "\n"
     "  --since SEQ   first replay every retained event after SEQ, in order\n"
     "  --json        print each event as one compact JSON line\n"
     "                ({channel, seq, at, data}), for scripts and jq\n"
     "\n"
     "Exits 0 when interrupted (Ctrl-C, SIGTERM), 2 when the server goes away.\n"},
    {"tasks", "tasks [--owner NAME | --all] [--status STATUS] [--limit N] [--json]",
     "open follow-up tasks, soonest due first",
     "Shows when each task is due (\"in 2h\", \"3d overdue\") with its customer and note.\n"
     "With KITH_TOKEN set, only the token's own tasks are shown unless told otherwise.\n"
     "\n"
     "  --owner NAME    only NAME's tasks\n"
     "  --all           every owner's tasks\n"
     "  --status S      open (default), done or cancelled\n"
     "  --limit N       at most N tasks (default 50, at most 1000)\n"
     "  --json          the task.list result as compact JSON\n"},
    {"duplicates", "duplicates [ID] [--status S] [--min-score X] [--limit N] [--json]",
     "pairs of customers that are probably the same person",
     "Shows each pair the duplicate rule (crm.match) found: its score, the two\n"
     "customers and the reasons.  With ID, only that customer's pairs.\n"
     "\n"
     "  --status S      open (default), dismissed or merged\n"
     "  --min-score X   only pairs scoring at least X (0..1)\n"
     "  --limit N       at most N pairs (default 50, at most 1000)\n"
     "  --json          the customer.duplicates result as compact JSON\n"},
    {"tickets", "tickets [--status S | --all] [--owner NAME] [--customer ID] [--limit N] [--json]",
     "complaints and service tickets, newest first, with their SLA",
     "Shows each ticket's status, priority, kind, customer, subject, owner and SLA:\n"
     "the next deadline (\"respond in 45m\", \"resolve 2h overdue\"), \"paused\" while\n"
     "waiting, or \"BREACHED resolve\" once a deadline passed.\n"
     "\n"
     "  --status S      new, open, waiting, resolved, closed, rejected or active\n"
     "                  (default: active, i.e. new, open and waiting)\n"
     "  --all           every status\n"
     "  --owner NAME    only NAME's tickets\n"
     "  --customer ID   only this customer's tickets\n"
     "  --limit N       at most N tickets (default 50, at most 1000)\n"
     "  --json          the ticket.list result as compact JSON\n"},
    {"visits",
     "visits [--owner NAME | --all] [--status S] [--from T] [--to T] [--limit N] [--json]",
     "the visit agenda, earliest first",
     "Shows when each visit is planned (\"in 2d\", \"3h ago\") and its local time, with\n"
     "the customer, visitor, purpose, status and location.  With KITH_TOKEN set, only\n"
     "the token's own visits are shown unless told otherwise.\n"
     "\n"
     "  --owner NAME    only NAME's visits\n"
     "  --all           every visitor's visits\n"
     "  --status S      planned (default), in_progress, done, cancelled, missed or all\n"
     "  --from T        planned at or after T (a time, or a duration from now: 0s, 7d)\n"
     "  --to T          planned before T\n"
     "  --limit N       at most N visits (default 50, at most 1000)\n"
     "  --json          the visit.list result as compact JSON\n"},
    {"import",
     "import customers|orders FILE.csv [--map field=Header,...] [--per-record] [--resume]",
     "load customers or orders from an RFC 4180 CSV file",
     "Headers are matched to fields case-insensitively (\"Full Name\" is full_name);\n"
     "a customer file's unknown columns go into attrs, identity:SOURCE columns become\n"
     "identities, and an export's read-only columns (id, created_at, ...) are ignored.\n"
     "The whole file is checked, then every record by the server (a dry run), before\n"
     "anything is written: a bad file imports nothing.  Failed rows go to\n"
     "FILE.errors.csv with the line and the error.\n"
     "\n"
     "  --map F=H,...     column H gives field F\n"
     "  --per-record      write the good rows, report the bad ones (no dry run)\n"
     "  --resume          continue an interrupted import (FILE.import-state)\n"
     "  --dry-run         check only\n"
     "  --on-match M      update (customers' default), skip (orders' default), error\n"
     "  --match-on KEYS   e.g. external_id,email (default external_id,identity,email,phone)\n"
     "  --source NAME     for the customer.imported event (default: the file name)\n"
     "  --batch N         records per call, 1..1000 (default 1000)\n"
     "  --errors FILE     where failed rows go\n"
     "  --quiet           no progress bar\n"},
    {"export",
     "export customers|orders|interactions|tickets [--filter JSON] [--format csv|jsonl] [-o FILE]",
     "stream records out as CSV (re-importable) or JSON lines",
     "Pages through the list method with its cursor, so memory stays constant.\n"
     "Customers and orders come out in the columns import reads back; orders carry\n"
     "their customer's external_id.  --filter is the list method's filter, e.g.\n"
     "'{\"stage\": \"active\"}' for customers or '{\"kind\": \"complaint\"}' for tickets.\n"},
    {"timeline", "timeline ID [--kinds K,K] [--from T] [--to T] [--limit N] [--json]",
     "what happened to one customer, newest first",
     "Shows when (\"3d ago\"), the kind, the record's id and a summary of every\n"
     "interaction, order, task, ticket, visit, survey answer, points entry and stage\n"
     "change of customer ID (customer.timeline).\n"
     "  --kinds K,K     only these kinds (interaction, order, task, ticket, visit,\n"
     "                  survey, loyalty, stage)\n"
     "  --from T        at or after T (ISO 8601)\n"
     "  --to T          before T\n"
     "  --limit N       at most N entries (default 50, at most 1000)\n"
     "  --json          the customer.timeline result as compact JSON\n"},
    {"backup", "backup FILE [--overwrite] [--json]",
     "copy a consistent snapshot of the server's database to FILE",
     "The server writes FILE while it keeps serving (admin only): a relative FILE is\n"
     "relative to the server's data folder.  Prints where it went, its size and the\n"
     "seq of the last event it holds.  Restore it with `kithd restore FILE --data DIR`\n"
     "while that server is stopped.\n"
     "\n"
     "  --overwrite   replace FILE if it exists (refused otherwise)\n"
     "  --json        the system.backup result ({path, bytes, seq}) as JSON\n"},
    {"survey", "survey results NAME [--from T] [--to T] [--json]",
     "a survey's NPS, CSAT, CES, drivers and NPS bar chart",
     "Reads survey.results (whole UTC days) and shows the response rate, NPS with its\n"
     "promoters, passives and detractors, CSAT %, CES, each question's mean and top-2\n"
     "box, the drivers (fix_first, keep, secondary, overdone) and a bar chart of the\n"
     "0-10 answers (coloured on a terminal, plain ASCII otherwise).\n"
     "\n"
     "  --from T   from this day (ISO 8601)\n"
     "  --to T     to this day, inclusive\n"
     "  --json     the survey.results result as compact JSON\n"},
    {"campaigns", "campaigns [--status S] [--limit N] [--json]", "campaigns, newest first",
     "Shows each campaign's id, name, status, kind, channel, segment, control share\n"
     "and launch day.\n"
     "\n"
     "  --status S   draft, active, completed or cancelled\n"
     "  --limit N    at most N campaigns (default 50, at most 1000)\n"
     "  --json       the campaign.list result as compact JSON\n"},
    {"campaign", "campaign results ID|NAME [--json]",
     "a campaign's conversion against its control group, uplift and roi",
     "Reads campaign.results: the audience and its exclusions, treated and control\n"
     "members, conversions, conversion rate, revenue and revenue per member, the\n"
     "uplift in percentage points with its 95% interval, and the incremental\n"
     "conversions, revenue and roi.\n"
     "\n"
     "  --json   the campaign.results result as compact JSON\n"},
    {"report", "report NAME [--from T] [--to T] [--interval I] [--group-by G] [--chart COL]",
     "a KPI report (report.run) as a table and a bar chart",
     "Runs report.run and prints its table, then a bar chart of the report's headline\n"
     "column (--chart picks another).  On a narrow terminal long headers are shortened\n"
     "and the retention matrix shows whole percentages for the months that fit.\n"
     "'kith report.list' names the reports with their formulas.\n"
     "\n"
     "  --from T, --to T   the span (ISO 8601; to is exclusive; default: a year)\n"
     "  --interval I       day, week or month, as the report allows\n"
     "  --group-by G       a dimension, as the report allows (revenue: owner, tier, class)\n"
     "  --survey S         the satisfaction report's survey\n"
     "  --csv, --json      the table as CSV (full headers, no chart); the result as JSON\n"},
    {"value", "value CUSTOMER_ID [--at T] [--json]",
     "a customer's RFM, P(alive), expected orders and spend, CLV",
     "Reads value.get and prints the customer's history, RFM code and label,\n"
     "P(alive) with a bar, the orders expected in 90 and 365 days, the expected\n"
     "spend per order and the 12-month CLV (after value.fit).\n"
     "\n"
     "  --at T   as of this time (default now)\n"
     "  --json   the value.get result as compact JSON\n"},
    {"deals", "deals [--status S | --all] [--owner NAME] [--stage S] [--limit N] [--json]",
     "open deals with stage, amount, probability and close",
     "Lists deal.list as a table: id, customer, name, stage (or won/lost), amount,\n"
     "probability, expected close relative to now, owner.\n"
     "\n"
     "  --status S   open (default), won or lost; --all for every status\n"
     "  --owner NAME, --stage S, --limit N, --json\n"},
    {"forecast", "forecast [--period month|quarter] [--by owner|stage|pipeline] [--owner N]",
     "the period's pipeline, weighted, commit, won, target and gap",
     "Reads deal.forecast for the period holding --start (default now): pipeline,\n"
     "weighted (amount x probability), best case, commit, closed won, target and gap\n"
     "from the goals, win rate; with --by a table per group and a bar chart.\n"
     "\n"
     "  --period P   month or quarter (default quarter)\n"
     "  --start T    a time in the period\n"
     "  --by G       owner, stage or pipeline\n"
     "  --owner N    only N's deals and goal\n"
     "  --json       the deal.forecast result as compact JSON\n"},
    {NULL, NULL, NULL, NULL},
};

int kith_cli_help_client(FILE *out, const char *name)
{
    const struct client_command *c;
    if (!name) {
        fputs("\nclient commands:\n", out);
        for (c = client_commands; c->name; c++)
            fprintf(out, "  %-10s  %s\n", c->name, c->summary);
        fputs("'kith help subscribe', 'kith help tasks', 'kith help backup' and 'kith help survey' "
              "describe "
              "options.\n",
              out);
        return 0;
    }
    for (c = client_commands; c->name; c++) {
        if (strcmp(c->name, name) != 0) continue;
        fprintf(out, "usage: %s\n%s: %s\n\n%s", c->synopsis, c->name, c->summary, c->details);
        return 0;
    }
    return KITH_ENOMETHOD;
}

static const char *str_field(const cJSON *obj, const char *key, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : fallback;
}

static int is_required(const cJSON *param)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(param, "required"));
}

static const cJSON *methods_of(const cJSON *doc)
{
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive(doc, "methods");
    return cJSON_IsArray(methods) ? methods : NULL;
}

const cJSON *kith_cli_help_find(const cJSON *doc, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, methods_of(doc))
    {
        if (strcmp(str_field(m, "name", ""), name) == 0) return m;
    }
    return NULL;
}

static size_t column_width(size_t now, const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > now && n <= max ? n : now;
}

int kith_cli_help_list(FILE *out, const cJSON *doc)
{
    const cJSON *methods = methods_of(doc), *m;
    size_t name_w = 0, role_w = 1;
    cJSON_ArrayForEach(m, methods)
    {
        name_w = column_width(name_w, str_field(m, "name", "?"), NAME_COLUMN_MAX);
        role_w = column_width(role_w, str_field(m, "x-kith-role", "-"), NAME_COLUMN_MAX);
    }
    if (!methods || !methods->child) {
        fputs("the server lists no methods\n", out);
        return 0;
    }
    cJSON_ArrayForEach(m, methods)
    {
        fprintf(out, "%-*s  %-*s  %s\n", (int)name_w, str_field(m, "name", "?"), (int)role_w,
                str_field(m, "x-kith-role", "-"), str_field(m, "summary", ""));
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params"), *p;
        if (!cJSON_GetArraySize(params)) continue;
        /* The params line sits under the summary, where the eye already is. */
        fprintf(out, "%*s", (int)(name_w + role_w + 4), "");
        int first = 1;
        cJSON_ArrayForEach(p, params)
        {
            fprintf(out, "%s%s%s", first ? "" : ", ", str_field(p, "name", "?"),
                    is_required(p) ? "" : "?");
            first = 0;
        }
        fputc('\n', out);
    }
    fputs("\n'kith help METHOD' describes a method's params; '?' marks optional ones.\n", out);
    return 0;
}

/* Writes a param's schema type into text: "string", "integer|string" for a
 * list of types, "any" when the schema does not say. */
static void type_text(const cJSON *param, char *text, size_t size)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(param, "schema");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    snprintf(text, size, "any");
    if (cJSON_IsString(type)) {
        snprintf(text, size, "%s", type->valuestring);
    } else if (cJSON_IsArray(type) && type->child) {
        size_t used = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, type)
        {
            if (!cJSON_IsString(t) || used >= size) continue;
            int n = snprintf(text + used, size - used, "%s%s", used ? "|" : "", t->valuestring);
            if (n > 0) used += (size_t)n;
        }
    }
}

int kith_cli_help_method(FILE *out, const cJSON *doc, const char *name)
{
    const cJSON *m = kith_cli_help_find(doc, name);
    if (!m) return KITH_ENOMETHOD;

    const char *summary = str_field(m, "summary", "");
    const char *description = str_field(m, "description", "");
    fprintf(out, "%s%s%s\n", name, *summary ? ": " : "", summary);
    if (*description && strcmp(description, summary) != 0) fprintf(out, "%s\n", description);
    fprintf(out, "role: %s\n", str_field(m, "x-kith-role", "-"));

    const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params"), *p;
    if (!cJSON_GetArraySize(params)) {
        fputs("params: none\n", out);
        return 0;
    }
    size_t name_w = 0, type_w = 0;
    char type[64];
    cJSON_ArrayForEach(p, params)
    {
        name_w = column_width(name_w, str_field(p, "name", "?"), NAME_COLUMN_MAX);
        type_text(p, type, sizeof(type));
        type_w = column_width(type_w, type, sizeof(type));
    }
    fputs("params:\n", out);
    cJSON_ArrayForEach(p, params)
    {
        const char *about = str_field(p, "description", "");
        type_text(p, type, sizeof(type));
        fprintf(out, "  %-*s  %-*s  ", (int)name_w, str_field(p, "name", "?"), (int)type_w, type);
        if (*about)
            fprintf(out, "%-8s  %s\n", is_required(p) ? "required" : "optional", about);
        else
            fprintf(out, "%s\n", is_required(p) ? "required" : "optional");
    }
    return 0;
}
