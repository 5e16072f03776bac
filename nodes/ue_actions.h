/* ue_actions.h — the UE's own procedures (nodes/ue_actions.c): what ue.c
 * calls when a procedure ends or a NAS timer fires. The procedures'
 * entry points (ue_start_join, ue_start_leave, ue_start_move, ue_appear)
 * are nodes/ue.h's. */
#pragma once
#include "nodes/node.h"

/* The UE's procedure ended: its waiting actions start, in order, until one
 * is a procedure that must end first. */
void ue_run_waiting(Net *net, uint32_t ue);
/* An activation or deactivation request for the UE's current cell. */
void ue_send_context_request(Net *net, uint32_t ue, MsgType type, uint32_t seq);
