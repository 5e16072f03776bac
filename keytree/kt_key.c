/* kt_key.c — key values: wiping. */
#include "keytree/kt_key.h"

#include <sodium.h>

void kt_key_wipe(KtKey *key) {
  if (key != NULL)
    sodium_memzero(key, sizeof *key);
}
