/* data.h — the MBMS session's keys in use and sealing (nodes/data.c).
 *
 * The stream itself is the elements' business: the BM-SC is the source (a
 * packet every interval, on its own timer), the GGSNs and SGSNs forward it,
 * the RNCs put it on their cells (re-sealing it in embodiment 2), each UE
 * counts whether it holds the key (nodes/ue.c). This module holds, per
 * group scope (0 in embodiment 1, the RNC in 2), the key the data is
 * sealed under now, which switches switch-delay seconds after a new group
 * key was sent to the members: the switch is a timer of the scope's owner
 * (the BM-SC in embodiment 1, the RNC in 2), which hands it back here.
 *
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

/* The timer number a scope key's owner gets for a key switch; its
 * on_timer calls data_switch_key. Element kinds number their own timers
 * below it. */
#define DATA_TIMER_KEY_SWITCH 0x100u

/* Creates net->data (data_rate > 0). */
void data_new(Net *net);
void data_free(Net *net);
double data_interval(const Net *net);
/* The number of the next packet of the stream (0, 1, ...). */
uint32_t data_next_packet(Net *net);
/* The key of `scope` data is sealed under now; `owner_key` is the owner's
 * current group key, in use if the scope had none yet (session start). */
const KtKey *data_key_in_use(Net *net, uint32_t scope, const KtKey *owner_key);
/* Seals packet `packet` (its payload made from the number) under `key`;
 * `group_key` reports it as sealed under a group key (the count data_sent). */
void data_seal(Net *net, KtData *out, uint32_t packet, const KtKey *key, bool group_key);
/* The group key of `scope` has just been sent to the members by `owner`:
 * it becomes the key in use after switch-delay. */
void data_key_sent(Net *net, NetElement owner, uint32_t scope, const KtKey *key);
void data_switch_key(Net *net, uint32_t scope);
/* The group key of `scope` was retired (its group emptied): nobody needs the
 * old one, so `key` is in use at once. */
void data_key_retired(Net *net, uint32_t scope, const KtKey *key);
