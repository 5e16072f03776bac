/* msg.c — the binary codec of the MBMS key-management messages (see msg.h
 * for the wire format). Encoding writes exactly msg_encoded_size() bytes;
 * decoding checks every length and field before reading it, never
 * allocates, and accepts exactly the byte strings msg_encode() can write. */
#include "nodes/msg.h"

#include <glib.h>
#include <stddef.h>
#include <string.h>

/* Fixed body bytes before the wraps, by body layout. */
#define CTX_FIXED 9u      /* ue u32, cell u32, n_wraps u8 */
#define GKC_FIXED 5u      /* scope u32, n_wraps u8 */
#define KA_FIXED 6u       /* mode u8, ue u32, n_wraps u8 */
#define RNC_LIST_FIXED 2u /* n_rncs u16, before the RNC numbers */
#define HO_FIXED 17u      /* ue u32, cell u32, from_cell u32, group_version u32, n_wraps u8 */
#define PAD_FIXED 2u      /* a padded key assignment's pad length u16, before the pad */

/* The body layouts: context (ue, cell), group change (scope), key
 * assignment (mode, ue). The recovery messages reuse the first and last. */
static bool is_context(MsgType t) {
  return t == MSG_ACTIVATE_REQ || t == MSG_ACTIVATE_ACCEPT || t == MSG_DEACTIVATE_REQ ||
         t == MSG_DEACTIVATE_ACCEPT || t == MSG_KEY_REQUEST;
}

static bool is_group_change(MsgType t) {
  return t == MSG_GROUP_KEY_CHANGE_REQ || t == MSG_RAB_ASSIGNMENT_REQ;
}

static bool is_handover(MsgType t) {
  return t == MSG_CELL_UPDATE || t == MSG_CELL_UPDATE_CONFIRM || t == MSG_RELOCATION_REQ ||
         t == MSG_RELOCATION_ACK || t == MSG_MOVE_KEY_REQ;
}

static bool is_control(unsigned t) {
  return (t >= MSG_ACTIVATE_REQ && t <= MSG_KEY_ASSIGNMENT) || t == MSG_KEY_REQUEST ||
         t == MSG_KEY_RECOVERY || (t >= MSG_CELL_UPDATE && t <= MSG_MOVE_KEY_REQ);
}

static size_t fixed_body(MsgType t) {
  if (is_context(t))
    return CTX_FIXED;
  if (is_handover(t))
    return HO_FIXED;
  if (is_group_change(t))
    return GKC_FIXED;
  g_assert(t == MSG_KEY_ASSIGNMENT || t == MSG_KEY_RECOVERY);
  return KA_FIXED;
}

/* ------------------------------------------------------------ byte helpers */

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_wrap(uint8_t *p, const KtWrap *w) {
  put_u32(p, w->key.id);
  put_u32(p + 4, w->key.version);
  put_u32(p + 8, w->under.id);
  put_u32(p + 12, w->under.version);
  memcpy(p + 16, w->nonce, KT_NONCEBYTES);
  memcpy(p + 16 + KT_NONCEBYTES, w->ct, KT_CTBYTES);
}

static void get_wrap(KtWrap *w, const uint8_t *p) {
  w->key.id = get_u32(p);
  w->key.version = get_u32(p + 4);
  w->under.id = get_u32(p + 8);
  w->under.version = get_u32(p + 12);
  memcpy(w->nonce, p + 16, KT_NONCEBYTES);
  memcpy(w->ct, p + 16 + KT_NONCEBYTES, KT_CTBYTES);
}

/* The 12-byte header of every message and data packet. */
static void put_header(uint8_t *buf, MsgType type, uint32_t seq, size_t body) {
  buf[0] = 'M';
  buf[1] = 'K';
  buf[2] = (uint8_t)MSG_VERSION;
  buf[3] = (uint8_t)type;
  put_u32(buf + 4, seq);
  put_u32(buf + 8, (uint32_t)body);
}

static bool reject(const char **why, const char *reason) {
  if (why)
    *why = reason;
  return false;
}

