/* fuzz_merge.c — libFuzzer harness of the shard reader of `mbms-sim merge`
 * (sweep_merge, app/sweep_merge.c).
 *
 * sweep_merge reads shard files from folders, so the input is written out:
 * it is cut at every "\n--next-shard--\n" marker (the newline stays with the
 * file before it) into at most 4 shard files
 * in a fresh folder, each named sweep-shard-K-of-N.csv after its own
 * "shard=K/N" line when it has one (merge may check the name against it),
 * else after its place (sweep-shard-<i>-of-<count>.csv). A chunk whose last
 * line is "checksum=*" gets the right checksum there (the one merge checks
 * first: sweep_hash_hex of every byte before that line), so that mutations
 * of the rest reach the reader behind it; any other checksum line is left
 * as it is, to fuzz the check itself. The merged
 * sweep.csv and sweep-stats.csv go to another fresh folder.
 *
 * Checked on every input: a refusal is one line of SCN_ERROR (bad shards
 * are the user's input, SCN_ERROR_INVALID; writing the results could fail
 * otherwise, SCN_ERROR_IO); an accepted merge wrote both result files. */
#include <stdint.h>

#include "app/sweep.h"
#include "app/sweep_private.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_SHARDS 4
#define SHARD_MARK "\n--next-shard--\n"
#define SUM_AUTO "checksum=*"

static char *shard_dir, *out_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  shard_dir = fuzz_path("shards");
  out_dir = fuzz_path("merged");
  return 0;
}

/* "sweep-shard-K-of-N.csv" from a "shard=K/N" line of the chunk, or NULL. */
static char *name_from_header(const char *chunk, size_t len) {
  g_autofree char *text = g_strndup(chunk, len);
  const char *at = strstr(text, "\nshard=");
  if (!at)
    return NULL;
  unsigned k, n;
  char tail;
  g_autofree char *line = g_strndup(at + 7, strcspn(at + 7, "\n"));
  if (sscanf(line, "%7u/%7u%c", &k, &n, &tail) != 2 || strspn(line, "0123456789/") != strlen(line))
    return NULL;
  return g_strdup_printf("sweep-shard-%u-of-%u.csv", k, n);
}

/* Under fuzz_skip_reported(): a "dims=" above 100000, which the saved
 * findings show crashes or aborts merge (issue 11 item 1). */
static gboolean reported_dims(const uint8_t *data, size_t size) {
  g_autofree char *text = g_strndup((const char *)data, size);
  for (const char *p = text; (p = strstr(p, "dims=")); p += 5)
    if (g_ascii_strtoull(p + 5, NULL, 10) > 100000 || p[5] == '-')
      return TRUE;
  return FALSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fuzz_skip_reported() && reported_dims(data, size))
    return 0;
  fuzz_rm_rf(shard_dir);
  fuzz_rm_rf(out_dir);
  FUZZ_CHECK(g_mkdir(shard_dir, 0700) == 0, "cannot make %s", shard_dir);

  const char *chunk[MAX_SHARDS];
  size_t len[MAX_SHARDS];
  unsigned count = 0;
  const char *p = (const char *)data, *end = p + size;
  while (count < MAX_SHARDS) {
    const char *mark = count + 1 < MAX_SHARDS
                           ? g_strstr_len(p, end - p, SHARD_MARK) /* stops at a NUL */
                           : NULL;
    chunk[count] = p;
    len[count] = mark ? (size_t)(mark - p) + 1 : (size_t)(end - p); /* keeps its newline */
    count++;
    if (!mark)
      break;
    p = mark + strlen(SHARD_MARK);
  }
  GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (unsigned i = 0; i < count; i++) {
    char *name = name_from_header(chunk[i], len[i]);
    if (!name || g_hash_table_contains(used, name)) {
      g_free(name);
      name = g_strdup_printf("sweep-shard-%u-of-%u.csv", i + 1, count);
    }
    if (g_hash_table_contains(used, name)) { /* taken by a header's name */
      g_free(name);
      name = g_strdup_printf("sweep-shard-x%u.csv", i);
    }
    g_autofree char *path = g_build_filename(shard_dir, name, NULL);
    g_autofree char *text = g_strndup(chunk[i], len[i]); /* up to a NUL: the fixed file */
    gsize n = strlen(text);
    if (n > 0 && text[n - 1] == '\n')
      text[--n] = '\0';
    const char *last = strrchr(text, '\n');
    if (last && strcmp(last + 1, SUM_AUTO) == 0) {
      char sum[SWEEP_HASH_HEX];
      gsize body = (gsize)(last + 1 - text);
      sweep_hash_hex(text, body, sum);
      text[body] = '\0';
      g_autofree char *fixed = g_strconcat(text, "checksum=", sum, "\n", NULL);
      fuzz_write(path, fixed, strlen(fixed));
    } else {
      fuzz_write(path, chunk[i], len[i]);
    }
    g_hash_table_add(used, name);
  }
  g_hash_table_destroy(used);

  const char *dirs[] = {shard_dir, NULL};
  GError *e = NULL;
  if (!sweep_merge(dirs, out_dir, &e)) {
    fuzz_check_error(e, FALSE);
    g_error_free(e);
    return 0;
  }
  FUZZ_CHECK(e == NULL, "merged with an error");
  g_autofree char *csv = g_build_filename(out_dir, "sweep.csv", NULL);
  g_autofree char *stats = g_build_filename(out_dir, "sweep-stats.csv", NULL);
  FUZZ_CHECK(g_file_test(csv, G_FILE_TEST_IS_REGULAR), "merged without writing sweep.csv");
  FUZZ_CHECK(g_file_test(stats, G_FILE_TEST_IS_REGULAR), "merged without writing sweep-stats.csv");
  return 0;
}
