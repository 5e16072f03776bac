/* kt_key.h — key identities, versions and key material.
 *
 * Every key in the system is named by a KtKeyRef: a 32-bit id whose top two
 * bits say what kind of key it is (group, sub-group, UE private, core) and
 * whose low 30 bits index it within that kind, plus a version that grows by
 * one each time the key changes. A KtKey is a ref plus its 32 secret bytes.
 * KtKey values are plain structs owned by whoever holds them (a UE, an RNC,
 * the tree); wipe them with kt_key_wipe() when they are dropped.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define KT_KEYBYTES 32u

typedef enum {
  KT_KEY_GROUP = 0,    /* one per group scope (embodiment 1: one; 2: one per RNC) */
  KT_KEY_SUBGROUP = 1, /* one per sub-group, index = sub-group id (never reused) */
  KT_KEY_PRIVATE = 2,  /* one per UE, index = UE id */
  KT_KEY_CORE = 3,     /* network-domain key shared by BM-SC and RNCs (embodiment 1) */
} KtKeyKind;

typedef uint32_t KtKeyId;
#define KT_KEY_INDEX_BITS 30u
#define KT_KEY_INDEX_MAX ((1u << KT_KEY_INDEX_BITS) - 1u)
#define KT_KEY_ID(kind, index)                                                                     \
  ((KtKeyId)(((uint32_t)(kind) << KT_KEY_INDEX_BITS) | (uint32_t)(index)))
#define KT_KEY_ID_KIND(id) ((KtKeyKind)((uint32_t)(id) >> KT_KEY_INDEX_BITS))
#define KT_KEY_ID_INDEX(id) ((uint32_t)(id)&KT_KEY_INDEX_MAX)

typedef struct {
  KtKeyId id;
  uint32_t version; /* 0 = never set; the first key of an id is version 1 */
} KtKeyRef;

typedef struct {
  KtKeyRef ref;
  unsigned char bytes[KT_KEYBYTES];
} KtKey;

static inline bool kt_ref_equal(KtKeyRef a, KtKeyRef b) {
  return a.id == b.id && a.version == b.version;
}

/* Overwrites the secret bytes (sodium_memzero) and the ref. */
void kt_key_wipe(KtKey *key);
