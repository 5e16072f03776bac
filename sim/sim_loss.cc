/* sim_loss.cc — loss models of the radio channels (sim.h, "loss").
 *
 * Randomness: ns-3's own generator (MRG32k3a). sim_loss_seed() sets
 * RngSeedManager's seed to 1 and its run number to the scenario's seed, so
 * that every seed is an independent substream; each model then draws from
 * its own RandomVariableStream with a fixed stream number (SetStream), so a
 * model's draws do not depend on what the other models drew.
 *
 * Models:
 *   - bernoulli: ns-3's RateErrorModel (ErrorUnit packet) sets up the
 *     model (its rate, its decision variable on the model's stream); with
 *     the packet unit its decision (IsCorrupt) is one draw of that variable
 *     (uniform on [0, 1)) against the rate, whatever the packet, so each
 *     receiver's draw is taken from the variable directly (RanVar): the
 *     same draws and outcomes, without a packet and two virtual calls per
 *     receiver;
 *   - gilbert-elliott: a per-receiver two-state (good/bad) continuous-time
 *     Markov chain with rates good_to_bad and bad_to_good (1/s), and a loss
 *     probability per state. A receiver's state is drawn at its first
 *     reception (bad with probability bad_fraction), then, at each later
 *     reception dt seconds on, from the chain's exact transition law:
 *       P(bad at t+dt) = pi + (s - pi) * exp(-(a + b) dt),
 *     pi = a / (a + b) (s: 1 if bad at t; with a + b = 0 the state stays).
 *     The state is shared by every model of the run (it is the receiver's
 *     radio condition, whichever channel it hears): 16 bytes per node id
 *     (the time of its last draw and the state), allocated only when a
 *     gilbert-elliott model exists.
 * Each draw of a receiver is one uniform of the model's stream (and, for
 * gilbert-elliott, one of the state stream), in the order of the calls.
 */
#include "sim/sim_internal.h"

#include <ns3/error-model.h>
#include <ns3/pointer.h>
#include <ns3/random-variable-stream.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

#include <cmath>
#include <vector>

using namespace ns3;

namespace {

struct LossModel {
  SimLossParams params;
  Ptr<RateErrorModel> rate;            /* bernoulli: the model ... */
  Ptr<RandomVariableStream> rate_draw; /* ... and its decision variable */
  Ptr<UniformRandomVariable> draw;     /* gilbert-elliott: the loss draw */
};

/* A receiver's radio condition: 16 bytes. */
struct Condition {
  double last_s; /* time of its last draw; < 0: never drawn */
  uint8_t bad;
};
static_assert(sizeof(Condition) <= 16, "per-receiver loss state is at most 16 bytes");

std::vector<LossModel> g_models;
std::vector<Condition> g_cond; /* by node id */
SimLossStates g_states;
Ptr<UniformRandomVariable> g_state_draw;

bool prob_ok(double p) {
  return std::isfinite(p) && p >= 0.0 && p <= 1.0;
}

Condition &condition(SimNodeId receiver) {
  if (receiver >= g_cond.size())
    g_cond.resize(std::max<size_t>(receiver + 1, sim_node_count()), Condition{-1.0, 0});
  return g_cond[receiver];
}

/* The receiver's state now (drawn as the header says). */
bool bad_now(SimNodeId receiver) {
  Condition &c = condition(receiver);
  double now = Simulator::Now().GetSeconds();
  double p_bad;
  if (c.last_s < 0) {
    p_bad = g_states.bad_fraction;
  } else {
    double q = g_states.good_to_bad + g_states.bad_to_good;
    double s = c.bad ? 1.0 : 0.0;
    if (q > 0) {
      double pi = g_states.good_to_bad / q;
      p_bad = pi + (s - pi) * std::exp(-q * (now - c.last_s));
    } else {
      p_bad = s;
    }
  }
  c.bad = g_state_draw->GetValue() < p_bad ? 1 : 0;
  c.last_s = now;
  return c.bad != 0;
}

} // namespace

namespace simint {

void loss_reset() {
  g_models.clear();
  g_models.shrink_to_fit();
  g_cond.clear();
  g_cond.shrink_to_fit();
  g_states = SimLossStates{};
  g_state_draw = nullptr;
}

} // namespace simint

extern "C" {

void sim_loss_seed(uint64_t seed) {
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(seed);
}

void sim_loss_set_states(const SimLossStates *states, int64_t stream) {
  SIM_CHECK(std::isfinite(states->good_to_bad) && states->good_to_bad >= 0 &&
                std::isfinite(states->bad_to_good) && states->bad_to_good >= 0 &&
                prob_ok(states->bad_fraction),
            "bad gilbert-elliott states (%g, %g, %g)", states->good_to_bad, states->bad_to_good,
            states->bad_fraction);
  g_states = *states;
  g_state_draw = CreateObject<UniformRandomVariable>();
  g_state_draw->SetStream(stream);
}

SimLossId sim_loss_new(const SimLossParams *params, int64_t stream) {
  LossModel m;
  m.params = *params;
  switch (params->model) {
  case SIM_LOSS_NONE:
    break;
  case SIM_LOSS_BERNOULLI:
    SIM_CHECK(prob_ok(params->rate), "bad loss rate %g", params->rate);
    m.rate = CreateObject<RateErrorModel>();
    m.rate->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
    m.rate->SetRate(params->rate);
    m.rate->AssignStreams(stream);
    {
      PointerValue ranvar;
      m.rate->GetAttribute("RanVar", ranvar);
      m.rate_draw = ranvar.Get<RandomVariableStream>();
      SIM_CHECK(m.rate_draw, "RateErrorModel without its decision variable");
    }
    break;
  case SIM_LOSS_GILBERT_ELLIOTT:
    SIM_CHECK(prob_ok(params->loss_good) && prob_ok(params->loss_bad), "bad loss (%g, %g)",
              params->loss_good, params->loss_bad);
    SIM_CHECK(g_state_draw, "gilbert-elliott model before sim_loss_set_states");
    m.draw = CreateObject<UniformRandomVariable>();
    m.draw->SetStream(stream);
    break;
  }
  g_models.push_back(m);
  return static_cast<SimLossId>(g_models.size() - 1);
}

bool sim_loss_lost(SimLossId id, SimNodeId receiver) {
  SIM_CHECK(id < g_models.size(), "unknown loss model %u", id);
  LossModel &m = g_models[id];
  switch (m.params.model) {
  case SIM_LOSS_NONE:
    return false;
  case SIM_LOSS_BERNOULLI:
    return m.rate_draw->GetValue() < m.params.rate; /* RateErrorModel's DoCorruptPkt */
  case SIM_LOSS_GILBERT_ELLIOTT: {
    double p = bad_now(receiver) ? m.params.loss_bad : m.params.loss_good;
    return m.draw->GetValue() < p;
  }
  }
  return false;
}

bool sim_loss_is_none(SimLossId id) {
  SIM_CHECK(id < g_models.size(), "unknown loss model %u", id);
  return g_models[id].params.model == SIM_LOSS_NONE;
}

} // extern "C"
