/* sweep_merge.c — shards: --shard K/N parsing, writing a shard's
 * sweep-shard-K-of-N.csv, and `mbms-sim merge`, which checks the shards
 * belong to one sweep and rebuilds sweep.csv and sweep-stats.csv.
 * Shard files are input from anywhere: every field is parsed strictly,
 * nothing is allocated from a count the file has not shown it holds, and
 * each file's checksum is verified before its contents are believed. */
#include "app/sweep_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/report.h"

#define SHARD_MAGIC "#mbms-sim-shard v2"
/* Larger shard files are refused unread: a run's row is about 1 KB, so
 * this holds a shard of 1 000 000 runs with room to spare. */
#define SHARD_MAX_BYTES (G_GUINT64_CONSTANT(4) << 30)
/* The scenario has fewer keys than this. */
#define SHARD_MAX_DIMS 256u

/* ------------------------------------------------------------ shards */

static char *shard_name(guint k, guint n) {
  return g_strdup_printf("sweep-shard-%u-of-%u.csv", k, n);
}

/* A shard file (README.md, "Parts of a sweep"): the magic line, then
 *   shard=K/N, fingerprint=, runs=, replications=, dims=, D lines dim=KEY,
 * in that order, then one line per run of the shard in increasing order:
 *   index<TAB>dim cells,replication,seed,run<TAB>figures (\x1f between
 *   header and values),
 * and last checksum=<BLAKE2b-256 of every byte before that line>. */
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
  char sum[SWEEP_HASH_HEX];
  sweep_hash_hex(s->str, s->len, sum);
  g_string_append_printf(s, "checksum=%s\n", sum);
  t.figures = NULL;
  sweep_rows_clear(&t);
  g_autofree char *name = shard_name(k, n);
  g_autofree char *path = g_build_filename(plan->dir, name, NULL);
  gboolean ok =
      sweep_folder_check(plan->dir, error) && report_write_file_atomic(path, s->str, s->len, error);
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

/* Strict unsigned decimal as the writer prints it: digits only (no sign,
 * blank or leading zero), within lo..hi. */
static gboolean strict_u64(const char *s, guint64 lo, guint64 hi, guint64 *out) {
  if (!*s || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
    return FALSE;
  return g_ascii_string_to_unsigned(s, 10, lo, hi, out, NULL);
}

static gboolean strict_uint(const char *s, guint lo, guint hi, guint *out) {
  guint64 v;
  if (!strict_u64(s, lo, hi, &v))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

/* The whole of a shard file: only a regular file is read (a FIFO named like
 * a shard would block forever, /dev/zero never end), of at most
 * SHARD_MAX_BYTES, holding no NUL byte. */
static char *read_shard(const char *path, gsize *len, GError **error) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    sweep_invalid(error, "merge: %s: %s", path, g_strerror(e));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    sweep_invalid(error, "merge: %s: not a regular file", path);
    return NULL;
  }
  if ((guint64)st.st_size > SHARD_MAX_BYTES) {
    close(fd);
    sweep_invalid(error, "merge: %s: larger than a shard file can be (%" G_GUINT64_FORMAT " bytes)",
                  path, SHARD_MAX_BYTES);
    return NULL;
  }
  gsize cap = (gsize)st.st_size, got = 0;
  char *buf = g_try_malloc(cap + 2);
  if (!buf) {
    close(fd);
    sweep_invalid(error, "merge: %s: too large to read into memory (%" G_GSIZE_FORMAT " bytes)",
                  path, cap);
    return NULL;
  }
  for (;;) {
    ssize_t r = read(fd, buf + got, cap + 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      g_free(buf);
      sweep_invalid(error, "merge: %s: %s", path, g_strerror(e));
      return NULL;
    }
    got += (gsize)r;
    if (r == 0 || got > cap)
      break;
  }
  close(fd);
  if (got != cap) {
    g_free(buf);
    sweep_invalid(error, "merge: %s: changed while it was read", path);
    return NULL;
  }
  buf[got] = '\0';
  if (memchr(buf, '\0', got)) {
    g_free(buf);
    sweep_invalid(error, "merge: %s: holds a NUL byte (not a shard file)", path);
    return NULL;
  }
  *len = got;
  return buf;
}

