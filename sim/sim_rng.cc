// sim_rng.cc — see sim_rng.h.
#include "sim/sim_rng.h"

#include <ns3/rng-stream.h>

struct SimRng {
  ns3::RngStream stream;
  SimRng(uint32_t seed, uint64_t n) : stream(seed, n, 0) {}
};

extern "C" SimRng *sim_rng_new(uint64_t seed, uint64_t stream) {
  // ns-3 seeds MRG32k3a from one 32-bit value that must not be 0
  uint32_t folded = static_cast<uint32_t>(seed ^ (seed >> 32));
  return new SimRng(folded != 0 ? folded : 0x9e3779b9u, stream);
}

extern "C" void sim_rng_free(SimRng *rng) {
  delete rng;
}

extern "C" double sim_rng_uniform(SimRng *rng) {
  return rng->stream.RandU01();
}
