/* test_merge.c — `mbms-sim merge` against hostile and damaged shard files
 * (issue 11, items 1, 4 and 9), and the rule that a sweep or a merge does
 * not write into a folder holding files it did not write (item 10).
 *
 * Every bad case starts from real shards of a small sweep, changes them the
 * way the issue lists, and wants exit 2, one line naming the problem, and
 * no sweep.csv or sweep-stats.csv written. Where a case could otherwise be
 * caught by the checksum alone, a second variant recomputes the checksum
 * (BLAKE2b-256 of every byte before the checksum= line, README.md) so that
 * the consistency checks behind it are tested too. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_files.h"

/* 2 points x 2 replications = 4 runs; shard 1/2 holds runs 0 and 2, shard
 * 2/2 runs 1 and 3. */
static const char *sweep_ini = "[run]\n"
                               "name = m\n"
                               "duration = 5\n"
                               "[workload]\n"
                               "initial-members = 10\n"
                               "join-rate = 1\n"
                               "mean-membership = 30\n"
                               "events = events.csv\n"
                               "[sweep]\n"
                               "run.embodiment = 1, 2\n"
                               "replications = 2\n";
static const char *events_a = "time,action,ue,cell\n1,join,500,0\n";
static const char *events_b = "time,action,ue,cell\n2,join,500,0\n";

static const char *sim(void) {
  const char *s = g_getenv("MBMS_SIM");
  if (!s)
    g_test_skip("MBMS_SIM not set (run through meson test)");
  return s;
}

static int run_in(const char *cwd, const char *const *argv, char **err) {
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(cwd, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                             err, &status, &error));
  g_assert_no_error(error);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *path_in(const char *dir, const char *a, const char *b) {
  return g_build_filename(dir, a, b, NULL);
}

G_GNUC_NO_INLINE static char *slurp(const char *path) {
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    g_error("cannot read %s", path);
  return text;
}

