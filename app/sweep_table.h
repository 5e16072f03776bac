/* sweep_table.h — the comparison table a sweep prints on stdout: one row per
 * parameter point (e.g. per scheme with --set run.scheme=patent,lkh,...),
 * the swept values, then the means over the replications of the figures
 * researchers compare first. Read back from sweep-stats.csv, so the table
 * shows exactly the numbers in the file. */
#pragma once
#include <glib.h>
#include <stdio.h>

/* Prints the table of `dir`/sweep-stats.csv; false + error if unreadable. */
gboolean sweep_print_table(FILE *out, const char *dir, GError **error);
