/* provenance.h — what produced a result: the program's version (git
 * describe at build time), the ns-3, libsodium and GLib versions, BLAKE2b
 * hashes of the effective scenario and of the events file's contents, the
 * seed, and (apart, since they differ from run to run) the host and the wall
 * time.
 *
 * Deterministic parts go into summary.json's "provenance" object (so the
 * same build, scenario and seed still give byte-identical files); the host
 * and the times go into provenance.json / sweep.json only.
 * Strings returned are the caller's to free unless marked static.
 */
#pragma once
#include <glib.h>

#include "app/scenario.h"

/* The program's version, e.g. "v0.1-12-gabcdef0" or "abcdef0-dirty" (static). */
const char *prov_program_version(void);
/* The lines `mbms-sim --version` prints: program, ns-3, libsodium, GLib. */
char *prov_version_text(void);
/* 64 hex digits: BLAKE2b-256 (libsodium crypto_generichash, no key) of the bytes. */
char *prov_blake2b_hex(const void *data, size_t len);
/* The hash of the effective scenario (the bytes of its scenario.ini), and of
 * its events file's contents ("" without one; NULL + error if unreadable). */
char *prov_scenario_hash(const Scenario *scn);
char *prov_events_hash(const Scenario *scn, GError **error);
/* Appends the deterministic members (version, ns3, libsodium, glib,
 * scenario_blake2b, events_blake2b, seed) as JSON object members, one per
 * line with `indent`, no trailing comma; false + error if the events file
 * cannot be read. */
gboolean prov_append_json(GString *out, const Scenario *scn, const char *indent, GError **error);
/* Appends "host" (the host name) and "wall_s" (JSON null when < 0) and
 * "finished_utc" (now, ISO 8601) members, each preceded by ",\n" + indent. */
void prov_append_host_json(GString *out, double wall_s, const char *indent);
/* A JSON string literal of `s` (quotes included, escaped). */
char *prov_json_string(const char *s);