/* The header's body length against the bytes there are. */
static bool check_body_length(const uint8_t *buf, size_t len, const char **why) {
  uint32_t body = get_u32(buf + 8);
  if (body == len - MSG_HEADER_BYTES)
    return true;
  return reject(why,
                body < len - MSG_HEADER_BYTES ? "trailing bytes after the body" : "truncated body");
}

/* The RNC list of a group key change request: the `left` bytes after its
 * wraps, all of which it must fill exactly. */
static bool get_rnc_list(Msg *m, const uint8_t *p, size_t left, const char **why) {
  if (left < RNC_LIST_FIXED)
    return reject(why, "truncated RNC list");
  unsigned n = (unsigned)p[0] | (unsigned)p[1] << 8;
  if (n == 0)
    return reject(why, "empty RNC list");
  if (n > MSG_MAX_RNCS)
    return reject(why, "too many RNCs");
  if (left < RNC_LIST_FIXED + (size_t)n * 4u)
    return reject(why, "truncated RNC list");
  if (left > RNC_LIST_FIXED + (size_t)n * 4u)
    return reject(why, "trailing bytes after the RNC list");
  p += RNC_LIST_FIXED;
  for (unsigned i = 0; i < n; i++, p += 4) {
    m->rncs[i] = get_u32(p);
    if (i > 0 && m->rncs[i] <= m->rncs[i - 1])
      return reject(why, "RNC list not strictly ascending");
  }
  m->n_rncs = (uint16_t)n;
  return true;
}

/* The pad of a padded key assignment: the `left` bytes after its wraps,
 * a length (1 .. MSG_MAX_PAD) and that many zero bytes, exactly. */
static bool get_pad(Msg *m, const uint8_t *p, size_t left, const char **why) {
  if (left < PAD_FIXED)
    return reject(why, "truncated pad");
  unsigned n = (unsigned)p[0] | (unsigned)p[1] << 8;
  if (n == 0 || n > MSG_MAX_PAD)
    return reject(why, "pad length out of range");
  if (left != PAD_FIXED + (size_t)n)
    return reject(why,
                  left < PAD_FIXED + (size_t)n ? "truncated pad" : "trailing bytes after the pad");
  for (unsigned i = 0; i < n; i++)
    if (p[PAD_FIXED + i] != 0)
      return reject(why, "pad byte not zero");
  m->pad = (uint16_t)n;
  return true;
}

/* ------------------------------------------------------------ public API */

/* Only the fields before the wraps: a Msg is ~4 KB, most of it the wrap
 * and RNC arrays, and a message is made or decoded per receiver and per
 * key request, so zeroing them all showed in profiles. Nothing reads a
 * wrap past n_wraps or an RNC past n_rncs. */
void msg_init(Msg *m, MsgType type, uint32_t seq) {
  memset(m, 0, offsetof(Msg, wraps));
  m->type = type;
  m->seq = seq;
  m->ue = MSG_NO_UE;
  m->mode = MSG_P2P;
}

/* Bytes of the RNC list (0 if there is none). */
static size_t rnc_list_bytes(const Msg *m) {
  g_assert(m->n_rncs <= MSG_MAX_RNCS);
  g_assert(m->n_rncs == 0 || m->type == MSG_GROUP_KEY_CHANGE_REQ);
  return m->n_rncs ? RNC_LIST_FIXED + (size_t)m->n_rncs * 4u : 0;
}

size_t msg_encoded_size(const Msg *m) {
  g_assert(is_control(m->type));
  g_assert(m->n_wraps <= (is_handover(m->type) ? MSG_HANDOVER_MAX_WRAPS : MSG_MAX_WRAPS));
  g_assert(m->pad <= MSG_MAX_PAD && (m->pad == 0 || m->type == MSG_KEY_ASSIGNMENT));
  return MSG_HEADER_BYTES + fixed_body(m->type) + (size_t)m->n_wraps * KT_WRAP_WIREBYTES +
         rnc_list_bytes(m) + (m->pad ? PAD_FIXED + (size_t)m->pad : 0);
}