/* What the shards read so far say; the first one sets the sweep. */
typedef struct {
  const char *first; /* path of the first shard */
  guint n, runs, reps, nd;
  char fp[SWEEP_HASH_HEX];
  char **keys;      /* nd, NULL-terminated */
  char **cells;     /* per run: "dim cells,replication,seed,run" */
  char **fig;       /* per run: "header\x1fvalues" */
  guint *from;      /* per run: index of its file */
  gboolean *seen_k; /* per shard (1-based) */
} Merge;

static void merge_clear(Merge *m) {
  g_strfreev(m->keys);
  for (guint i = 0; m->cells && i < m->runs; i++) {
    g_free(m->cells[i]);
    g_free(m->fig[i]);
  }
  g_free(m->cells);
  g_free(m->fig);
  g_free(m->from);
  g_free(m->seen_k);
}

static gboolean line_fail(GError **error, const char *path, guint line, const char *what) {
  return sweep_invalid(error, "merge: %s:%u: %s", path, line, what);
}

/* One header line "key=value": the value, or NULL if the line is not it. */
static const char *header_value(char **lines, guint li, const char *key) {
  return g_str_has_prefix(lines[li], key) ? lines[li] + strlen(key) : NULL;
}

static gboolean merge_file(Merge *m, guint fi, const char *path, GError **error) {
  gsize len;
  g_autofree char *text = read_shard(path, &len, error);
  if (!text)
    return FALSE;
  if (!g_str_has_prefix(text, SHARD_MAGIC "\n"))
    return sweep_invalid(error,
                         "merge: %s: not a shard file of this mbms-sim (want its first line '%s')",
                         path, SHARD_MAGIC);
  /* the checksum first: it covers every byte before its own line, so an
   * edit, a cut or a row moved to another file shows here */
  if (len == 0 || text[len - 1] != '\n')
    return sweep_invalid(error, "merge: %s: cut off (it does not end with a newline)", path);
  text[len - 1] = '\0';
  char *last = strrchr(text, '\n');
  text[len - 1] = '\n';
  const char *sumline = last ? last + 1 : text; /* no newline but the last: the magic alone */
  gsize body = (gsize)(sumline - text);
  if (!last || !g_str_has_prefix(sumline, "checksum="))
    return sweep_invalid(error, "merge: %s: cut off or incomplete (no checksum= line at its end)",
                         path);
  char want[SWEEP_HASH_HEX];
  sweep_hash_hex(text, body, want);
  if (len - body != strlen("checksum=") + SWEEP_HASH_HEX ||
      memcmp(sumline + strlen("checksum="), want, SWEEP_HASH_HEX - 1) != 0)
    return sweep_invalid(
        error, "merge: %s: checksum does not match its contents (edited or damaged)", path);
  text[body] = '\0';
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  guint n_lines = g_strv_length(lines) - 1; /* the last is "" after the final newline */

  /* the header, strictly in the order the writer writes it */
  guint k = 0, n = 0, runs = 0, reps = 0, nd = 0;
  const char *v, *fp;
  if (n_lines < 6)
    return line_fail(error, path, n_lines + 1, "header cut short");
  if (!(v = header_value(lines, 1, "shard=")))
    return line_fail(error, path, 2, "expected shard=K/N");
  {
    const char *slash = strchr(v, '/');
    g_autofree char *ks = slash ? g_strndup(v, (gsize)(slash - v)) : NULL;
    if (!slash || !strict_uint(ks, 1, 1000000, &k) || !strict_uint(slash + 1, 1, 1000000, &n) ||
        k > n)
      return line_fail(error, path, 2, "shard= is not K/N with 1 <= K <= N <= 1000000");
  }
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *name = shard_name(k, n);
  if (strcmp(base, name) != 0)
    return line_fail(error, path, 2, "shard= does not match the file's name");
  fp = header_value(lines, 2, "fingerprint=");
  if (!fp || strlen(fp) != SWEEP_HASH_HEX - 1 || strspn(fp, "0123456789abcdef") != strlen(fp))
    return line_fail(error, path, 3, "expected fingerprint= and 64 hex digits");
  if (!(v = header_value(lines, 3, "runs=")) || !strict_uint(v, 1, SWEEP_MAX_RUNS, &runs))
    return sweep_invalid(error, "merge: %s:4: expected runs= and an integer in 1..%u", path,
                         SWEEP_MAX_RUNS);
  if (!(v = header_value(lines, 4, "replications=")) || !strict_uint(v, 1, runs, &reps) ||
      runs % reps)
    return line_fail(error, path, 5, "expected replications= and a divisor of runs");
  if (!(v = header_value(lines, 5, "dims=")) || !strict_uint(v, 0, SHARD_MAX_DIMS, &nd))
    return sweep_invalid(error, "merge: %s:6: expected dims= and an integer in 0..%u", path,
                         SHARD_MAX_DIMS);
  if (n_lines < 6 + nd)
    return line_fail(error, path, n_lines + 1, "fewer dim= lines than dims= says");
  for (guint d = 0; d < nd; d++) {
    const char *key = header_value(lines, 6 + d, "dim=");
    if (!key || !*key || strpbrk(key, ",\"\t"))
      return line_fail(error, path, 7 + d, "expected dim= and a swept key (dims= says more)");
    for (guint e = 0; e < d; e++)
      if (strcmp(key, lines[6 + e] + 4) == 0)
        return line_fail(error, path, 7 + d, "a key is swept twice");
  }
  if (lines[6 + nd] && g_str_has_prefix(lines[6 + nd], "dim="))
    return line_fail(error, path, 7 + nd, "more dim= lines than dims= says");
  /* every run of the shard is there (checked below), so the header cannot
   * claim more rows than the file holds: a row has at least dims + 8 bytes */
  guint rows = k <= runs ? (runs - k) / n + 1 : 0;
  if ((guint64)rows * (nd + 8) > len)
    return sweep_invalid(error,
                         "merge: %s: runs= and dims= claim %u rows of %u columns, more than "
                         "its %" G_GSIZE_FORMAT " bytes hold",
                         path, rows, nd + 3, len);

  if (fi == 0) {
    m->first = path;
    m->n = n;
    m->runs = runs;
    m->reps = reps;
    m->nd = nd;
    memcpy(m->fp, fp, SWEEP_HASH_HEX);
    m->keys = g_new0(char *, nd + 1);
    for (guint d = 0; d < nd; d++)
      m->keys[d] = g_strdup(lines[6 + d] + 4);
    m->cells = g_new0(char *, runs);
    m->fig = g_new0(char *, runs);
    m->from = g_new0(guint, runs);
    m->seen_k = g_new0(gboolean, n + 1);
  } else {
    gboolean same =
        strcmp(fp, m->fp) == 0 && n == m->n && runs == m->runs && reps == m->reps && nd == m->nd;
    for (guint d = 0; same && d < nd; d++)
      same = strcmp(lines[6 + d] + 4, m->keys[d]) == 0;
    if (!same)
      return sweep_invalid(error,
                           "merge: %s: is a shard of another sweep than %s (different scenario, "
                           "events file, values, replications or shard count)",
                           path, m->first);
  }
  if (m->seen_k[k])
    return sweep_invalid(error, "merge: %s: shard %u/%u is given twice", path, k, n);
  m->seen_k[k] = TRUE;

  /* the rows: exactly runs K-1, K-1+N, ... in that order */
  guint li = 6 + nd;
  if (n_lines - li != rows)
    return sweep_invalid(error, "merge: %s: holds %u run lines, want %u for shard %u/%u of %u runs",
                         path, n_lines - li, rows, k, n, runs);
  for (guint j = 0; j < rows; j++, li++) {
    guint i = k - 1 + j * n;
    g_auto(GStrv) parts = g_strsplit(lines[li], "\t", -1);
    guint idx;
    if (g_strv_length(parts) != 3)
      return line_fail(error, path, li + 1, "malformed run line (want index, cells, figures)");
    if (!strict_uint(parts[0], 0, runs - 1, &idx) || idx != i) {
      g_autofree char *q = scn_quote(parts[0]); /* the file's bytes: one printable line */
      return sweep_invalid(error, "merge: %s:%u: run index '%s' where run %u belongs", path, li + 1,
                           q, i);
    }
    if (!strchr(parts[2], SWEEP_FIG_SEP))
      return line_fail(error, path, li + 1, "malformed figures");
    m->cells[i] = g_strdup(parts[1]);
    m->fig[i] = g_strdup(parts[2]);
    m->from[i] = fi;
  }
  return TRUE;
}

