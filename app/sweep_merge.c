/* sweep_merge.c — shards: --shard K/N parsing, writing a shard's
 * sweep-shard-K-of-N.csv, and `mbms-sim merge`, which checks the shards
 * belong to one sweep and rebuilds sweep.csv and sweep-stats.csv. */
#include "app/sweep_private.h"

#include <stdio.h>
#include <string.h>

#include "app/report.h"

#define SHARD_MAGIC "#mbms-sim-shard v1"

/* ------------------------------------------------------------ shards */

static char *shard_name(guint k, guint n) {
  return g_strdup_printf("sweep-shard-%u-of-%u.csv", k, n);
}

/* A shard file: magic, key=value lines, then one line per run:
 *   index<TAB>dims cells,prefix<TAB>figures (with \x1f between header and values) */
gboolean sweep_write_shard(const SweepPlan *plan, guint k, guint n, char **figures,
                           GError **error) {
  SweepRows t = {0};
  sweep_rows_from_plan(plan, figures, &t);
  GString *s = g_string_new(SHARD_MAGIC "\n");
  g_string_append_printf(s, "shard=%u/%u\nfingerprint=%s\nruns=%u\nreplications=%u\ndims=%u\n", k,
                         n, plan->fingerprint, plan->n_runs, plan->replications, t.n_dims);
  for (guint d = 0; d < t.n_dims; d++)
    g_string_append_printf(s, "dim=%s\n", t.dim_keys[d]);
  for (guint i = k - 1; i < plan->n_runs; i += n) {
    g_string_append_printf(s, "%u\t", i);
    for (guint d = 0; d < t.n_dims; d++)
      g_string_append_printf(s, "%s,", t.dim_values[(gsize)i * t.n_dims + d]);
    g_string_append_printf(s, "%s\t%s\n", t.run_prefix[i], figures[i]);
  }
  t.figures = NULL;
  sweep_rows_clear(&t);
  g_autofree char *name = shard_name(k, n);
  g_autofree char *path = g_build_filename(plan->dir, name, NULL);
  gboolean ok = report_write_file_atomic(path, s->str, s->len, error);
  g_string_free(s, TRUE);
  return ok;
}

gboolean sweep_parse_shard(const char *text, guint *k, guint *n, GError **error) {
  guint64 a, b;
  const char *slash = strchr(text, '/');
  g_autofree char *ks = slash ? g_strndup(text, (gsize)(slash - text)) : NULL;
  if (!slash || !*ks || !slash[1] || strspn(ks, "0123456789") != strlen(ks) ||
      strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
      !g_ascii_string_to_unsigned(ks, 10, 1, 1000000, &a, NULL) ||
      !g_ascii_string_to_unsigned(slash + 1, 10, 1, 1000000, &b, NULL) || a > b)
    return sweep_invalid(error, "--shard: '%s': expected K/N with 1 <= K <= N <= 1000000", text);
  *k = (guint)a;
  *n = (guint)b;
  return TRUE;
}

/* ------------------------------------------------------------ merge */

/* g_ptr_array_sort passes pointers to the elements. */
static gint cmp_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gboolean merge_fail(GError **error, const char *path, const char *what) {
  return sweep_invalid(error, "merge: %s: %s", path, what);
}

