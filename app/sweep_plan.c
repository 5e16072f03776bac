/* sweep_plan.c — the sweep plan: the [sweep] section and --set lists, the
 * cross product of their values, each point's folder name (slug) and seed,
 * validation of every point before anything runs, and the fingerprint that
 * ties shards to their sweep. See sweep.h for the rules. */
#include "app/sweep_private.h"

#include <math.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>

#include "app/scenario.h"

#define SWEEP_MAX_REPLICATIONS 100000u
#define SWEEP_MAX_SLUG 200u

static void dim_free(gpointer p) {
  SweepDim *d = p;
  g_free(d->key);
  g_free(d->where);
  g_ptr_array_unref(d->values);
  g_free(d);
}

void sweep_plan_free(SweepPlan *plan) {
  if (!plan)
    return;
  g_free(plan->path);
  g_ptr_array_unref(plan->plain);
  g_ptr_array_unref(plan->dims);
  if (plan->slug)
    for (guint p = 0; p < plan->n_points; p++)
      g_free(plan->slug[p]);
  g_free(plan->slug);
  g_free(plan->seed);
  g_free(plan->dir);
  g_free(plan->fingerprint);
  g_free(plan->ci_figure);
  g_free(plan->rep_where);
  g_free(plan->point_n);
  g_free(plan->reached);
  g_free(plan);
}

guint sweep_plan_n_runs(const SweepPlan *plan) {
  return plan->n_runs;
}

gboolean sweep_plan_has_ci_target(const SweepPlan *plan) {
  return plan->ci_figure != NULL;
}

char *sweep_plan_ci_summary(const SweepPlan *plan) {
  if (!plan->ci_figure || !plan->point_n)
    return NULL;
  guint reached = 0, runs = 0;
  for (guint p = 0; p < plan->n_points; p++) {
    reached += plan->reached[p] ? 1 : 0;
    runs += plan->point_n[p];
  }
  char rel[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(rel, sizeof rel, "%g", plan->ci_rel);
  return g_strdup_printf("ci-target: %u of %u points reached %s_mean 95%% CI half-width below "
                         "%s of the mean, in %u runs (%u..%u per point)",
                         reached, plan->n_points, plan->ci_figure, rel, runs, plan->rep_min,
                         plan->replications);
}

guint sweep_plan_n_done(const SweepPlan *plan) {
  return plan->done;
}

guint sweep_plan_n_reused(const SweepPlan *plan) {
  return plan->reused;
}

const char *sweep_plan_dir(const SweepPlan *plan) {
  return plan->dir;
}

uint64_t sweep_seed(uint64_t seed, guint rep) {
  g_assert(rep >= 1);
  if (rep == 1)
    return seed;
  uint64_t z = seed + (uint64_t)(rep - 1) * UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void sweep_hash_hex(const void *data, size_t len, char out[SWEEP_HASH_HEX]) {
  unsigned char digest[SWEEP_HASH_BYTES];
  crypto_generichash(digest, sizeof digest, data, len, NULL, 0);
  sodium_bin2hex(out, SWEEP_HASH_HEX, digest, sizeof digest);
}

gboolean sweep_invalid(GError **error, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, SCN_ERROR, SCN_ERROR_INVALID, msg);
  g_free(msg);
  return FALSE;
}

/* Splits "section.key=value"; false if malformed (scn_load reports it). */
static bool split_override(const char *o, char **section, char **key, const char **value) {
  const char *eq = strchr(o, '=');
  const char *dot = eq ? memchr(o, '.', (size_t)(eq - o)) : NULL;
  if (!eq || !dot)
    return false;
  *section = g_strstrip(g_strndup(o, (gsize)(dot - o)));
  *key = g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1)));
  *value = eq + 1;
  return true;
}

static gboolean parse_replications(const char *where, const char *v, guint *out, GError **error);

