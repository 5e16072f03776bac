/* sim_rng.h — ns-3's random number streams (MRG32k3a, ns3::RngStream)
 * behind a C API, for draws the app makes before or outside a simulation
 * (the mobility of the workload). A stream is fixed by a seed and a stream
 * number, as ns-3's RandomVariableStream is by the run's seed and
 * AssignStreams: the same seed and stream give the same numbers, and
 * different stream numbers are independent, so a new use of randomness
 * gets its own stream and never shifts the draws of another.
 *
 * Owns nothing global: it does not touch ns-3's RngSeedManager, so it can
 * be used with or without sim_init. Free with sim_rng_free. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SimRng SimRng;

/* Stream numbers in use (one per purpose). */
enum { SIM_RNG_STREAM_MOBILITY = 1 };

/* `seed` (any; folded to ns-3's 32-bit non-zero seed), `stream` >= 0. */
SimRng *sim_rng_new(uint64_t seed, uint64_t stream);
void sim_rng_free(SimRng *rng);
/* A uniform variate in (0, 1). */
double sim_rng_uniform(SimRng *rng);

#ifdef __cplusplus
}
#endif