/* Splits a row's cells (RFC 4180, as the writer escaped them) into the
 * offsets where each cell starts and ends; -1 if malformed. */
static int split_cells(const char *s, guint max, const char **start, const char **end) {
  guint c = 0;
  const char *p = s;
  for (;;) {
    if (c == max)
      return -1;
    start[c] = p;
    if (*p == '"') {
      for (p++;; p++) {
        if (!*p)
          return -1;
        if (*p == '"') {
          if (p[1] != '"')
            break;
          p++;
        }
      }
      p++;
    } else {
      while (*p && *p != ',' && *p != '"')
        p++;
      if (*p == '"')
        return -1;
    }
    end[c++] = p;
    if (!*p)
      return (int)c;
    if (*p != ',')
      return -1;
    p++;
  }
}

/* Checks what the checksum cannot: that the rows make one sweep (the
 * replication column, seeds recomputed by the documented rule, a point's
 * keys and folder the same in all its replications, the points the cross
 * product of the keys' values in order). */
static gboolean merge_consistent(const Merge *m, GPtrArray *files, GError **error) {
  guint nc = m->nd + 3, n_points = m->runs / m->reps;
  const char **st = g_new(const char *, nc + 1), **en = g_new(const char *, nc + 1);
  GHashTable *slugs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *values = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
  GPtrArray *order = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  for (guint d = 0; d < m->nd; d++) {
    g_ptr_array_add(values, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL));
    g_ptr_array_add(order, g_ptr_array_new());
  }
  guint *vidx = g_new0(guint, (gsize)n_points * m->nd + 1);
  guint64 seed1 = 0;
  char *keys1 = NULL, *slug1 = NULL;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < m->runs; i++) {
    const char *path = g_ptr_array_index(files, m->from[i]);
    guint r = i % m->reps + 1, p = i / m->reps;
    guint64 seed;
    if (split_cells(m->cells[i], nc + 1, st, en) != (int)nc) {
      ok = sweep_invalid(error, "merge: %s: run %u: not %u key cells and replication, seed, run",
                         path, i, m->nd);
      break;
    }
    g_autofree char *rep = g_strndup(st[m->nd], (gsize)(en[m->nd] - st[m->nd]));
    g_autofree char *seeds = g_strndup(st[m->nd + 1], (gsize)(en[m->nd + 1] - st[m->nd + 1]));
    g_autofree char *run = g_strndup(st[m->nd + 2], (gsize)(en[m->nd + 2] - st[m->nd + 2]));
    g_autofree char *want_rep = g_strdup_printf("%u", r);
    g_autofree char *suffix = g_strdup_printf("/rep-%u", r);
    g_autofree char *keys = g_strndup(m->cells[i], (gsize)(st[m->nd] - m->cells[i]));
    /* the file's bytes, as they may appear in a message: one printable line */
    g_autofree char *qrep = scn_quote(rep), *qseeds = scn_quote(seeds), *qrun = scn_quote(run);
    if (strcmp(rep, want_rep) != 0) {
      ok = sweep_invalid(error, "merge: %s: run %u: replication '%s', want %u (replications=%u)",
                         path, i, qrep, r, m->reps);
    } else if (!strict_u64(seeds, 0, G_MAXUINT64, &seed) ||
               (r > 1 && seed != sweep_seed(seed1, r))) {
      ok = sweep_invalid(error,
                         "merge: %s: run %u: seed '%s' is not the seed of replication %u of its "
                         "point",
                         path, i, qseeds, r);
    } else if (!g_str_has_suffix(run, suffix) || strlen(run) == strlen(suffix) || run[0] == '"') {
      ok = sweep_invalid(error, "merge: %s: run %u: run folder '%s' does not end in %s", path, i,
                         qrun, suffix);
    } else if (r > 1 && (strcmp(keys, keys1) != 0 ||
                         strncmp(run, slug1, strlen(run) - strlen(suffix)) != 0 ||
                         strlen(slug1) != strlen(run) - strlen(suffix))) {
      ok = sweep_invalid(error,
                         "merge: %s: run %u: swept values or folder differ from replication 1 of "
                         "its point",
                         path, i);
    } else if (r == 1) {
      seed1 = seed;
      g_free(keys1);
      g_free(slug1);
      keys1 = g_strdup(keys);
      slug1 = g_strndup(run, strlen(run) - strlen(suffix));
      if (!g_hash_table_add(slugs, g_strdup(slug1))) {
        g_autofree char *q = scn_quote(slug1);
        ok = sweep_invalid(error, "merge: %s: run %u: two points have the folder '%s'", path, i, q);
      }
      for (guint d = 0; ok && d < m->nd; d++) {
        char *cell = g_strndup(st[d], (gsize)(en[d] - st[d]));
        GHashTable *h = g_ptr_array_index(values, d);
        gpointer at;
        if (g_hash_table_lookup_extended(h, cell, NULL, &at)) {
          g_free(cell);
        } else {
          GPtrArray *o = g_ptr_array_index(order, d);
          at = GUINT_TO_POINTER(o->len);
          g_ptr_array_add(o, cell);
          g_hash_table_insert(h, cell, at);
        }
        vidx[(gsize)p * m->nd + d] = GPOINTER_TO_UINT(at);
      }
    }
  }
  /* the points: value index of key d at point p is p / (points of the keys
   * after d) mod (values of d), the first key varying slowest */
  guint64 prod = 1;
  for (guint d = 0; ok && d < m->nd; d++)
    prod = MIN(prod * ((GPtrArray *)g_ptr_array_index(order, d))->len, (guint64)n_points + 1);
  if (ok && prod != n_points)
    ok = sweep_invalid(error,
                       "merge: %s: the %u points are not the cross product of the swept keys' "
                       "values",
                       m->first, n_points);
  for (guint p = 0; ok && p < n_points; p++) {
    guint q = p;
    for (guint d = m->nd; ok && d-- > 0;) {
      guint nv = ((GPtrArray *)g_ptr_array_index(order, d))->len;
      if (vidx[(gsize)p * m->nd + d] != q % nv)
        ok = sweep_invalid(error,
                           "merge: %s: point %u (run %u): its %s is out of the cross product's "
                           "order",
                           (const char *)g_ptr_array_index(files, m->from[p * m->reps]), p,
                           p * m->reps, m->keys[d]);
      q /= nv;
    }
  }
  g_free(keys1);
  g_free(slug1);
  g_free(vidx);
  g_ptr_array_unref(order);
  g_ptr_array_unref(values);
  g_hash_table_destroy(slugs);
  g_free(st);
  g_free(en);
  return ok;
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

  Merge m = {0};
  gboolean ok = TRUE;
  for (guint f = 0; ok && f < files->len; f++)
    ok = merge_file(&m, f, g_ptr_array_index(files, f), error);
  guint found = 0;
  for (guint k = 1; ok && k <= m.n; k++)
    found += m.seen_k[k];
  if (ok && found != m.n)
    ok = sweep_invalid(error, "merge: %u of %u shards found in the folders given", found, m.n);
  if (ok)
    ok = merge_consistent(&m, files, error);
  const char *out = output ? output : dirs[0];
  if (ok)
    ok = sweep_folder_check(out, error);
  if (ok) {
    /* only now, every row read and checked, is the table n_runs x dims big */
    guint nc = m.nd + 3;
    const char **st = g_new(const char *, nc + 1), **en = g_new(const char *, nc + 1);
    SweepRows t = {.n_dims = m.nd, .replications = m.reps, .n_runs = m.runs, .figures = m.fig};
    t.dim_keys = g_strdupv(m.keys);
    t.dim_values = g_new0(char *, (gsize)m.runs *m.nd + 1);
    t.run_prefix = g_new0(char *, m.runs + 1);
    for (guint i = 0; i < m.runs; i++) {
      split_cells(m.cells[i], nc + 1, st, en);
      for (guint d = 0; d < m.nd; d++)
        t.dim_values[(gsize)i * m.nd + d] = g_strndup(st[d], (gsize)(en[d] - st[d]));
      t.run_prefix[i] = g_strdup(st[m.nd]);
    }
    g_free(st);
    g_free(en);
    ok = sweep_rows_write(out, &t, error);
    sweep_rows_clear(&t);
  }
  merge_clear(&m);
  g_ptr_array_unref(files);
  return ok;
}