static void spit(const char *path, const char *text) {
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Replaces the first occurrence of `from` by `to` in the file. */
static void edit(const char *path, const char *from, const char *to) {
  GString *t = g_string_new(NULL);
  char *text = slurp(path);
  const char *at = strstr(text, from);
  if (!at)
    g_error("%s: '%s' not found", path, from);
  g_string_append_len(t, text, at - text);
  g_string_append(t, to);
  g_string_append(t, at + strlen(from));
  spit(path, t->str);
  g_string_free(t, TRUE);
  g_free(text);
}

/* Recomputes the checksum line the way README.md documents it. */
static void fix_sum(const char *path) {
  char *t = slurp(path);
  char *at = g_strrstr(t, "checksum=");
  g_assert_nonnull(at);
  *at = '\0';
  unsigned char sum[32];
  char hex[65];
  crypto_generichash(sum, sizeof sum, (const unsigned char *)t, strlen(t), NULL, 0);
  sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
  char *u = g_strdup_printf("%schecksum=%s\n", t, hex);
  spit(path, u);
  g_free(u);
  g_free(t);
}

/* The line of run `i` in the file (without its newline). */
static char *run_line(const char *path, guint i) {
  char *t = slurp(path);
  g_auto(GStrv) lines = g_strsplit(t, "\n", -1);
  g_free(t);
  char *want = g_strdup_printf("%u\t", i);
  char *line = NULL;
  for (guint k = 0; lines[k] && !line; k++)
    if (g_str_has_prefix(lines[k], want))
      line = g_strdup(lines[k]);
  g_free(want);
  g_assert_nonnull(line);
  return line;
}

typedef struct {
  char *dir;           /* the scenario, events.csv and the folders below */
  char *s1, *s2;       /* sh/sweep-shard-1-of-2.csv, sh/sweep-shard-2-of-2.csv */
  char *good1, *good2; /* their untouched texts */
} Fixture;

static Fixture fx;

static gboolean setup(void) {
  if (!sim())
    return FALSE;
  if (fx.dir)
    return TRUE;
  GError *error = NULL;
  fx.dir = g_dir_make_tmp("mbms-merge-XXXXXX", &error);
  g_assert_no_error(error);
  char *ini = path_in(fx.dir, "s.ini", NULL), *ev = path_in(fx.dir, "events.csv", NULL);
  spit(ini, sweep_ini);
  spit(ev, events_a);
  const char *p1[] = {sim(), "-q", "--shard", "1/2", "-o", "sh", "s.ini", NULL};
  const char *p2[] = {sim(), "-q", "--shard", "2/2", "-o", "sh", "s.ini", NULL};
  g_assert_cmpint(run_in(fx.dir, p1, NULL), ==, 0);
  g_assert_cmpint(run_in(fx.dir, p2, NULL), ==, 0);
  /* shard 2 of the same scenario, values and seeds, other events file contents */
  spit(ev, events_b);
  const char *b2[] = {sim(), "-q", "--shard", "2/2", "-o", "evB", "s.ini", NULL};
  g_assert_cmpint(run_in(fx.dir, b2, NULL), ==, 0);
  spit(ev, events_a);
  fx.s1 = path_in(fx.dir, "sh", "sweep-shard-1-of-2.csv");
  fx.s2 = path_in(fx.dir, "sh", "sweep-shard-2-of-2.csv");
  fx.good1 = slurp(fx.s1);
  fx.good2 = slurp(fx.s2);
  g_free(ini);
  g_free(ev);
  return TRUE;
}

/* A fresh copy of the two good shards in `dir`/T. */
static char *fresh(const char *name) {
  char *t = path_in(fx.dir, "T", NULL);
  rm_rf(t);
  g_assert_cmpint(g_mkdir(t, 0755), ==, 0);
  char *p1 = path_in(t, "sweep-shard-1-of-2.csv", NULL),
       *p2 = path_in(t, "sweep-shard-2-of-2.csv", NULL);
  spit(p1, fx.good1);
  spit(p2, fx.good2);
  g_free(p1);
  g_free(p2);
  g_free(t);
  return path_in(fx.dir, "T", name);
}

/* merge -o M T [extra]: want exit 2, `msg` in one line of stderr, no M. */
static void want_refused(const char *what, const char *extra, const char *msg) {
  char *m = path_in(fx.dir, "M", NULL);
  rm_rf(m);
  const char *argv[] = {sim(), "merge", "-o", "M", "T", extra, NULL};
  char *err = NULL;
  int st = run_in(fx.dir, argv, &err);
  const char *nl = strchr(err, '\n');
  if (st != 2 || !strstr(err, msg) || !nl || nl[1] != '\0')
    g_error("%s: exit %d, stderr '%s'; want 2 and one line with '%s'", what, st, err, msg);
  if (g_file_test(m, G_FILE_TEST_EXISTS))
    g_error("%s: %s was written", what, m);
  g_free(err);
  g_free(m);
}

/* The untouched shards merge, so every refusal below is the change's. */
static void test_good(void) {
  if (!setup())
    return;
  char *t = fresh(NULL);
  g_free(t);
  char *m = path_in(fx.dir, "M", NULL);
  rm_rf(m);
  const char *argv[] = {sim(), "merge", "-q", "-o", "M", "T", NULL};
  g_assert_cmpint(run_in(fx.dir, argv, NULL), ==, 0);
  char *csv = path_in(m, "sweep.csv", NULL);
  g_assert_true(g_file_test(csv, G_FILE_TEST_IS_REGULAR));
  g_free(csv);
  g_free(m);
}

/* Item 1: the header's integers, strictly; sizes bounded by the file. */
static void test_header(void) {
  if (!setup())
    return;
  static const struct {
    const char *from, *to, *msg;
  } cases[] = {
      {"dims=1\n", "dims=4294967295\n", ":6: expected dims= and an integer in 0..256"},
      {"dims=1\n", "dims=4294967294\n", ":6: expected dims= and an integer in 0..256"},
      {"dims=1\n", "dims=-2\n", ":6: expected dims= and an integer in 0..256"},
      {"dims=1\n", "dims= 1\n", ":6: expected dims="},
      {"dims=1\n", "dims=01\n", ":6: expected dims="},
      {"runs=4\n", "runs=4294967304\n", ":4: expected runs= and an integer in 1..1000000"},
      {"runs=4\n", "runs=4x\n", ":4: expected runs="},
      {"runs=4\n", "runs=0\n", ":4: expected runs="},
      {"shard=1/2\n", "shard=1/3junk\n", ":2: shard= is not K/N"},
      {"shard=1/2\n", "shard=1/2/2\n", ":2: shard= is not K/N"},
      {"shard=1/2\n", "shard=+1/2\n", ":2: shard= is not K/N"},
      {"shard=1/2\n", "shard=1/3\n", ":2: shard= does not match the file's name"},
      {"replications=2\n", "replications=3\n", ":5: expected replications= and a divisor of runs"},
      {"fingerprint=", "fingerprint=zz", ":3: expected fingerprint= and 64 hex digits"},
      {"dims=1\n", "dims=2\n", ":8: expected dim= and a swept key"},
      {"dims=1\ndim=run.embodiment\n", "dims=2\ndim=run.embodiment\ndim=run.embodiment\n",
       ":8: a key is swept twice"},
      {"#mbms-sim-shard v2\n", "#mbms-sim-shard v1\n", "not a shard file of this mbms-sim"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *p = fresh("sweep-shard-1-of-2.csv");
    edit(p, cases[i].from, cases[i].to);
    fix_sum(p);
    char *what = g_strdup_printf("header case %u (%s)", i, cases[i].to);
    want_refused(what, NULL, cases[i].msg);
    g_free(what);
    g_free(p);
  }

  /* runs=1000000 and 200 dim= lines in a file of a few KB: the rows it
   * claims (500000 of 203 columns) cannot be in it, refused before any
   * table of runs x dims is allocated */
  char *p = fresh("sweep-shard-1-of-2.csv");
  GString *dims = g_string_new("runs=1000000\nreplications=2\ndims=200\n");
  for (guint d = 0; d < 200; d++)
    g_string_append_printf(dims, "dim=s.k%u\n", d);
  edit(p, "runs=4\nreplications=2\ndims=1\ndim=run.embodiment\n", dims->str);
  g_string_free(dims, TRUE);
  fix_sum(p);
  want_refused("runs x dims", NULL, "claim 500000 rows of 203 columns, more than its");
  g_free(p);
}

/* Item 4: only regular files of bounded size are read. */
static void test_not_regular(void) {
  if (!setup())
    return;
  char *p = fresh("sweep-shard-2-of-2.csv");
  g_unlink(p);
  g_assert_cmpint(mkfifo(p, 0644), ==, 0); /* would block a reader forever */
  want_refused("FIFO", NULL, "sweep-shard-2-of-2.csv: not a regular file");
  g_unlink(p);
  g_assert_cmpint(symlink("/dev/zero", p), ==, 0); /* would never end */
  want_refused("/dev/zero", NULL, "sweep-shard-2-of-2.csv: not a regular file");
  g_unlink(p);
  g_assert_cmpint(g_mkdir(p, 0755), ==, 0);
  want_refused("folder", NULL, "sweep-shard-2-of-2.csv: not a regular file");
  g_rmdir(p);
  /* 4 GiB + 1 byte, sparse: refused from its size, unread */
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(ftruncate(fd, ((off_t)4 << 30) + 1), ==, 0);
  close(fd);
  want_refused("huge", NULL, "larger than a shard file can be (4294967296 bytes)");
  g_file_set_contents(p, "#mbms-sim-shard v2\n\0x\n", 22, NULL);
  want_refused("NUL", NULL, "holds a NUL byte");
  g_free(p);
}

/* Item 9: tampered or mismatched shards. */
static void test_tampered(void) {
  if (!setup())
    return;
  char *p1 = fresh("sweep-shard-1-of-2.csv");
  char *p2 = path_in(fx.dir, "T", "sweep-shard-2-of-2.csv");
  char *run0 = run_line(fx.s1, 0), *run1 = run_line(fx.s2, 1), *run2 = run_line(fx.s1, 2);
  /* run 0's figures: its last value edited */
  char *edited0 = g_strconcat(run0, "1", NULL);

  /* an edited figure: the checksum */
  edit(p1, run0, edited0);
  want_refused("edited figure", NULL,
               "sweep-shard-1-of-2.csv: checksum does not match its contents");

  /* an edited seed: the checksum, and with the checksum recomputed, the
   * seed rule (replication 2 of point 1 is run 1) */
  g_free(fresh(NULL));
  g_auto(GStrv) cells = g_strsplit(run1, ",", -1);
  char *seed_cell = g_strdup_printf(",%s,", cells[2]); /* embodiment, replication, seed */
  char *seed_new = g_strdup_printf(",1%s,", cells[2]);
  edit(p2, seed_cell, seed_new);
  want_refused("edited seed", NULL, "checksum does not match");
  fix_sum(p2);
  want_refused("edited seed, checksum recomputed", NULL, "sweep-shard-2-of-2.csv: run 1: seed '1");
  g_free(seed_cell);
  g_free(seed_new);

  /* an edited swept value (point 1, replication 1): its replication 2 disagrees */
  g_free(fresh(NULL));
  g_assert_true(g_str_has_prefix(run0, "0\t1,"));
  char *value0 = g_strconcat("0\t3,", run0 + 4, NULL);
  edit(p1, run0, value0);
  fix_sum(p1);
  want_refused("edited value", NULL, "run 1: swept values or folder differ from replication 1");
  g_free(value0);

  /* rows swapped between the files (run 0 and run 1): the checksums, and
   * recomputed, the rows' indices */
  g_free(fresh(NULL));
  edit(p1, run0, run1);
  edit(p2, run1, run0);
  want_refused("rows swapped", NULL, "checksum does not match");
  fix_sum(p1);
  fix_sum(p2);
  want_refused("rows swapped, checksums recomputed", NULL,
               "sweep-shard-1-of-2.csv:8: run index '1' where run 0 belongs");

  /* two rows of one file swapped (runs 0 and 2) */
  g_free(fresh(NULL));
  char *both = g_strconcat(run0, "\n", run2, "\n", NULL),
       *swapped = g_strconcat(run2, "\n", run0, "\n", NULL);
  edit(p1, both, swapped);
  fix_sum(p1);
  want_refused("rows out of order", NULL, "run index '2' where run 0 belongs");
  g_free(both);
  g_free(swapped);

  /* a row missing (and the checksum recomputed) */
  g_free(fresh(NULL));
  char *line2 = g_strconcat(run2, "\n", NULL);
  edit(p1, line2, "");
  fix_sum(p1);
  want_refused("row missing", NULL, "holds 1 run lines, want 2 for shard 1/2 of 4 runs");
  g_free(line2);

  /* the same edited fingerprint in every shard (64 hex digits still) */
  g_free(fresh(NULL));
  char *fp = g_strndup(strstr(fx.good1, "fingerprint=") + 12, 64);
  char *fp_new = g_strnfill(64, fp[0] == 'a' ? 'b' : 'a');
  edit(p1, fp, fp_new);
  edit(p2, fp, fp_new);
  want_refused("fingerprint edited everywhere", NULL, "checksum does not match");
  g_free(fp);
  g_free(fp_new);

  /* replications=4 everywhere (recomputed): run 2 is replication 1 of point 2, not 3 */
  g_free(fresh(NULL));
  edit(p1, "replications=2\n", "replications=4\n");
  edit(p2, "replications=2\n", "replications=4\n");
  want_refused("replications=4", NULL, "checksum does not match");
  fix_sum(p1);
  fix_sum(p2);
  want_refused("replications=4, recomputed", NULL,
               "run 2: replication '1', want 3 (replications=4)");

  /* dims=0 everywhere (recomputed): the dim= line is left over */
  g_free(fresh(NULL));
  edit(p1, "dims=1\n", "dims=0\n");
  edit(p2, "dims=1\n", "dims=0\n");
  fix_sum(p1);
  fix_sum(p2);
  want_refused("dims=0", NULL, "sweep-shard-1-of-2.csv:7: more dim= lines than dims= says");
  /* ... and without the dim= lines: the rows have a key cell too many */
  g_free(fresh(NULL));
  edit(p1, "dims=1\ndim=run.embodiment\n", "dims=0\n");
  edit(p2, "dims=1\ndim=run.embodiment\n", "dims=0\n");
  fix_sum(p1);
  fix_sum(p2);
  want_refused("dims=0, no dim=", NULL, "run 0: not 0 key cells and replication, seed, run");

  /* dims=2 everywhere with a second dim= line (recomputed): the rows have
   * a key cell too few */
  g_free(fresh(NULL));
  edit(p1, "dims=1\ndim=run.embodiment\n", "dims=2\ndim=run.embodiment\ndim=run.seed\n");
  edit(p2, "dims=1\ndim=run.embodiment\n", "dims=2\ndim=run.embodiment\ndim=run.seed\n");
  fix_sum(p1);
  fix_sum(p2);
  want_refused("dims=2", NULL, "run 0: not 2 key cells and replication, seed, run");

  /* cut inside its last field (the checksum's), inside the last row, and
   * just before the checksum line */
  g_free(fresh(NULL));
  char *t = g_strdup(fx.good1);
  t[strlen(t) - 10] = '\0';
  spit(p1, t);
  want_refused("cut in the checksum", NULL,
               "sweep-shard-1-of-2.csv: cut off (it does not end with a newline)");
  *g_strrstr(t, "checksum=") = '\0';
  t[strlen(t) - 3] = '\0'; /* inside the last figure of run 2 */
  spit(p1, t);
  want_refused("cut in the last row", NULL, "cut off (it does not end with a newline)");
  g_free(t);
  t = g_strdup(fx.good1);
  *g_strrstr(t, "checksum=") = '\0';
  spit(p1, t);
  want_refused("no checksum line", NULL, "cut off or incomplete (no checksum= line at its end)");
  g_free(t);
  spit(p1, "#mbms-sim-shard v2\n"); /* the magic line alone */
  want_refused("magic alone", NULL, "cut off or incomplete (no checksum= line at its end)");
  spit(p1, "#mbms-sim-shard v2\nchecksum=x\n");
  want_refused("short checksum", NULL, "checksum does not match its contents");

  /* a shard given twice (two folders), a shard missing */
  g_free(fresh(NULL));
  want_refused("given twice", "sh", "shard 1/2 is given twice");
  g_unlink(p2);
  want_refused("missing", NULL, "merge: 1 of 2 shards found in the folders given");

  /* shards of two sweeps whose events files differ (same path, scenario,
   * values and seeds) */
  g_free(fresh(NULL));
  g_unlink(p2);
  want_refused("events contents", "evB",
               "evB/sweep-shard-2-of-2.csv: is a shard of another sweep than");

  g_free(edited0);
  g_free(run0);
  g_free(run1);
  g_free(run2);
  g_free(p1);
  g_free(p2);
}

/* Item 10: a sweep or a merge into a folder holding files it did not write
 * refuses before anything is written and leaves them as they were. */
static void test_foreign_folder(void) {
  if (!setup())
    return;
  static const struct {
    const char *name, *text;
  } foreign[] = {
      {"sweep.csv", "my,own,table\n1,2,3\n"},
      {"sweep-stats.csv", "mean,sd\n1,2\n"},
      {"notes.txt", "mine\n"},
      {"sweep-shard-1-of-9.csv", "not a shard\n"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(foreign); i++) {
    for (guint how = 0; how < 3; how++) {
      char *f = path_in(fx.dir, "F", NULL);
      rm_rf(f);
      g_assert_cmpint(g_mkdir(f, 0755), ==, 0);
      char *p = path_in(f, foreign[i].name, NULL);
      spit(p, foreign[i].text);
      const char *sweep[] = {sim(), "-q", "-o", "F", "s.ini", NULL};
      const char *merge[] = {sim(), "merge", "-q", "-o", "F", "sh", NULL};
      char *err = NULL;
      const char *shard[] = {sim(), "-q", "--shard", "1/2", "-o", "F", "s.ini", NULL};
      const char *const *argv = how == 0 ? sweep : how == 1 ? merge : shard;
      int st = run_in(fx.dir, argv, &err);
      char *want = g_strdup_printf("sweep folder F holds F/%s, not written by a sweep of mbms-sim",
                                   foreign[i].name);
      const char *nl = strchr(err, '\n');
      if (st != 2 || !strstr(err, want) || !nl || nl[1] != '\0')
        g_error("foreign %s (%s): exit %d, stderr '%s', want 2 and '%s'", foreign[i].name,
                how ? "merge" : "sweep", st, err, want);
      char *now = slurp(p);
      g_assert_cmpstr(now, ==, foreign[i].text);
      /* nothing else appeared: no run folder, no result file */
      GDir *d = g_dir_open(f, 0, NULL);
      guint n = 0;
      while (g_dir_read_name(d))
        n++;
      g_dir_close(d);
      g_assert_cmpuint(n, ==, 1);
      g_free(now);
      g_free(want);
      g_free(err);
      g_free(p);
      g_free(f);
    }
  }
  /* a sweep's own folder is replaced as before: twice into the same folder */
  const char *sweep[] = {sim(), "-q", "-o", "own", "s.ini", NULL};
  g_assert_cmpint(run_in(fx.dir, sweep, NULL), ==, 0);
  g_assert_cmpint(run_in(fx.dir, sweep, NULL), ==, 0);
  /* and merging into a shard folder that holds a merge already */
  const char *merge[] = {sim(), "merge", "-q", "sh", NULL};
  g_assert_cmpint(run_in(fx.dir, merge, NULL), ==, 0);
  g_assert_cmpint(run_in(fx.dir, merge, NULL), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_assert_cmpint(sodium_init(), >=, 0);
  g_test_add_func("/merge/good-shards", test_good);
  g_test_add_func("/merge/header", test_header);
  g_test_add_func("/merge/not-regular", test_not_regular);
  g_test_add_func("/merge/tampered", test_tampered);
  g_test_add_func("/merge/foreign-folder", test_foreign_folder);
  int status = g_test_run();
  if (fx.dir) {
    rm_rf(fx.dir);
    g_free(fx.dir);
    g_free(fx.s1);
    g_free(fx.s2);
    g_free(fx.good1);
    g_free(fx.good2);
  }
  return status;
}
