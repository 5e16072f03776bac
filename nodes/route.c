/* route.c — see route.h. Members below an element are the listeners of
 * the MBMS bearers of the cells below it (nodes/radio.h). */
#include "nodes/route.h"

#include "nodes/plan.h"
#include "nodes/radio.h"

guint route_rnc_members(const Net *net, uint32_t rnc) {
  return radio_rnc_listeners(net->radio, rnc);
}

guint route_sgsn_members(const Net *net, uint32_t sgsn) {
  guint n = 0;
  for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++)
    n += route_rnc_members(net, sgsn * net->cfg.rnc_per_sgsn + i);
  return n;
}

guint route_ggsn_members(const Net *net, uint32_t ggsn) {
  guint n = 0;
  for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++)
    n += route_sgsn_members(net, ggsn * net->cfg.sgsn_per_ggsn + i);
  return n;
}

bool route_rnc_gets_request(const Net *net, uint32_t seq, uint32_t rnc) {
  const KtPlan *plan = plan_get(net->plans, seq);
  if (plan && !plan->group_changed)
    return plan_has_group_work(plan, rnc);
  return route_rnc_members(net, rnc) > 0;
}

bool route_sgsn_gets_request(const Net *net, uint32_t seq, uint32_t sgsn) {
  for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++)
    if (route_rnc_gets_request(net, seq, sgsn * net->cfg.rnc_per_sgsn + i))
      return true;
  return false;
}

bool route_ggsn_gets_request(const Net *net, uint32_t seq, uint32_t ggsn) {
  for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++)
    if (route_sgsn_gets_request(net, seq, ggsn * net->cfg.sgsn_per_ggsn + i))
      return true;
  return false;
}
