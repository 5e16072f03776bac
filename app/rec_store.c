/* rec_store.c — see rec_store.h. */
#include "app/rec_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NO_BLOCK UINT32_MAX

struct RecStore {
  size_t size, block_bytes; /* of a record, of a block */
  GPtrArray *blocks; /* REC_STORE_BLOCK records each */
  GArray *in_file;   /* gboolean per block: file-backed (may leave residence) */
  uint32_t len;
  uint32_t touched; /* the block of the last access other than the tail; NO_BLOCK */
};

/* An unlinked temporary file of `bytes`, its space allocated (a sparse
 * file on a full disk would fault a write through the mapping with
 * SIGBUS; a block that cannot get its space is anonymous memory), or -1. */
static int block_file(size_t bytes) {
  const char *dir = g_get_tmp_dir();
  int fd = -1;
#ifdef O_TMPFILE
  fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd < 0)
  {
    g_autofree char *path = g_build_filename(dir, "mbms-records-XXXXXX", NULL);
    fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
      unlink(path);
  }
  if (fd >= 0 && posix_fallocate(fd, 0, (off_t)bytes) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

static void add_block(RecStore *s) {
  int fd = block_file(s->block_bytes);
  void *p = MAP_FAILED;
  if (fd >= 0) {
    p = mmap(NULL, s->block_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); /* the mapping keeps the file */
  }
  gboolean file = p != MAP_FAILED;
  if (!file)
    p = mmap(NULL, s->block_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    g_error("records: out of memory (%s)", g_strerror(errno));
  g_ptr_array_add(s->blocks, p);
  g_array_append_val(s->in_file, file);
}

/* Block `b` leaves the resident pages (file-backed blocks only). */
static void release(RecStore *s, uint32_t b) {
  if (b != NO_BLOCK && g_array_index(s->in_file, gboolean, b))
    madvise(g_ptr_array_index(s->blocks, b), s->block_bytes, MADV_DONTNEED);
}

RecStore *rec_store_new(size_t record_size) {
  g_assert(record_size > 0);
  RecStore *s = g_new0(RecStore, 1);
  s->size = record_size;
  s->block_bytes = REC_STORE_BLOCK * record_size;
  s->blocks = g_ptr_array_new();
  s->in_file = g_array_new(FALSE, FALSE, sizeof(gboolean));
  s->touched = NO_BLOCK;
  return s;
}

void rec_store_free(RecStore *s) {
  if (!s)
    return;
  for (guint b = 0; b < s->blocks->len; b++)
    munmap(g_ptr_array_index(s->blocks, b), s->block_bytes);
  g_ptr_array_free(s->blocks, TRUE);
  g_array_free(s->in_file, TRUE);
  g_free(s);
}

uint32_t rec_store_len(const RecStore *s) {
  return s->len;
}

uint32_t rec_store_append(RecStore *s, const void *rec) {
  g_assert(s->len < UINT32_MAX);
  uint32_t b = s->len / REC_STORE_BLOCK;
  if (b == s->blocks->len) {
    if (b > 0 && s->touched != b - 1) { /* the old tail is done with */
      release(s, b - 1);
    }
    add_block(s);
  }
  memcpy((char *)g_ptr_array_index(s->blocks, b) + (s->len % REC_STORE_BLOCK) * s->size, rec,
         s->size);
  return s->len++;
}

void *rec_store_at(RecStore *s, uint32_t i) {
  g_assert(i < s->len);
  uint32_t b = i / REC_STORE_BLOCK, tail = s->blocks->len - 1;
  if (b != tail && b != s->touched) {
    if (s->touched != tail)
      release(s, s->touched);
    s->touched = b;
  }
  return (char *)g_ptr_array_index(s->blocks, b) + (i % REC_STORE_BLOCK) * s->size;
}
