/* fuzz_common.h — what the libFuzzer harnesses share: a private scratch
 * folder, writing an input to a file there, and the check that a refused
 * input got the one-line error the project promises (scenario.h). A broken
 * promise aborts, which libFuzzer reports as a finding with its input. */
#pragma once
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/scenario.h"

/* Aborts with a message; libFuzzer saves the input that got here. */
#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz check failed: %s: ", #cond);                                           \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

static char *fuzz_dir; /* absolute, removed at exit */

/* MBMS_FUZZ_SKIP_REPORTED=1: skip the checks that the findings saved in
 * tests/fuzz/findings/ already break, to look past them for others. Never
 * set by the tests or scripts/fuzz. */
static inline gboolean fuzz_skip_reported(void) {
  return g_getenv("MBMS_FUZZ_SKIP_REPORTED") != NULL;
}

static inline void fuzz_rm_rf(const char *path) {
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(path, name, NULL);
      fuzz_rm_rf(p);
    }
    g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static inline void fuzz_cleanup(void) {
  if (fuzz_dir)
    fuzz_rm_rf(fuzz_dir);
}

/* The scratch folder (made once per process). */
static inline const char *fuzz_scratch(void) {
  if (!fuzz_dir) {
    GError *e = NULL;
    fuzz_dir = g_dir_make_tmp("mbms-fuzz-XXXXXX", &e);
    FUZZ_CHECK(fuzz_dir, "%s", e->message);
    atexit(fuzz_cleanup);
  }
  return fuzz_dir;
}

/* `name` in the scratch folder (caller frees). */
static inline char *fuzz_path(const char *name) {
  return g_build_filename(fuzz_scratch(), name, NULL);
}

static inline void fuzz_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f, "cannot write %s", path);
  FUZZ_CHECK(len == 0 || fwrite(data, 1, len, f) == len, "short write to %s", path);
  FUZZ_CHECK(fclose(f) == 0, "cannot close %s", path);
}

/* A refused input: an SCN_ERROR whose message is one printable line of
 * UTF-8 (scenario.h: "<file>:<line>: <section>.<key>: <what is wrong>").
 * All but the domain and code are skipped under fuzz_skip_reported(). */
static inline void fuzz_check_error(const GError *e, gboolean only_invalid) {
  FUZZ_CHECK(e != NULL, "refused without an error");
  FUZZ_CHECK(e->domain == SCN_ERROR, "error of domain %s: %s", g_quark_to_string(e->domain),
             e->message);
  FUZZ_CHECK(!only_invalid || e->code == SCN_ERROR_INVALID,
             "bad input reported as a failure (exit 1, not 2): %s", e->message);
  FUZZ_CHECK(e->message[0] != '\0', "empty error message");
  if (fuzz_skip_reported())
    return;
  FUZZ_CHECK(!strchr(e->message, '\n'), "error message of several lines: %s", e->message);
  FUZZ_CHECK(g_utf8_validate(e->message, -1, NULL), "error message is not UTF-8: %s", e->message);
  for (const char *p = e->message; *p; p++)
    FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
               "error message holds control character 0x%02x: %s", (unsigned char)*p, e->message);
}