/* "N" or, for ci-target, "MIN..MAX" (1 <= MIN <= MAX). */
static gboolean parse_replications_range(SweepPlan *plan, const char *where, const char *v,
                                         GError **error) {
  const char *dots = strstr(v, "..");
  if (!dots) {
    plan->rep_min = 0;
    return parse_replications(where, v, &plan->replications, error);
  }
  g_autofree char *lo = g_strndup(v, (gsize)(dots - v));
  guint min, max;
  if (!parse_replications(where, lo, &min, error) ||
      !parse_replications(where, dots + 2, &max, error))
    return FALSE;
  if (min > max) {
    g_autofree char *qv = scn_quote(v);
    return sweep_invalid(error, "%s: sweep.replications: '%s': MIN is above MAX", where, qv);
  }
  plan->rep_min = min;
  plan->replications = max;
  return TRUE;
}

/* "FIGURE_mean:REL": a figure column of sweep.csv, REL a real > 0. */
static gboolean parse_ci_target(SweepPlan *plan, const char *where, const char *v, GError **error) {
  const char *colon = strrchr(v, ':');
  g_autofree char *name = colon ? g_strstrip(g_strndup(v, (gsize)(colon - v))) : NULL;
  g_autofree char *rel = colon ? g_strstrip(g_strdup(colon + 1)) : NULL;
  if (!colon || !g_str_has_suffix(name, "_mean")) {
    g_autofree char *qv = scn_quote(v);
    return sweep_invalid(error,
                         "%s: sweep.ci-target: '%s': want FIGURE_mean:REL, e.g. "
                         "p2m_msgs_per_leave_mean:0.02",
                         where, qv);
  }
  name[strlen(name) - strlen("_mean")] = '\0';
  g_autofree char *header = sweep_figures_header();
  g_auto(GStrv) figs = g_strsplit(header, ",", -1);
  if (!g_strv_contains((const char *const *)figs, name)) {
    g_autofree char *qname = scn_quote(name);
    return sweep_invalid(error, "%s: sweep.ci-target: '%s_mean' is not a figure of sweep-stats.csv",
                         where, qname);
  }
  char *end = NULL;
  double x = g_ascii_strtod(rel, &end);
  if (!*rel || *end || !isfinite(x) || !(x > 0) || strpbrk(rel, "xXnN")) {
    g_autofree char *qrel = scn_quote(rel);
    return sweep_invalid(error, "%s: sweep.ci-target: '%s' is not a real number > 0", where, qrel);
  }
  g_free(plan->ci_figure);
  plan->ci_figure = g_strdup(name);
  plan->ci_rel = x;
  return TRUE;
}

static gboolean parse_replications(const char *where, const char *v, guint *out, GError **error) {
  g_autofree char *s = g_strstrip(g_strdup(v));
  guint64 x;
  bool digits = *s != '\0';
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit(*p))
      digits = false;
  if (!digits || !g_ascii_string_to_unsigned(s, 10, 1, SWEEP_MAX_REPLICATIONS, &x, NULL)) {
    g_autofree char *qs = scn_quote(s);
    return sweep_invalid(error, "%s: sweep.replications: '%s' is not an integer in 1..%u", where,
                         qs, SWEEP_MAX_REPLICATIONS);
  }
  *out = (guint)x;
  return TRUE;
}

static SweepDim *find_dim(GPtrArray *dims, const char *key, guint *index) {
  for (guint i = 0; i < dims->len; i++) {
    SweepDim *d = g_ptr_array_index(dims, i);
    if (strcmp(d->key, key) == 0) {
      if (index)
        *index = i;
      return d;
    }
  }
  return NULL;
}

