/* block_slab.h — small blocks of many sizes, carved from large chunks that
 * the kernel is asked to back with transparent huge pages.
 *
 * For memory read at random across hundreds of MB, one small block after
 * another: the UEs' node-key arrays (LKH: a path's 5-10 keys, 100-250
 * bytes per UE), read once per holder of each transmission. In malloc's
 * 4 KiB pages nearly every such read misses the TLB as well as the cache,
 * and on a virtual machine the page walk costs as much again and a
 * software prefetch waits for it (ue_on_common fetches ahead). With 2 MiB
 * pages the TLB covers the arrays.
 *
 * A block's class is its size rounded up to 8 bytes; a released block is
 * kept for its class and handed out first; chunks go back to the system
 * only with block_slab_free. Where the kernel gives no huge pages the
 * blocks are ordinary memory. Includes only GLib.
 */
#pragma once
#include <glib.h>

typedef struct BlockSlab BlockSlab;

/* The largest block. */
#define BLOCK_SLAB_MAX 8192u

BlockSlab *block_slab_new(void);
/* Frees every block (NULL: nothing). */
void block_slab_free(BlockSlab *slab);
/* A block of `bytes` (1 to BLOCK_SLAB_MAX), 8-aligned, contents undefined. */
void *block_slab_alloc(BlockSlab *slab, gsize bytes);
/* Hands back `block` (NULL: nothing), allocated with the same `bytes`. */
void block_slab_release(BlockSlab *slab, void *block, gsize bytes);
/* Bytes taken from the system so far (chunks). */
gsize block_slab_reserved(const BlockSlab *slab);
