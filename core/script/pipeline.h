/*
 * Sales pipelines from the rules (crm.pipeline{...}, api_pipeline.c), as
 * the deal code sees them:
 *
 *   crm.pipeline { name = "default", rot_after = "14d",
 *     stages = { { name = "qualification", probability = 0.10, label = "需求确认" },
 *                { name = "proposal", probability = 0.50,
 *                  require = { "amount", "expected_close" } } } }
 *
 * `won` and `lost` are implicit terminal states, not stages.  A stage's
 * require lists the deal fields that must be set before a deal may enter
 * it.  Without any crm.pipeline there are no pipelines and deal.create
 * refuses.
 */
#ifndef KITH_SCRIPT_PIPELINE_H
#define KITH_SCRIPT_PIPELINE_H

#include <cJSON.h>
#include <stdint.h>

#define KITH_MAX_STAGES  32
#define KITH_MAX_REQUIRE 8

struct kith_script;

typedef struct kith_stage_def {
    char name[64];
    char label[128];
    double probability;
    char require[KITH_MAX_REQUIRE][64];
    int nrequire;
} kith_stage_def;

typedef struct kith_pipeline {
    char name[64];
    int64_t rot_after_ms; /* 0: deals never rot */
    kith_stage_def stages[KITH_MAX_STAGES];
    int nstages;
} kith_pipeline;

/* Copies pipeline `name` (NULL: "default", else the first defined) of the
 * running rules to *out.  Returns 1 when found, 0 when not. */
int kith_script_pipeline(const struct kith_script *sc, const char *name, kith_pipeline *out);
/* The stage `name` of p, or NULL. */
const kith_stage_def *kith_pipeline_stage(const kith_pipeline *p, const char *name);
/* pipeline.list's answer (owned). */
cJSON *kith_script_pipeline_list(const struct kith_script *sc);

#endif