/* A swept key: "section.key" of a scenario key other than run.name. */
static SweepDim *new_dim(const char *where, const char *key, const char *list, GError **error) {
  /* in the file, the key is sweep.<section.key>; on the command line, itself */
  const char *pre = strcmp(where, "--set") == 0 ? "" : "sweep.";
  const char *dot = strchr(key, '.');
  g_autofree char *section = dot ? g_strndup(key, (gsize)(dot - key)) : NULL;
  /* names and values in messages are the user's bytes: quoted (scn_quote),
   * so that a message stays one printable line */
  g_autofree char *qkey = scn_quote(key);
  g_autofree char *qlist = scn_quote(list);
  if (!dot || !scn_known_key(section, dot + 1)) {
    sweep_invalid(error,
                  "%s: %s%s: not a scenario key (want section.key, e.g. run.embodiment, or "
                  "replications)",
                  where, pre, qkey);
    return NULL;
  }
  if (strcmp(key, "run.name") == 0) {
    sweep_invalid(error, "%s: %s%s: cannot be swept (it names the sweep's folder)", where, pre,
                  key);
    return NULL;
  }
  SweepDim *d = g_new0(SweepDim, 1);
  d->key = g_strdup(key);
  d->where = g_strdup(where);
  d->values = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) parts = g_strsplit(list, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    char *v = g_strstrip(parts[i]);
    if (!*v) {
      sweep_invalid(error, "%s: %s%s: empty value in the list '%s'", where, pre, key, qlist);
      dim_free(d);
      return NULL;
    }
    for (guint j = 0; j < d->values->len; j++)
      if (strcmp(g_ptr_array_index(d->values, j), v) == 0) {
        g_autofree char *qv = scn_quote(v);
        sweep_invalid(error, "%s: %s%s: value '%s' is listed twice", where, pre, key, qv);
        dim_free(d);
        return NULL;
      }
    g_ptr_array_add(d->values, g_strdup(v));
  }
  if (d->values->len == 0) {
    /* a key swept over nothing would make a sweep of no run */
    sweep_invalid(error, "%s: %s%s: empty list (give at least one value)", where, pre, key);
    dim_free(d);
    return NULL;
  }
  return d;
}

gboolean sweep_requested(const char *path, const char *const *overrides, gboolean *out,
                         GError **error) {
  GPtrArray *entries = scn_sweep_entries(path, error);
  if (!entries)
    return FALSE;
  *out = entries->len > 0;
  g_ptr_array_unref(entries);
  for (; overrides && *overrides; overrides++) {
    char *section, *key;
    const char *value;
    if (!split_override(*overrides, &section, &key, &value))
      continue;
    if (strcmp(section, "sweep") == 0 || strchr(value, ','))
      *out = TRUE;
    g_free(section);
    g_free(key);
  }
  return TRUE;
}

/* The point's values: index of each dim's value. */
/* Point p of the cross product, the first key varying slowest: key d's
 * index is p divided by the number of points of the keys after it. */
const char *sweep_point_value(const SweepPlan *plan, guint p, guint d) {
  for (guint e = plan->dims->len; --e > d;)
    p /= ((SweepDim *)g_ptr_array_index(plan->dims, e))->values->len;
  SweepDim *dim = g_ptr_array_index(plan->dims, d);
  return g_ptr_array_index(dim->values, p % dim->values->len);
}

/* "section.key=value" per dim (NULL-terminated), and where each came from. */
static GPtrArray *point_assign(const SweepPlan *plan, guint p, GPtrArray **where) {
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  *where = g_ptr_array_new();
  for (guint d = 0; d < plan->dims->len; d++) {
    SweepDim *dim = g_ptr_array_index(plan->dims, d);
    g_ptr_array_add(a, g_strconcat(dim->key, "=", sweep_point_value(plan, p, d), NULL));
    g_ptr_array_add(*where, dim->where);
  }
  g_ptr_array_add(a, NULL);
  g_ptr_array_add(*where, NULL);
  return a;
}

static void slug_append(GString *s, const char *text) {
  for (const char *c = text; *c; c++)
    g_string_append_c(s, g_ascii_isalnum(*c) || strchr(".+-", *c) ? *c : '_');
}

static char *point_slug(const SweepPlan *plan, guint p) {
  if (plan->dims->len == 0)
    return g_strdup("base");
  GString *s = g_string_new(NULL);
  for (guint d = 0; d < plan->dims->len; d++) {
    SweepDim *dim = g_ptr_array_index(plan->dims, d);
    if (d)
      g_string_append_c(s, '_');
    slug_append(s, strchr(dim->key, '.') + 1);
    g_string_append_c(s, '-');
    slug_append(s, sweep_point_value(plan, p, d));
  }
  if (s->len > SWEEP_MAX_SLUG) {
    g_string_free(s, TRUE);
    return g_strdup_printf("point-%u", p + 1);
  }
  return g_string_free(s, FALSE);
}

