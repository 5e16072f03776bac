/* sweep_nompi.c — the MPI entry points of a build without MPI: never
 * launched, so every sweep runs on this machine (--jobs, --shard). */
#include "app/sweep.h"

gboolean sweep_mpi_launched(void) {
  return FALSE;
}

int sweep_mpi_main(const char *path, const char *const *overrides, const char *output,
                   gboolean progress, gboolean quiet) {
  (void)path;
  (void)overrides;
  (void)output;
  (void)progress;
  (void)quiet;
  return 2;
}
