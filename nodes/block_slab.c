/* block_slab.c — small blocks in huge-page-backed chunks (block_slab.h). */
#include "nodes/block_slab.h"

#include <sys/mman.h>

#define CLASS_BYTES 8u
#define N_CLASSES (BLOCK_SLAB_MAX / CLASS_BYTES + 1)
#define HUGE_PAGE ((gsize)2 << 20)
#define FIRST_CHUNK HUGE_PAGE        /* small runs stay small */
#define LAST_CHUNK ((gsize)64 << 20) /* chunks double up to this */

typedef struct FreeBlock {
  struct FreeBlock *next;
} FreeBlock;

typedef struct {
  void *base; /* as mapped (munmap) */
  gsize len;
} Chunk;

struct BlockSlab {
  FreeBlock *free[N_CLASSES]; /* released blocks, by class */
  char *next, *end;           /* the current chunk's unused part */
  GArray *chunks;             /* Chunk */
  gsize reserved;
};

static guint class_of(gsize bytes) {
  g_assert(bytes >= 1 && bytes <= BLOCK_SLAB_MAX);
  return (guint)((bytes + CLASS_BYTES - 1) / CLASS_BYTES);
}

BlockSlab *block_slab_new(void) {
  BlockSlab *s = g_new0(BlockSlab, 1);
  s->chunks = g_array_new(FALSE, FALSE, sizeof(Chunk));
  return s;
}

void block_slab_free(BlockSlab *s) {
  if (!s)
    return;
  for (guint i = 0; i < s->chunks->len; i++) {
    Chunk *c = &g_array_index(s->chunks, Chunk, i);
    munmap(c->base, c->len);
  }
  g_array_free(s->chunks, TRUE);
  g_free(s);
}

/* A new chunk, twice the last one (up to LAST_CHUNK), aligned to a huge
 * page so that all of it can be backed by huge pages. */
static void add_chunk(BlockSlab *s) {
  gsize len = s->reserved == 0 ? FIRST_CHUNK : MIN(s->reserved, LAST_CHUNK);
  gsize mapped = len + HUGE_PAGE;
  char *base = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    g_error("block_slab: out of memory mapping %" G_GSIZE_FORMAT " bytes", mapped);
  char *start = (char *)(((guintptr)base + HUGE_PAGE - 1) & ~(guintptr)(HUGE_PAGE - 1));
  (void)madvise(start, len, MADV_HUGEPAGE); /* a hint: without it, ordinary pages */
  g_array_append_val(s->chunks, ((Chunk){base, mapped}));
  s->reserved += len;
  s->next = start;
  s->end = start + len;
}

void *block_slab_alloc(BlockSlab *s, gsize bytes) {
  guint c = class_of(bytes);
  FreeBlock *f = s->free[c];
  if (f) {
    s->free[c] = f->next;
    return f;
  }
  gsize size = (gsize)c * CLASS_BYTES;
  if ((gsize)(s->end - s->next) < size)
    add_chunk(s); /* (the old chunk's tail, under 8 KiB, is left unused) */
  void *block = s->next;
  s->next += size;
  return block;
}

void block_slab_release(BlockSlab *s, void *block, gsize bytes) {
  if (!block)
    return;
  guint c = class_of(bytes);
  FreeBlock *f = block;
  f->next = s->free[c];
  s->free[c] = f;
}

gsize block_slab_reserved(const BlockSlab *s) {
  return s->reserved;
}