SweepPlan *sweep_plan_new(const char *path, const char *const *overrides, const char *output,
                          GError **error) {
  GPtrArray *entries = scn_sweep_entries(path, error);
  if (!entries)
    return NULL;
  SweepPlan *plan = g_new0(SweepPlan, 1);
  plan->path = g_strdup(path);
  plan->plain = g_ptr_array_new_with_free_func(g_free);
  plan->dims = g_ptr_array_new_with_free_func(dim_free);
  plan->replications = 1;
  gboolean ok = TRUE;

  for (guint i = 0; ok && i < entries->len; i++) {
    const ScnSweepEntry *e = g_ptr_array_index(entries, i);
    g_autofree char *where = g_strdup_printf("%s:%u", path, e->line);
    if (strcmp(e->key, "replications") == 0) {
      ok = parse_replications_range(plan, where, e->value, error);
      if (ok)
        g_free(plan->rep_where), plan->rep_where = g_strdup(where);
      continue;
    }
    if (strcmp(e->key, "ci-target") == 0) {
      ok = parse_ci_target(plan, where, e->value, error);
      continue;
    }
    SweepDim *d = new_dim(where, e->key, e->value, error);
    if (d)
      g_ptr_array_add(plan->dims, d);
    ok = d != NULL;
  }
  g_ptr_array_unref(entries);

  /* --set: sweep.replications, lists (replacing the file's list of the key,
   * in place) and single values (which take the key out of the sweep). */
  for (; ok && overrides && *overrides; overrides++) {
    char *section = NULL, *key = NULL;
    const char *value;
    if (!split_override(*overrides, &section, &key, &value)) {
      g_ptr_array_add(plan->plain, g_strdup(*overrides));
      continue;
    }
    g_autofree char *full = g_strconcat(section, ".", key, NULL);
    guint at;
    if (strcmp(section, "sweep") == 0) {
      if (strcmp(key, "replications") == 0) {
        ok = parse_replications_range(plan, "--set", value, error);
        if (ok)
          g_free(plan->rep_where), plan->rep_where = g_strdup("--set");
      } else if (strcmp(key, "ci-target") == 0) {
        ok = parse_ci_target(plan, "--set", value, error);
      } else {
        g_autofree char *qkey = scn_quote(key);
        ok = sweep_invalid(error,
                           "--set: sweep.%s: unknown key (known in [sweep]: replications, "
                           "ci-target)",
                           qkey);
      }
    } else if (strchr(value, ',')) {
      SweepDim *d = new_dim("--set", full, value, error);
      if (!d) {
        ok = FALSE;
      } else if (find_dim(plan->dims, full, &at)) {
        dim_free(g_ptr_array_index(plan->dims, at));
        plan->dims->pdata[at] = d;
      } else {
        g_ptr_array_add(plan->dims, d);
      }
    } else {
      if (find_dim(plan->dims, full, &at))
        g_ptr_array_remove_index(plan->dims, at);
      g_ptr_array_add(plan->plain, g_strdup(*overrides));
    }
    g_free(section);
    g_free(key);
  }
  g_ptr_array_add(plan->plain, NULL);
  if (ok && plan->rep_min > 0 && !plan->ci_figure)
    ok = sweep_invalid(error,
                       "%s: sweep.replications: a range MIN..MAX needs sweep.ci-target "
                       "(FIGURE_mean:REL)",
                       plan->rep_where);
  if (plan->rep_min == 0)
    plan->rep_min = plan->replications;
  if (!ok)
    goto fail;

  /* the base scenario, then each value alone (reported where it was given) */
  Scenario *base = scn_load(path, (const char *const *)plan->plain->pdata, error);
  if (!base)
    goto fail;
  plan->dir = output ? g_strdup(output) : g_build_filename("results", base->name, NULL);
  scn_free(base);
  guint64 n_points = 1;
  for (guint d = 0; d < plan->dims->len; d++) {
    SweepDim *dim = g_ptr_array_index(plan->dims, d);
    for (guint j = 0; j < dim->values->len; j++) {
      g_autofree char *a = g_strconcat(dim->key, "=", g_ptr_array_index(dim->values, j), NULL);
      const char *point[] = {a, NULL}, *where[] = {dim->where, NULL};
      Scenario *s =
          scn_load_point(path, (const char *const *)plan->plain->pdata, point, where, error);
      if (!s)
        goto fail;
      scn_free(s);
    }
    n_points *= dim->values->len;
    if (n_points > SWEEP_MAX_RUNS)
      break;
  }
  if (n_points * plan->replications > SWEEP_MAX_RUNS) {
    sweep_invalid(error, "%s: sweep: more than %u runs in the cross product", path, SWEEP_MAX_RUNS);
    goto fail;
  }
  plan->n_points = (guint)n_points;
  plan->n_runs = plan->n_points * plan->replications;

  /* every point, its folder and its seed; the fingerprint covers them all,
   * and the contents of the events file each point reads (its path alone
   * would let two sweeps over different files merge) */
  plan->slug = g_new0(char *, plan->n_points);
  plan->seed = g_new0(uint64_t, plan->n_points);
  crypto_generichash_state sum;
  crypto_generichash_init(&sum, NULL, 0, SWEEP_HASH_BYTES);
  GHashTable *slugs = g_hash_table_new(g_str_hash, g_str_equal);
  GHashTable *events = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  char rep[32];
  g_snprintf(rep, sizeof rep, "replications=%u\n", plan->replications);
  crypto_generichash_update(&sum, (const guchar *)rep, strlen(rep));
  for (guint p = 0; p < plan->n_points; p++) {
    GPtrArray *where;
    GPtrArray *a = point_assign(plan, p, &where);
    Scenario *s =
        scn_load_point(path, (const char *const *)plan->plain->pdata, (const char *const *)a->pdata,
                       (const char *const *)where->pdata, error);
    g_ptr_array_unref(a);
    g_ptr_array_unref(where);
    if (!s) {
      ok = FALSE;
      break;
    }
    plan->seed[p] = s->seed;
    plan->slug[p] = point_slug(plan, p);
    char *ini = scn_to_ini(s);
    crypto_generichash_update(&sum, (const guchar *)plan->slug[p], strlen(plan->slug[p]) + 1);
    crypto_generichash_update(&sum, (const guchar *)ini, strlen(ini) + 1);
    g_free(ini);
    if (s->events_path) {
      const char *hex = g_hash_table_lookup(events, s->events_path);
      if (!hex) {
        gsize len;
        char *text = scn_read_file(s->events_path, &len, error);
        if (!text) {
          scn_free(s);
          ok = FALSE;
          break;
        }
        char *h = g_malloc(SWEEP_HASH_HEX);
        sweep_hash_hex(text, len, h);
        g_free(text);
        g_hash_table_insert(events, g_strdup(s->events_path), h);
        hex = h;
      }
      crypto_generichash_update(&sum, (const guchar *)"events=", 7);
      crypto_generichash_update(&sum, (const guchar *)hex, strlen(hex) + 1);
    }
    scn_free(s);
    const char *other = g_hash_table_lookup(slugs, plan->slug[p]);
    if (other) {
      ok =
          sweep_invalid(error, "%s: sweep: two points give the same folder name '%s'", path, other);
      break;
    }
    g_hash_table_insert(slugs, plan->slug[p], plan->slug[p]);
  }
  g_hash_table_destroy(slugs);
  g_hash_table_destroy(events);
  unsigned char digest[SWEEP_HASH_BYTES];
  crypto_generichash_final(&sum, digest, sizeof digest);
  plan->fingerprint = g_malloc(SWEEP_HASH_HEX);
  sodium_bin2hex(plan->fingerprint, SWEEP_HASH_HEX, digest, sizeof digest);
  if (ok)
    return plan;
fail:
  sweep_plan_free(plan);
  return NULL;
}

char *sweep_run_rel(const SweepPlan *plan, guint i) {
  return g_strdup_printf("%s/rep-%u", plan->slug[i / plan->replications],
                         i % plan->replications + 1);
}

char *sweep_run_dir(const SweepPlan *plan, guint i) {
  g_autofree char *rel = sweep_run_rel(plan, i);
  return g_build_filename(plan->dir, rel, NULL);
}

uint64_t sweep_run_seed(const SweepPlan *plan, guint i) {
  return sweep_seed(plan->seed[i / plan->replications], i % plan->replications + 1);
}