G_STATIC_ASSERT(MSG_HEADER_BYTES + KA_FIXED + MSG_MAX_WRAPS * KT_WRAP_WIREBYTES + PAD_FIXED +
                    MSG_MAX_PAD <=
                MSG_MAX_BYTES);

bool msg_pad_to(Msg *m, size_t total) {
  g_assert(m->type == MSG_KEY_ASSIGNMENT && m->pad == 0);
  size_t now = msg_encoded_size(m);
  if (total < now + PAD_FIXED + 1u || total - now - PAD_FIXED > MSG_MAX_PAD)
    return false;
  m->pad = (uint16_t)(total - now - PAD_FIXED);
  return true;
}

size_t msg_encode(const Msg *m, uint8_t *buf, size_t cap) {
  size_t size = msg_encoded_size(m);
  if (cap < size)
    return 0;
  put_header(buf, m->type, m->seq, size - MSG_HEADER_BYTES);
  uint8_t *p = buf + MSG_HEADER_BYTES;
  if (is_context(m->type)) {
    put_u32(p, m->ue);
    put_u32(p + 4, m->cell);
    p += 8;
  } else if (is_handover(m->type)) {
    put_u32(p, m->ue);
    put_u32(p + 4, m->cell);
    put_u32(p + 8, m->from_cell);
    put_u32(p + 12, m->group_version);
    p += 16;
  } else if (is_group_change(m->type)) {
    put_u32(p, m->scope);
    p += 4;
  } else {
    g_assert(m->mode == MSG_P2P || m->mode == MSG_P2M);
    *p++ = (uint8_t)(m->mode | (m->pad ? MSG_PADDED : 0u));
    put_u32(p, m->ue);
    p += 4;
  }
  *p++ = (uint8_t)(m->n_wraps | (m->n_rncs ? MSG_RNC_LIST : 0u));
  for (unsigned i = 0; i < m->n_wraps; i++, p += KT_WRAP_WIREBYTES)
    put_wrap(p, &m->wraps[i]);
  if (m->n_rncs) {
    p[0] = (uint8_t)m->n_rncs;
    p[1] = (uint8_t)(m->n_rncs >> 8);
    p += RNC_LIST_FIXED;
    for (unsigned i = 0; i < m->n_rncs; i++, p += 4) {
      g_assert(i == 0 || m->rncs[i] > m->rncs[i - 1]);
      put_u32(p, m->rncs[i]);
    }
  }
  if (m->pad) {
    p[0] = (uint8_t)m->pad;
    p[1] = (uint8_t)(m->pad >> 8);
    memset(p + PAD_FIXED, 0, m->pad);
    p += PAD_FIXED + m->pad;
  }
  g_assert((size_t)(p - buf) == size);
  return size;
}