gboolean sweep_merge(const char *const *dirs, const char *output, GError **error) {
  if (!dirs || !dirs[0])
    return sweep_invalid(error, "merge: expected at least one folder (mbms-sim merge DIR...)");
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  for (guint d = 0; dirs[d]; d++) {
    GError *e = NULL;
    GDir *dir = g_dir_open(dirs[d], 0, &e);
    if (!dir) {
      sweep_invalid(error, "merge: %s", e->message);
      g_error_free(e);
      g_ptr_array_unref(files);
      return FALSE;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)))
      if (g_str_has_prefix(name, "sweep-shard-") && g_str_has_suffix(name, ".csv") &&
          !strstr(name, ".tmp-"))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(dir);
    g_ptr_array_sort(names, cmp_names);
    for (guint j = 0; j < names->len; j++)
      g_ptr_array_add(files, g_build_filename(dirs[d], g_ptr_array_index(names, j), NULL));
    g_ptr_array_unref(names);
  }
  if (files->len == 0) {
    g_ptr_array_unref(files);
    return sweep_invalid(error, "merge: no sweep-shard-K-of-N.csv in %s%s", dirs[0],
                         dirs[1] ? " ..." : "");
  }

  gboolean ok = TRUE;
  SweepRows t = {0};
  char **fig = NULL;
  guint first_n = 0, runs = 0;
  char *fp = NULL;
  GHashTable *seen_k = g_hash_table_new(NULL, NULL);
  for (guint f = 0; ok && f < files->len; f++) {
    const char *path = g_ptr_array_index(files, f);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
      ok = merge_fail(error, path, "cannot be read");
      break;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint k = 0, n = 0, r = 0, reps = 0, nd = 0, li = 1;
    const char *fpr = NULL;
    if (!lines[0] || strcmp(lines[0], SHARD_MAGIC) != 0) {
      ok = merge_fail(error, path, "not a shard file of mbms-sim");
      break;
    }
    for (; lines[li] && strchr(lines[li], '=') && !strchr(lines[li], '\t'); li++) {
      const char *l = lines[li];
      if (g_str_has_prefix(l, "shard="))
        sscanf(l + 6, "%u/%u", &k, &n);
      else if (g_str_has_prefix(l, "fingerprint="))
        fpr = l + 12;
      else if (g_str_has_prefix(l, "runs="))
        r = (guint)g_ascii_strtoull(l + 5, NULL, 10);
      else if (g_str_has_prefix(l, "replications="))
        reps = (guint)g_ascii_strtoull(l + 13, NULL, 10);
      else if (g_str_has_prefix(l, "dims="))
        nd = (guint)g_ascii_strtoull(l + 5, NULL, 10);
    }
    if (!k || !n || k > n || !fpr || !r || !reps || r % reps || r > SWEEP_MAX_RUNS) {
      ok = merge_fail(error, path, "malformed shard header");
      break;
    }
    if (f == 0) {
      first_n = n;
      runs = r;
      fp = g_strdup(fpr);
      t.n_dims = nd;
      t.replications = reps;
      t.n_runs = r;
      t.dim_keys = g_new0(char *, nd + 1);
      guint dk = 0;
      for (guint j = 1; j < li; j++)
        if (g_str_has_prefix(lines[j], "dim=") && dk < nd)
          t.dim_keys[dk++] = g_strdup(lines[j] + 4);
      if (dk != nd) {
        ok = merge_fail(error, path, "malformed shard header");
        break;
      }
      t.dim_values = g_new0(char *, (gsize)r *nd + 1);
      t.run_prefix = g_new0(char *, r + 1);
      fig = g_new0(char *, r + 1);
    } else if (strcmp(fpr, fp) != 0 || n != first_n || r != runs) {
      ok = sweep_invalid(error,
                         "merge: %s: is a shard of another sweep than %s (different scenario, "
                         "values, replications or shard count)",
                         path, (const char *)g_ptr_array_index(files, 0));
      break;
    }
    if (g_hash_table_contains(seen_k, GUINT_TO_POINTER(k))) {
      ok = merge_fail(error, path, "the same shard is given twice");
      break;
    }
    g_hash_table_add(seen_k, GUINT_TO_POINTER(k));
    for (; ok && lines[li]; li++) {
      if (!*lines[li])
        continue;
      g_auto(GStrv) parts = g_strsplit(lines[li], "\t", 3);
      if (g_strv_length(parts) != 3) {
        ok = merge_fail(error, path, "malformed run line");
        break;
      }
      guint64 i;
      if (!g_ascii_string_to_unsigned(parts[0], 10, 0, runs - 1, &i, NULL) || i % n != k - 1 ||
          fig[i]) {
        ok = merge_fail(error, path, "bad or repeated run index");
        break;
      }
      /* dims cells, then the 3 prefix cells; no dim cell holds a tab */
      const char *p = parts[1];
      for (guint d = 0; d < t.n_dims; d++) {
        /* a cell: quoted or up to the next comma */
        const char *q = p;
        if (*q == '"') {
          for (q++; *q && !(*q == '"' && q[1] != '"'); q += (*q == '"') ? 2 : 1)
            ;
          if (*q)
            q++;
        } else {
          while (*q && *q != ',')
            q++;
        }
        t.dim_values[i * t.n_dims + d] = g_strndup(p, (gsize)(q - p));
        p = *q ? q + 1 : q;
      }
      t.run_prefix[i] = g_strdup(p);
      fig[i] = g_strdup(parts[2]);
    }
  }
  if (ok && g_hash_table_size(seen_k) != first_n)
    ok = sweep_invalid(error, "merge: %u of %u shards found in the folders given",
                       g_hash_table_size(seen_k), first_n);
  for (guint i = 0; ok && i < runs; i++)
    if (!fig[i] || !strchr(fig[i], SWEEP_FIG_SEP))
      ok = sweep_invalid(error, "merge: run %u is missing from the shards", i);
  if (ok) {
    t.figures = fig;
    ok = sweep_rows_write(output ? output : dirs[0], &t, error);
  }
  g_hash_table_destroy(seen_k);
  g_free(fp);
  sweep_rows_clear(&t);
  for (guint i = 0; fig && i < runs; i++)
    g_free(fig[i]);
  g_free(fig);
  g_ptr_array_unref(files);
  return ok;
}
