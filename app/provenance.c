/* provenance.c — versions, input hashes, host and wall time (see provenance.h). */
#include "app/provenance.h"

#include <sodium.h>
#include <string.h>

#include "app/version.h"
#include "sim/sim.h"

const char *prov_program_version(void) {
  return MBMS_VERSION;
}

char *prov_version_text(void) {
  return g_strdup_printf("mbms-sim %s\nns-3 %s\nlibsodium %s\nGLib %u.%u.%u\n", MBMS_VERSION,
                         sim_ns3_version(), sodium_version_string(), glib_major_version,
                         glib_minor_version, glib_micro_version);
}

char *prov_blake2b_hex(const void *data, size_t len) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, data, len, NULL, 0);
  char *hex = g_malloc(65);
  sodium_bin2hex(hex, 65, h, sizeof h);
  return hex;
}

char *prov_scenario_hash(const Scenario *scn) {
  g_autofree char *ini = scn_to_ini(scn);
  return prov_blake2b_hex(ini, strlen(ini));
}

char *prov_events_hash(const Scenario *scn, GError **error) {
  if (!scn->events_path)
    return g_strdup("");
  gsize len = 0;
  g_autofree char *text = scn_read_file(scn->events_path, &len, error);
  return text ? prov_blake2b_hex(text, len) : NULL;
}

char *prov_json_string(const char *s) {
  GString *o = g_string_new("\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf(o, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf(o, "\\u%04x", *p);
    else
      g_string_append_c(o, (char)*p);
  }
  g_string_append_c(o, '"');
  return g_string_free(o, FALSE);
}

gboolean prov_append_json(GString *out, const Scenario *scn, const char *indent, GError **error) {
  g_autofree char *events = prov_events_hash(scn, error);
  if (!events)
    return FALSE;
  g_autofree char *scenario = prov_scenario_hash(scn);
  g_autofree char *version = prov_json_string(MBMS_VERSION);
  g_autofree char *sodium = prov_json_string(sodium_version_string());
  g_string_append_printf(out,
                         "%s\"version\": %s,\n%s\"ns3\": \"%s\",\n%s\"libsodium\": %s,\n"
                         "%s\"glib\": \"%u.%u.%u\",\n%s\"scenario_blake2b\": \"%s\",\n"
                         "%s\"events_blake2b\": \"%s\",\n%s\"seed\": %" G_GUINT64_FORMAT,
                         indent, version, indent, sim_ns3_version(), indent, sodium, indent,
                         glib_major_version, glib_minor_version, glib_micro_version, indent,
                         scenario, indent, events, indent, scn->seed);
  return TRUE;
}

void prov_append_host_json(GString *out, double wall_s, const char *indent) {
  g_autofree char *host = prov_json_string(g_get_host_name());
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *iso = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_string_append_printf(out, ",\n%s\"host\": %s", indent, host);
  if (wall_s >= 0) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.3f", wall_s);
    g_string_append_printf(out, ",\n%s\"wall_s\": %s", indent, buf);
  } else {
    g_string_append_printf(out, ",\n%s\"wall_s\": null", indent);
  }
  g_string_append_printf(out, ",\n%s\"finished_utc\": \"%s\"", indent, iso);
}
