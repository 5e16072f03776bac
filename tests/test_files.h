/* test_files.h — scaffolding shared by the test programs: temporary folders
 * and scenarios, running a program as a child. Header-only (static
 * functions), so each test stays one .c file; GLib only. */
#pragma once
#include <glib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/wait.h>

/* Removes a file tree (missing is fine). */
static inline void rm_rf(const char *path) {
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *p = g_build_filename(path, name, NULL);
      if (g_file_test(p, G_FILE_TEST_IS_DIR))
        rm_rf(p);
      else
        g_unlink(p);
      g_free(p);
    }
    g_dir_close(d);
  }
  g_rmdir(path);
}

/* A scenario in a fresh temporary folder: s.ini and, if given, events.csv. */
typedef struct {
  char *dir;
  char *ini;
} TmpScenario;

static inline TmpScenario tmp_scenario(const char *ini_text, const char *csv_text) {
  TmpScenario t;
  GError *error = NULL;
  t.dir = g_dir_make_tmp("mbms-test-XXXXXX", &error);
  g_assert_no_error(error);
  t.ini = g_build_filename(t.dir, "s.ini", NULL);
  g_assert_true(g_file_set_contents(t.ini, ini_text, -1, &error));
  if (csv_text) {
    char *csv = g_build_filename(t.dir, "events.csv", NULL);
    g_assert_true(g_file_set_contents(csv, csv_text, -1, &error));
    g_free(csv);
  }
  return t;
}

/* Removes the folder and everything written into it. */
static inline void tmp_free(TmpScenario *t) {
  rm_rf(t->dir);
  g_free(t->dir);
  g_free(t->ini);
}

/* Runs argv; its stdout and stderr into *out and *err (caller frees);
 * returns the exit code (-1 if it did not exit normally). */
static inline int run_cli(const char *const *argv, char **out, char **err) {
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                             &status, &error));
  g_assert_no_error(error);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs $MBMS_SIM (set by meson) with `args` in folder `cwd`; its stdout into
 * *out (caller frees), its stderr into the test log; returns the exit code
 * (-1 if it did not exit normally). */
static inline int run_sim_in(const char *cwd, const char *const *args, char **out) {
  const char *sim = g_getenv("MBMS_SIM");
  g_assert_nonnull(sim);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)sim);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (char *)*a);
  g_ptr_array_add(argv, NULL);
  int status = -1;
  GError *error = NULL;
  char *err = NULL;
  g_assert_true(g_spawn_sync(cwd, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                             &err, &status, &error));
  g_assert_no_error(error);
  if (err && *err)
    g_test_message("stderr: %s", err);
  g_free(err);
  g_ptr_array_free(argv, TRUE);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The contents of dir/sub/name (caller frees); a missing file ends the test. */
static inline char *read_in(const char *dir, const char *sub, const char *name) {
  char *p = g_build_filename(dir, sub, name, NULL), *text = NULL;
  if (!g_file_get_contents(p, &text, NULL, NULL))
    g_error("cannot read %s", p);
  g_free(p);
  return text;
}

static inline int test_cmp_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder `dir`, sorted, space-separated (caller frees). */
static inline char *listing(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)))
    g_ptr_array_add(names, g_strdup(name));
  g_dir_close(d);
  g_ptr_array_sort(names, test_cmp_names);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(names, i));
  g_ptr_array_unref(names);
  return g_string_free(s, FALSE);
}