bool msg_decode(Msg *out, const uint8_t *buf, size_t len, const char **why) {
  if (!buf || len < MSG_HEADER_BYTES)
    return reject(why, "truncated header");
  if (buf[0] != 'M' || buf[1] != 'K')
    return reject(why, "bad magic");
  if (buf[2] != MSG_VERSION)
    return reject(why, "unknown version");
  if (buf[3] == MSG_DATA)
    return reject(why, "data packet where a control message was expected");
  if (!is_control(buf[3]))
    return reject(why, "unknown message type");
  MsgType type = (MsgType)buf[3];
  if (!check_body_length(buf, len, why))
    return false;
  uint32_t body = get_u32(buf + 8);
  size_t fixed = fixed_body(type);
  if (body < fixed)
    return reject(why, "body too short for its type");

  Msg m;
  msg_init(&m, type, get_u32(buf + 4));
  const uint8_t *p = buf + MSG_HEADER_BYTES;
  bool padded = false;
  if (is_context(type)) {
    m.ue = get_u32(p);
    m.cell = get_u32(p + 4);
    p += 8;
  } else if (is_handover(type)) {
    m.ue = get_u32(p);
    m.cell = get_u32(p + 4);
    m.from_cell = get_u32(p + 8);
    m.group_version = get_u32(p + 12);
    p += 16;
  } else if (is_group_change(type)) {
    m.scope = get_u32(p);
    p += 4;
  } else {
    padded = type == MSG_KEY_ASSIGNMENT && (p[0] & MSG_PADDED);
    if ((p[0] & ~(padded ? MSG_PADDED : 0u)) > MSG_P2M)
      return reject(why, "unknown key assignment mode");
    m.mode = (MsgMode)(p[0] & MSG_P2M);
    m.ue = get_u32(p + 1);
    p += 5;
    if (m.mode == MSG_P2P && m.ue == MSG_NO_UE)
      return reject(why, "point-to-point key assignment without an addressee");
    if (m.mode == MSG_P2M && m.ue != MSG_NO_UE)
      return reject(why, "point-to-multipoint key assignment names a UE");
    if (type == MSG_KEY_RECOVERY && m.mode != MSG_P2P)
      return reject(why, "key recovery not point-to-point");
  }
  unsigned n = *p++;
  bool listed = type == MSG_GROUP_KEY_CHANGE_REQ && (n & MSG_RNC_LIST);
  if (listed)
    n &= ~MSG_RNC_LIST;
  if (n > MSG_MAX_WRAPS)
    return reject(why, "too many wraps");
  if (is_handover(type) && n > MSG_HANDOVER_MAX_WRAPS)
    return reject(why, "too many wraps for a handover message");
  size_t want = fixed + (size_t)n * KT_WRAP_WIREBYTES;
  if (body < want)
    return reject(why, "truncated wraps");
  if (body > want && !listed && !padded)
    return reject(why, "trailing bytes after the wraps");
  if (n == 0 && (is_group_change(type) || type == MSG_KEY_ASSIGNMENT || type == MSG_KEY_RECOVERY))
    return reject(why, "key-carrying message without a wrap");
  if (n != 0 && type == MSG_KEY_REQUEST)
    return reject(why, "key request carrying wraps");
  m.n_wraps = (uint8_t)n;
  for (unsigned i = 0; i < n; i++, p += KT_WRAP_WIREBYTES)
    get_wrap(&m.wraps[i], p);
  if (listed && !get_rnc_list(&m, p, body - want, why))
    return false;
  if (padded && !get_pad(&m, p, body - want, why))
    return false;
  /* the fields and the wraps and RNCs there are (not the whole ~4 KB) */
  memcpy(out, &m, offsetof(Msg, wraps));
  memcpy(out->wraps, m.wraps, (size_t)m.n_wraps * sizeof m.wraps[0]);
  memcpy(out->rncs, m.rncs, (size_t)m.n_rncs * sizeof m.rncs[0]);
  if (why)
    *why = NULL;
  return true;
}

/* ------------------------------------------------------------ data packets */

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

size_t msg_encode_data(const KtData *d, uint8_t *buf, size_t cap) {
  g_assert(d->len <= KT_DATA_MAX_PAYLOAD);
  size_t body = MSG_DATA_FIXED + (size_t)d->len + KT_TAGBYTES;
  if (cap < MSG_HEADER_BYTES + body)
    return 0;
  put_header(buf, MSG_DATA, d->packet, body);
  uint8_t *p = buf + MSG_HEADER_BYTES;
  put_u32(p, d->key.id);
  put_u32(p + 4, d->key.version);
  put_u32(p + 8, d->packet);
  put_u16(p + 12, d->len);
  memcpy(p + 14, d->nonce, KT_NONCEBYTES);
  memcpy(p + MSG_DATA_FIXED, d->ct, (size_t)d->len + KT_TAGBYTES);
  return MSG_HEADER_BYTES + body;
}

bool msg_is_data(const uint8_t *buf, size_t len) {
  return buf && len >= MSG_HEADER_BYTES && buf[0] == 'M' && buf[1] == 'K' &&
         buf[2] == MSG_VERSION && buf[3] == MSG_DATA;
}

