/* scenario_input.h — the user's input files as bytes and as messages: the
 * error domain of scenario and events problems, reading an input file whole
 * within its bound, and quoting a value for a one-line message. A leaf: the
 * scenario loader (app/scenario.c), its key table (app/scenario_keys.c) and
 * the events reader (app/workload.c) share it. */
#pragma once
#include <glib.h>

#define SCN_ERROR (scn_error_quark())
GQuark scn_error_quark(void);
/* INVALID: the user's input (scenario, events CSV, command line; also an
 * input file that cannot be read): exit code 2. IO: a failure while running
 * or writing results: exit code 1. */
typedef enum { SCN_ERROR_INVALID = 1, SCN_ERROR_IO = 2 } ScnErrorCode;
/* The exit status for `error`: 2 for the user's input, else 1. */
int scn_exit_status(const GError *error);

/* A value fit for a one-line message: control characters escaped, values
 * longer than 60 characters cut. Caller frees. */
/* `text` made one printable line without cutting it: control characters
 * as \ooo and bytes that are not UTF-8 as \xNN; valid, printable text
 * (curly quotes included) is left as it is. For messages that quote the
 * user's bytes, such as GKeyFile's parse errors. */
char *scn_printable(const char *text);
char *scn_quote(const char *value);
/* Bound on an input file (scenario or events CSV): 256 MiB, about 10^7
 * CSV rows, and no more than a run could hold in memory anyway. */
#define SCN_MAX_INPUT_BYTES (256u << 20)
/* The whole file; NULL + SCN_ERROR_INVALID "<path>: <reason>" if it cannot
 * be read (an input file is the user's), is not a regular file (a FIFO or
 * a device is never opened for blocking reads) or exceeds
 * SCN_MAX_INPUT_BYTES. */
char *scn_read_file(const char *path, gsize *len, GError **error);
