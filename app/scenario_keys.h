/* scenario_keys.h — the table of scenario keys: one row per key with its
 * section, name, type, unit, range, default, the Scenario field it fills
 * and its column in the summary's parameter block (in the manner of
 * SQLite's and Redis's configuration tables). Everything that knows the
 * keys reads them here: the loader's known-key check, parsing, range
 * checks and defaults (app/scenario.c), the effective scenario.ini and
 * --print-config (scn_to_ini), summary.csv / summary.json (app/report.c),
 * and the test that scenarios/README.md documents exactly these keys.
 *
 * The table is in file order of the effective scenario.ini and of the
 * "known in [section]: ..." lists. Keys are checked in that order too,
 * except that a key with `after` is checked right after that key of its
 * section (a scheme's parameters right after the scheme), and a rule
 * across keys (ScnRule) right after the last key it needs; the first
 * problem found is the one reported.
 *
 * Parsing and checks are pure: they return the problem as text (NULL if
 * none) and the loader puts the key's place in front of it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "app/scenario.h"

typedef enum {
  SCN_UINT,   /* decimal digits; a uint64_t, uint32_t or int field */
  SCN_REAL,   /* plain decimal number; a double field */
  SCN_BOOL,   /* true | false; a bool field */
  SCN_TEXT,   /* a string (GKeyFile escapes applied); a char * field, owned */
  SCN_CHOICE, /* one of `choices`; the field (a bool or an enum) holds its index */
} ScnType;

/* What a real value other than 0 must lie in, beyond its sign. */
typedef enum { SCN_POSITIVE = 1, SCN_NON_NEGATIVE } ScnSign;
typedef struct {
  double min, max;
  bool whole; /* a whole number */
} ScnBound;

/* What a check is told besides the Scenario. */
typedef struct {
  const char *path; /* the scenario file */
  bool given;       /* the key has a value (file, --set or sweep), not its default */
} ScnCheckIn;
/* NULL, or the problem (caller frees), e.g. "'x' is not per-cell or per-rnc".
 * May complete the Scenario (a derived field, a default that depends on the
 * file). */
typedef char *(*ScnCheck)(Scenario *s, const ScnCheckIn *in);

typedef struct {
  const char *section, *key;
  ScnType type;
  const char *unit; /* as documented; a real key's range message names it */
  guint64 min, max; /* SCN_UINT */
  ScnSign sign;     /* SCN_REAL, with `bound` */
  const ScnBound *bound;
  const char *const *choices; /* SCN_CHOICE, NULL-terminated */
  /* the default, as written in scenarios/README.md and parsed as a value
   * would be; NULL: none (the field stays 0 / NULL, `check` may fill it) */
  const char *def;
  size_t offset, size; /* the field in Scenario */
  const char *after;   /* NULL, or checked right after this key (see above) */
  ScnCheck check;      /* NULL, or the key's own rule, run once it is parsed */
  /* the summary's parameter block: the name (NULL: not reported), its
   * place from 1, and for a real key the printf format */
  const char *summary;
  unsigned summary_pos;
  const char *summary_format;
} ScnKey;

/* A rule across keys: reported at `key`, checked once `after` (a key of the
 * same section, the last the rule needs) is. */
typedef struct {
  const char *section, *key, *after;
  ScnCheck check;
} ScnRule;

/* The table, in order; *n its length. */
const ScnKey *scn_keys(size_t *n);
const ScnRule *scn_rules(size_t *n);
/* The key, or NULL. */
const ScnKey *scn_key_find(const char *section, const char *key);
/* The key at place `pos` (from 1) of the summary's parameter block, or NULL
 * past the last. */
const ScnKey *scn_summary_key(unsigned pos);

/* Parses `text` (stripped; for SCN_TEXT and SCN_CHOICE with escapes
 * applied) into the key's field of `s`. NULL, or the problem. */
char *scn_key_parse(const ScnKey *k, const char *text, Scenario *s);
/* Frees what the key's field owns (SCN_TEXT) and clears it. */
void scn_key_clear(const ScnKey *k, Scenario *s);

/* The value of the key's field, by type. */
guint64 scn_key_uint(const ScnKey *k, const Scenario *s);
double scn_key_real(const ScnKey *k, const Scenario *s);
bool scn_key_bool(const ScnKey *k, const Scenario *s);
/* SCN_TEXT: the string ("" for NULL); SCN_CHOICE: the chosen name. */
const char *scn_key_text(const ScnKey *k, const Scenario *s);