bool msg_decode_data(KtData *out, const uint8_t *buf, size_t len, const char **why) {
  if (!buf || len < MSG_HEADER_BYTES)
    return reject(why, "truncated header");
  if (!msg_is_data(buf, len))
    return reject(why, "not a data packet");
  if (!check_body_length(buf, len, why))
    return false;
  uint32_t body = get_u32(buf + 8);
  if (body < MSG_DATA_FIXED)
    return reject(why, "body too short for its type");
  const uint8_t *p = buf + MSG_HEADER_BYTES;
  uint16_t n = (uint16_t)(p[12] | p[13] << 8);
  if (n > KT_DATA_MAX_PAYLOAD)
    return reject(why, "data payload too long");
  if (body != MSG_DATA_FIXED + (size_t)n + KT_TAGBYTES)
    return reject(why, "data length does not match the body");
  if (get_u32(p + 8) != get_u32(buf + 4))
    return reject(why, "data packet number differs from the header's");
  out->key.id = get_u32(p);
  out->key.version = get_u32(p + 4);
  out->packet = get_u32(p + 8);
  out->len = n;
  memcpy(out->nonce, p + 14, KT_NONCEBYTES);
  memcpy(out->ct, p + MSG_DATA_FIXED, (size_t)n + KT_TAGBYTES);
  if (why)
    *why = NULL;
  return true;
}

const char *msg_type_name(MsgType type) {
  switch (type) {
  case MSG_ACTIVATE_REQ:
    return "Activate MBMS context request";
  case MSG_ACTIVATE_ACCEPT:
    return "Activate MBMS context accept";
  case MSG_DEACTIVATE_REQ:
    return "Deactivate MBMS context request";
  case MSG_DEACTIVATE_ACCEPT:
    return "Deactivate MBMS context accept";
  case MSG_GROUP_KEY_CHANGE_REQ:
    return "MBMS group key change request";
  case MSG_RAB_ASSIGNMENT_REQ:
    return "RAB assignment request";
  case MSG_KEY_ASSIGNMENT:
    return "MBMS key assignment";
  case MSG_DATA:
    return "MBMS session data";
  case MSG_KEY_REQUEST:
    return "MBMS key request";
  case MSG_KEY_RECOVERY:
    return "MBMS key recovery";
  case MSG_CELL_UPDATE:
    return "Cell update";
  case MSG_CELL_UPDATE_CONFIRM:
    return "Cell update confirm";
  case MSG_RELOCATION_REQ:
    return "SRNS relocation request";
  case MSG_RELOCATION_ACK:
    return "SRNS relocation acknowledge";
  case MSG_MOVE_KEY_REQ:
    return "MBMS key change request of a handover";
  }
  return "?";
}

const char *msg_type_slug(MsgType type) {
  switch (type) {
  case MSG_ACTIVATE_REQ:
    return "activate_req";
  case MSG_ACTIVATE_ACCEPT:
    return "activate_accept";
  case MSG_DEACTIVATE_REQ:
    return "deactivate_req";
  case MSG_DEACTIVATE_ACCEPT:
    return "deactivate_accept";
  case MSG_GROUP_KEY_CHANGE_REQ:
    return "group_key_change_req";
  case MSG_RAB_ASSIGNMENT_REQ:
    return "rab_assignment_req";
  case MSG_KEY_ASSIGNMENT:
    return "key_assignment";
  case MSG_DATA:
    return "data";
  case MSG_KEY_REQUEST:
    return "key_request";
  case MSG_KEY_RECOVERY:
    return "key_recovery";
  case MSG_CELL_UPDATE:
    return "cell_update";
  case MSG_CELL_UPDATE_CONFIRM:
    return "cell_update_confirm";
  case MSG_RELOCATION_REQ:
    return "relocation_req";
  case MSG_RELOCATION_ACK:
    return "relocation_ack";
  case MSG_MOVE_KEY_REQ:
    return "move_key_req";
  }
  return "?";
}
