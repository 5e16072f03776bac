/* msg.h — the MBMS key-management messages and their binary codec.
 *
 * Wire format, version 1, all integers little-endian:
 *   header (12 bytes): magic 'M' 'K', version u8 (=1), type u8, seq u32,
 *                      body length u32 (bytes after the header)
 *   body, by type:
 *     ACTIVATE_REQ / ACTIVATE_ACCEPT / DEACTIVATE_REQ / DEACTIVATE_ACCEPT:
 *         ue u32, cell u32, n_wraps u8, wraps
 *     GROUP_KEY_CHANGE_REQ:
 *         scope u32, n_wraps u8 (bit 7 set: MSG_RNC_LIST, an RNC list
 *         follows the wraps; bits 0-6 the count), wraps, then, only with
 *         that bit (a request for some RNCs, not along the whole
 *         distribution tree), the RNC list: n_rncs u16 (1 ..
 *         MSG_MAX_RNCS), rnc u32 x n_rncs (global RNC numbers, strictly
 *         ascending). No list = every RNC below the receiver with members
 *         (its MBMS bearer context). Without a list the bytes are those of
 *         the request before lists existed.
 *     RAB_ASSIGNMENT_REQ (to one RNC): scope u32, n_wraps u8, wraps
 *     KEY_ASSIGNMENT:
 *         mode u8 (0 = point-to-point, 1 = point-to-multipoint; bit 7 set:
 *         MSG_PADDED, a pad follows the wraps),
 *         ue u32 (p2p: the addressee; p2m: 0xffffffff), n_wraps u8, wraps,
 *         then, only with that bit, pad u16 (1 .. MSG_MAX_PAD) and that
 *         many zero bytes: the message then has the size of the standard
 *         message a scheme models (3gpp's MIKEY MSK and MTK messages,
 *         docs/schemes.md "3gpp"). Without the bit the bytes are those of
 *         before padding existed.
 *     KEY_REQUEST (a UE asks for the keys it misses; docs/reliability.md):
 *         the context layout (ue u32, cell u32, n_wraps u8), n_wraps = 0
 *     KEY_RECOVERY (the answer, point-to-point):
 *         the key assignment layout, mode 0 (point-to-point), a named UE,
 *         n_wraps >= 1
 *     CELL_UPDATE / CELL_UPDATE_CONFIRM / RELOCATION_REQ / RELOCATION_ACK
 *     (handover, docs/flows.md "Handover"):
 *         ue u32, cell u32 (the cell it moves to), from_cell u32 (the cell
 *         it leaves), group_version u32 (the version of the group key the
 *         UE holds, for the key repair), n_wraps u8, wraps
 *     DATA (an MBMS session packet; its own struct KtData, see msg_*_data):
 *         key id u32, key version u32, packet u32, length u16, nonce[24],
 *         ciphertext[length + 16]
 *   wrap (KT_WRAP_WIREBYTES = 88): key id u32, key version u32,
 *         under id u32, under version u32, nonce[24], ciphertext[48]
 * `seq` names the join/leave event the message belongs to, so that every
 * message and every key installation can be counted against its event.
 *
 * Decoding never trusts the bytes: every length is checked, unknown
 * versions/types/modes, wrap counts above MSG_MAX_WRAPS, RNC lists that
 * are empty, longer than MSG_MAX_RNCS or not strictly ascending, short or
 * trailing bytes are rejected with a static reason string. Decoding never
 * allocates.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_data.h"
#include "keytree/kt_wrap.h"

#define MSG_VERSION 1u
#define MSG_HEADER_BYTES 12u
#define MSG_MAX_WRAPS 32u /* >= KT_PLAN_MAX_KEYS: an LKH joiner's whole path */
#define MSG_NO_UE UINT32_MAX
/* RNCs one group key change request lists: the most RNCs one SGSN has
 * (topology.rnc-per-sgsn <= 256), so that an SGSN's list always fits. */
#define MSG_MAX_RNCS 256u
#define MSG_RNC_LIST 0x80u /* in a group key change request's n_wraps byte */
#define MSG_PADDED 0x80u   /* in a key assignment's mode byte */
/* The longest pad: a padded key assignment stays within MSG_MAX_BYTES. */
#define MSG_MAX_PAD 1024u
/* Upper bound of any encoded message. */
#define MSG_MAX_BYTES                                                                              \
  (MSG_HEADER_BYTES + 10u + MSG_MAX_WRAPS * KT_WRAP_WIREBYTES + 2u + MSG_MAX_RNCS * 4u)
/* A handover message carries at most this many wraps (the group key). */
#define MSG_HANDOVER_MAX_WRAPS 1u

