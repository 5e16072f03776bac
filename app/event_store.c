/* event_store.c — see event_store.h. */
#include "app/event_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define BLOCK_BYTES ((size_t)EVENT_STORE_BLOCK * sizeof(EventRecord))
#define NO_BLOCK UINT32_MAX

struct EventStore {
  GPtrArray *blocks; /* EventRecord[EVENT_STORE_BLOCK] each */
  GArray *in_file;   /* gboolean per block: file-backed (may leave residence) */
  uint32_t len;
  uint32_t touched; /* the block of the last access other than the tail; NO_BLOCK */
};

/* An unlinked temporary file of BLOCK_BYTES, or -1. */
static int block_file(void) {
  const char *dir = g_get_tmp_dir();
#ifdef O_TMPFILE
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
#endif
  {
    g_autofree char *path = g_build_filename(dir, "mbms-events-XXXXXX", NULL);
    fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
      unlink(path);
  }
  if (fd >= 0 && ftruncate(fd, (off_t)BLOCK_BYTES) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

static void add_block(EventStore *s) {
  int fd = block_file();
  void *p = MAP_FAILED;
  if (fd >= 0) {
    p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); /* the mapping keeps the file */
  }
  gboolean file = p != MAP_FAILED;
  if (!file)
    p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    g_error("event records: out of memory (%s)", g_strerror(errno));
  g_ptr_array_add(s->blocks, p);
  g_array_append_val(s->in_file, file);
}

/* Block `b` leaves the resident pages (file-backed blocks only). */
static void release(EventStore *s, uint32_t b) {
  if (b != NO_BLOCK && g_array_index(s->in_file, gboolean, b))
    madvise(g_ptr_array_index(s->blocks, b), BLOCK_BYTES, MADV_DONTNEED);
}

EventStore *event_store_new(void) {
  EventStore *s = g_new0(EventStore, 1);
  s->blocks = g_ptr_array_new();
  s->in_file = g_array_new(FALSE, FALSE, sizeof(gboolean));
  s->touched = NO_BLOCK;
  return s;
}

void event_store_free(EventStore *s) {
  if (!s)
    return;
  for (guint b = 0; b < s->blocks->len; b++)
    munmap(g_ptr_array_index(s->blocks, b), BLOCK_BYTES);
  g_ptr_array_free(s->blocks, TRUE);
  g_array_free(s->in_file, TRUE);
  g_free(s);
}

uint32_t event_store_len(const EventStore *s) {
  return s->len;
}

uint32_t event_store_append(EventStore *s, const EventRecord *e) {
  g_assert(s->len < UINT32_MAX);
  uint32_t b = s->len / EVENT_STORE_BLOCK;
  if (b == s->blocks->len) {
    if (b > 0 && s->touched != b - 1) { /* the old tail is done with */
      release(s, b - 1);
    }
    add_block(s);
  }
  ((EventRecord *)g_ptr_array_index(s->blocks, b))[s->len % EVENT_STORE_BLOCK] = *e;
  return s->len++;
}

EventRecord *event_store_at(EventStore *s, uint32_t i) {
  g_assert(i < s->len);
  uint32_t b = i / EVENT_STORE_BLOCK, tail = s->blocks->len - 1;
  if (b != tail && b != s->touched) {
    if (s->touched != tail)
      release(s, s->touched);
    s->touched = b;
  }
  return (EventRecord *)g_ptr_array_index(s->blocks, b) + i % EVENT_STORE_BLOCK;
}
