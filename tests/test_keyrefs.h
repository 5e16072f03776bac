/* test_keyrefs.h — key references by name (a scope's group key, a
 * sub-group's key, a UE's private key) and their assertion, for the tests
 * that check plans key by key (test_keytree.c, test_move.c). */
#pragma once
#include <glib.h>

#include "keytree/kt_key.h"

static inline KtKeyRef GRP(uint32_t scope, uint32_t v) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, scope), v};
}
static inline KtKeyRef SG(uint32_t sg, uint32_t v) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, sg), v};
}
static inline KtKeyRef PRIV(uint32_t ue) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_PRIVATE, ue), 1};
}

static inline void assert_ref(KtKeyRef got, KtKeyRef want) {
  if (!kt_ref_equal(got, want))
    g_error("key ref %#x v%u, expected %#x v%u", got.id, got.version, want.id, want.version);
}