typedef enum {
  MSG_ACTIVATE_REQ = 1,         /* Activate MBMS context request */
  MSG_ACTIVATE_ACCEPT = 2,      /* Activate MBMS context accept (may carry the group key) */
  MSG_DEACTIVATE_REQ = 3,       /* Deactivate MBMS context request */
  MSG_DEACTIVATE_ACCEPT = 4,    /* Deactivate MBMS context accept */
  MSG_GROUP_KEY_CHANGE_REQ = 5, /* MBMS group key change request (BM-SC->GGSN->SGSN) */
  MSG_RAB_ASSIGNMENT_REQ = 6,   /* RAB assignment request (SGSN->RNC) */
  MSG_KEY_ASSIGNMENT = 7,       /* MBMS key assignment (RNC->UE, p2p or p2m) */
  MSG_DATA = 8,                 /* MBMS session data (msg_encode_data / msg_decode_data) */
  MSG_KEY_REQUEST = 9,          /* MBMS key request (UE->RNC, a missed key update) */
  MSG_KEY_RECOVERY = 10,        /* MBMS key recovery (RNC->UE, its current keys) */
  MSG_CELL_UPDATE = 11,         /* Cell update (UE->RNC of its new cell) */
  MSG_CELL_UPDATE_CONFIRM = 12, /* Cell update confirm (RNC->UE) */
  MSG_RELOCATION_REQ = 13,      /* SRNS relocation request (new RNC->...->old RNC) */
  MSG_RELOCATION_ACK =
      14,                /* SRNS relocation acknowledge (old->...->new; may carry the group key) */
  MSG_MOVE_KEY_REQ = 15, /* MBMS key change request of a handover (new RNC->SGSN->GGSN->BM-SC) */
} MsgType;
#define MSG_TYPE_COUNT 16 /* types are 1..15; index 0 unused */

typedef enum { MSG_P2P = 0, MSG_P2M = 1 } MsgMode;

typedef struct {
  MsgType type;
  uint32_t seq;
  uint32_t ue;            /* context messages, p2p key assignment; else MSG_NO_UE */
  uint32_t cell;          /* context messages: the UE's global cell; handover: the new one */
  uint32_t from_cell;     /* handover: the cell it leaves */
  uint32_t group_version; /* handover: the group key version the UE holds */
  uint32_t scope;         /* group key change / RAB assignment */
  MsgMode mode;           /* key assignment */
  uint8_t n_wraps;
  uint16_t n_rncs; /* group key change: 0 = no list (the whole tree) */
  uint16_t pad;    /* key assignment: zero bytes after the wraps (0: none) */
  KtWrap wraps[MSG_MAX_WRAPS];
  uint32_t rncs[MSG_MAX_RNCS]; /* group key change: ascending */
} Msg;

/* Initialises every field before the wraps (ue = MSG_NO_UE, no wraps, no
 * RNC list); wraps[] and rncs[] are left as they are (only the first
 * n_wraps / n_rncs are ever read). */
void msg_init(Msg *m, MsgType type, uint32_t seq);
/* Size msg_encode() will write. */
size_t msg_encoded_size(const Msg *m);
/* Pads key assignment m (its wraps in place, no pad yet) to `total`
 * bytes in all; false (m unchanged) if that takes no pad, a pad of more
 * than MSG_MAX_PAD, or fewer bytes than it has. */
bool msg_pad_to(Msg *m, size_t total);
/* Writes the message; returns bytes written, or 0 if cap is too small. */
size_t msg_encode(const Msg *m, uint8_t *buf, size_t cap);
/* true and *out filled on success (its fields, n_wraps wraps and n_rncs
 * RNCs); false and *why set (static string) on any malformed input. */
bool msg_decode(Msg *out, const uint8_t *buf, size_t len, const char **why);
/* Data packets: header (type MSG_DATA, seq = the packet number) + body as
 * above. Same rules as the control messages: every length checked, a
 * reason for every rejection. */
#define MSG_DATA_FIXED 38u /* key id, version, packet, length, nonce */
/* Bytes a data packet carries besides its payload (66). */
#define MSG_DATA_OVERHEAD_BYTES (MSG_HEADER_BYTES + MSG_DATA_FIXED + KT_TAGBYTES)
#define MSG_DATA_MAX_BYTES (MSG_DATA_OVERHEAD_BYTES + KT_DATA_MAX_PAYLOAD)
size_t msg_encode_data(const KtData *d, uint8_t *buf, size_t cap);
bool msg_decode_data(KtData *out, const uint8_t *buf, size_t len, const char **why);
/* Whether the bytes claim to be a data packet (a full check is the decoder's). */
bool msg_is_data(const uint8_t *buf, size_t len);
/* Human name, e.g. "MBMS key assignment"; "?" for an unknown type. */
const char *msg_type_name(MsgType type);
/* Short machine name, e.g. "key_assignment". */
const char *msg_type_slug(MsgType type);
