/* test_provenance.c — what produced a result (issue 14): `mbms-sim
 * --version` gives the versions pkg-config reports for the libraries built
 * against; summary.json's "provenance" object carries the same and the
 * scenario's and events file's BLAKE2b-256 (computed here with libsodium
 * over the files), and stays byte-identical between two runs; host and wall
 * time are in provenance.json only; a sweep writes sweep.json. */
#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "test_files.h"

static char *pkg_version(const char *module) {
  g_autofree char *pc = g_find_program_in_path("pkg-config"); /* scripts/setup installs it */
  g_assert_nonnull(pc);
  const char *argv[] = {pc, "--modversion", module, NULL};
  char *out = NULL, *err = NULL;
  int rc = run_cli(argv, &out, &err);
  g_free(err);
  g_assert_cmpint(rc, ==, 0);
  return g_strchomp(out);
}

static char *hash_file(const char *path) {
  gchar *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  unsigned char h[32];
  crypto_generichash(h, sizeof h, (const unsigned char *)text, len, NULL, 0);
  g_free(text);
  char *hex = g_malloc(65);
  sodium_bin2hex(hex, 65, h, sizeof h);
  return hex;
}

static char *slurp(const char *dir, const char *name) {
  g_autofree char *p = g_build_filename(dir, name, NULL);
  char *text = NULL;
  if (!g_file_get_contents(p, &text, NULL, NULL))
    g_error("cannot read %s", p);
  return text;
}

static void test_version_and_summary(void) {
  g_autofree char *ns3 = pkg_version("ns3-core");
  g_autofree char *sodium = pkg_version("libsodium");
  g_autofree char *glib = pkg_version("glib-2.0");
  const char *argv[] = {g_getenv("MBMS_SIM"), "--version", NULL};
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run_cli(argv, &out, &err), ==, 0);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 5); /* four lines and the final newline */
  g_assert_true(g_str_has_prefix(lines[0], "mbms-sim "));
  const char *version = lines[0] + strlen("mbms-sim ");
  g_assert_cmpuint(strlen(version), >, 0);
  g_autofree char *want_ns3 = g_strconcat("ns-3 ", ns3, NULL);
  g_autofree char *want_sodium = g_strconcat("libsodium ", sodium, NULL);
  g_autofree char *want_glib = g_strconcat("GLib ", glib, NULL);
  g_assert_cmpstr(lines[1], ==, want_ns3);
  g_assert_cmpstr(lines[2], ==, want_sodium);
  g_assert_cmpstr(lines[3], ==, want_glib);
  g_free(err);

  /* the worked example twice: summary.json byte-identical, with the
   * provenance of the versions above and the hashes of the files */
  g_autofree char *tmp = g_dir_make_tmp("mbms-prov-XXXXXX", NULL);
  g_autofree char *a = g_build_filename(tmp, "a", NULL), *b = g_build_filename(tmp, "b", NULL);
  g_autofree char *ini = g_build_filename(g_getenv("MBMS_SRCDIR"), "scenarios", "examples",
                                          "worked_example.ini", NULL);
  g_autofree char *csv = g_build_filename(g_getenv("MBMS_SRCDIR"), "scenarios", "examples",
                                          "worked_example.csv", NULL);
  const char *ra[] = {g_getenv("MBMS_SIM"), "-q", "-o", a, ini, NULL};
  const char *rb[] = {g_getenv("MBMS_SIM"), "-q", "-o", b, ini, NULL};
  char *o = NULL, *e = NULL;
  g_assert_cmpint(run_cli(ra, &o, &e), ==, 0);
  g_free(o);
  g_free(e);
  g_assert_cmpint(run_cli(rb, &o, &e), ==, 0);
  g_free(o);
  g_free(e);
  g_autofree char *sa = slurp(a, "summary.json"), *sb = slurp(b, "summary.json");
  g_assert_cmpstr(sa, ==, sb);
  g_autofree char *ini_written = g_build_filename(a, "scenario.ini", NULL);
  g_autofree char *h_ini = hash_file(ini_written), *h_csv = hash_file(csv);
  g_autofree char *want = g_strdup_printf(
      ",\n  \"provenance\": {\n    \"version\": \"%s\",\n    \"ns3\": \"%s\",\n"
      "    \"libsodium\": \"%s\",\n    \"glib\": \"%s\",\n    \"scenario_blake2b\": \"%s\",\n"
      "    \"events_blake2b\": \"%s\",\n    \"seed\": 7\n  }\n}\n",
      version, ns3, sodium, glib, h_ini, h_csv);
  g_assert_true(g_str_has_suffix(sa, want));
  g_assert_null(strstr(sa, "host"));
  g_autofree char *pj = slurp(a, "provenance.json");
  g_autofree char *host = g_strdup_printf("\n  \"host\": \"%s\",\n", g_get_host_name());
  g_assert_nonnull(strstr(pj, host));
  g_assert_nonnull(strstr(pj, "\n  \"wall_s\": "));
  g_assert_nonnull(strstr(pj, "\n  \"finished_utc\": \"20"));
  g_free(out);

  /* a sweep: sweep.json beside sweep.csv */
  g_autofree char *sw = g_build_filename(tmp, "sw", NULL);
  const char *rs[] = {
      g_getenv("MBMS_SIM"), "-q", "--set", "run.embodiment=1,2", "-o", sw, ini, NULL};
  g_assert_cmpint(run_cli(rs, &o, &e), ==, 0);
  g_free(o);
  g_free(e);
  g_autofree char *sj = slurp(sw, "sweep.json");
  g_autofree char *h_file = hash_file(ini);
  g_autofree char *want_file = g_strdup_printf("\n  \"scenario_file_blake2b\": \"%s\",\n", h_file);
  g_assert_nonnull(strstr(sj, want_file));
  g_autofree char *want_ev = g_strdup_printf("\n  \"events_blake2b\": \"%s\",\n", h_csv);
  g_assert_nonnull(strstr(sj, want_ev));
  g_assert_nonnull(strstr(sj, "\n  \"points\": 2,\n  \"runs\": 2,\n  \"reused_runs\": 0,\n"));
  g_assert_nonnull(strstr(sj, host));
  g_assert_nonnull(strstr(sj, "\n  \"version\": \""));
  /* resumed: both reused, and the folder (with its sweep.json) accepted */
  const char *rr[] = {
      g_getenv("MBMS_SIM"), "-q", "--resume", "--set", "run.embodiment=1,2", "-o", sw, ini, NULL};
  g_assert_cmpint(run_cli(rr, &o, &e), ==, 0);
  g_free(o);
  g_free(e);
  g_autofree char *sj2 = slurp(sw, "sweep.json");
  g_assert_nonnull(strstr(sj2, "\n  \"runs\": 2,\n  \"reused_runs\": 2,\n"));
  rm_rf(tmp);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/provenance/version-summary-sweep", test_version_and_summary);
  return g_test_run();
}
