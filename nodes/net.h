/* net.h — the simulated MBMS network: BM-SC, GGSNs, SGSNs, RNCs and UEs as
 * ns-3 nodes joined by core links, Iu links, dedicated and common channels.
 *
 * The app layer builds a Net from a NetConfig and a KtTree, provisions the
 * initial members, then calls net_ue_join / net_ue_leave at the workload's
 * times (from sim events). Everything after that is messages: each element
 * reacts to what it receives (see docs/flows.md for every flow).
 *
 * Counting: the Net never counts by itself; every send, receive, wrap,
 * unwrap and key installation is reported through the NetObserver, which the
 * app implements with its Metrics, so that counting happens in one place.
 *
 * Ownership: the Net borrows the tree (the caller frees it after the Net)
 * and owns its elements' state, plans in flight and the sim topology.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_tree.h"
#include "keytree/kt_data.h"
#include "nodes/msg.h"
#include "nodes/net_types.h"

/* Builds the topology on the current simulation (sim_init done). */
Net *net_new(const NetConfig *config, KtTree *tree, const NetObserver *observer);
void net_free(Net *net);
/* Writes pcap traces into folder `dir` (which exists): core.pcap (BM-SC-GGSN
 * and GGSN-SGSN links), iu.pcap (SGSN-RNC links) and radio-rnc<r>.pcap per
 * RNC r (its dedicated and common channels); see sim_pcap_link and
 * sim_pcap_ran for the formats. Call right after net_new. false (and
 * *failed set to the path, caller frees) if a file cannot be created. */
bool net_trace_pcap(Net *net, const char *dir, char **failed);

/* Makes `ue` a member of `cell` at time 0 without any message (initial
 * members): tree join, UE keys installed directly. */
void net_provision(Net *net, uint32_t ue, uint32_t cell);
/* After the last net_provision: every member's keys set again from the
 * tree, so that what a later provisioning join changed for earlier members
 * (oft: the blinded keys of their path's siblings) is theirs too. */
void net_provision_done(Net *net);
/* Starts a join / leave: the UE sends its Activate / Deactivate MBMS
 * context request on its dedicated channel. `seq` names the event. */
void net_ue_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
void net_ue_leave(Net *net, uint32_t ue, uint32_t seq);
/* Starts a handover of member `ue` to `cell` (docs/flows.md, "Handover"):
 * its radio camps there and it sends a cell update; a move that falls due
 * while the UE's join or previous move is in progress waits for its end,
 * and a join or leave that falls due while a move waits or is in progress
 * waits behind it (nodes/ue.c). */
void net_ue_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
/* UE actions still waiting behind an unfinished handover (0 at the end of
 * a run whose handovers all completed). */
uint32_t net_ue_actions_waiting(const Net *net);

/* Inspection, for reports and tests. */
uint32_t net_n_ues_seen(const Net *net);
bool net_ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key);
/* Keys a UE holds now (private, sub-group, group: those set). */
uint32_t net_ue_keys_held(const Net *net, uint32_t ue);
/* Tries to open `wrap` with every key UE `ue` holds now (real decryption);
 * true if any opens it. Used to check that departed UEs learn nothing. */
bool net_ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap);
/* Appends to `out` (GArray of KtKey) a copy of every key UE `ue` holds now
 * (whatever the scheme: private, sub-group or tree keys, group key). The
 * caller wipes them (kt_key_wipe) when done. */
void net_ue_copy_keys(const Net *net, uint32_t ue, GArray *out);
/* With verify_data: receptions where bookkeeping (the member holds the
 * packet's key ref) and real decryption disagreed. Should be 0. */
uint64_t net_data_verify_mismatches(const Net *net);
/* Recovery (docs/reliability.md): UE `ue` sends an MBMS key request now,
 * member or not (tests: a departed UE asking anyway is refused). */
void net_ue_request_keys(Net *net, uint32_t ue);
/* Key requests given up after RECOVERY_MAX_TRIES unanswered in a row. */
uint64_t net_recovery_abandoned(const Net *net);
/* Lost signalling (docs/reliability.md): activation and deactivation
 * requests sent again on T3380 / T3390, and procedures aborted after
 * nas_retx of them. */
uint64_t net_nas_retransmissions(const Net *net);
uint64_t net_nas_aborted(const Net *net);
/* Where UE `ue`'s radio is camped now (its last cell if it left), and
 * whether it listens to the MBMS bearer of `cell` (tests of mobility). */
uint32_t net_ue_camped_cell(const Net *net, uint32_t ue);
bool net_ue_listens(const Net *net, uint32_t ue, uint32_t cell);
/* Wraps awaiting a key at some UE (should be 0 at the end of a run). */
uint32_t net_pending_wraps(const Net *net);
/* Unwraps answered by an open shared with an earlier holder of the same key
 * bytes (0 with crypto = per-ue). */
uint64_t net_unwraps_shared(const Net *net);

/* The same at UEs that are members (their own view): 0 at the end of any
 * run with recovery. A UE that lost a key and left before it recovered
 * keeps waiting for it (docs/reliability.md); that one is not counted. */
uint32_t net_member_pending_wraps(const Net *net);
