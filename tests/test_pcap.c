/* test_pcap.c — [trace] pcap: the files of the worked example and the
 * Wireshark dissector (scripts/wireshark/mbms-keysim.lua) run by tshark.
 *
 * tshark is required: without it these tests fail, unless MBMS_NO_TSHARK=1
 * says it is deliberately absent (then they are skipped, saying so). The
 * expected counts are those of the worked example derived by hand in
 * tests/test_integration.c (join: 1 p2p; leave: 3 p2p, 8 p2m on 8 cells,
 * group key change to 1 GGSN + 2 SGSNs, RAB assignment to 4 RNCs), and they
 * must also equal the sums of rekeys.csv. The golden message is the one of
 * tests/test_msg.c, its fields written out by hand. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nodes/msg.h"
#include "sim/sim.h"

#include "test_files.h"

static const char *srcdir(void) {
  const char *s = g_getenv("MBMS_SRCDIR");
  g_assert_nonnull(s);
  return s;
}

/* The tshark to use, or NULL when the test must be skipped (it fails when
 * tshark is missing and MBMS_NO_TSHARK is not 1). */
static char *need_tshark(void) {
  char *t = g_find_program_in_path("tshark");
  if (t)
    return t;
  if (g_strcmp0(g_getenv("MBMS_NO_TSHARK"), "1") == 0) {
    g_test_skip("tshark deliberately absent (MBMS_NO_TSHARK=1)");
    return NULL;
  }
  g_test_message("tshark not found: install Debian's tshark package (scripts/setup does), "
                 "or set MBMS_NO_TSHARK=1 to skip on purpose");
  g_test_fail();
  return NULL;
}

/* tshark's -T fields output for `fields` (NULL-terminated) of every
 * message of `pcap`, one line per frame, fields separated by '|'. */
static char **tshark_fields(const char *tshark, const char *pcap, const char *const *fields) {
  g_autofree char *lua =
      g_build_filename(srcdir(), "scripts", "wireshark", "mbms-keysim.lua", NULL);
  g_autofree char *x = g_strconcat("lua_script:", lua, NULL);
  GPtrArray *argv = g_ptr_array_new();
  const char *head[] = {tshark, "-n", "-X", x, "-r", pcap, "-T", "fields", "-E", "separator=|"};
  for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
    g_ptr_array_add(argv, (char *)head[i]);
  for (const char *const *f = fields; *f; f++) {
    g_ptr_array_add(argv, "-e");
    g_ptr_array_add(argv, (char *)*f);
  }
  g_ptr_array_add(argv, NULL);
  char *out = NULL, *err = NULL;
  int rc = run_cli((const char *const *)argv->pdata, &out, &err);
  if (rc != 0 || strstr(err, "Lua: Error") || strstr(err, "lua_script"))
    g_test_message("tshark said: %s", err);
  g_assert_cmpint(rc, ==, 0);
  g_assert_null(strstr(err, "Lua: Error"));
  g_ptr_array_free(argv, TRUE);
  g_strchomp(out);
  char **lines = *out ? g_strsplit(out, "\n", -1) : g_new0(char *, 1);
  g_free(out);
  g_free(err);
  return lines;
}

/* ---------------------------------------------------------- reading pcap */

/* A little-endian u32 at any alignment. */
static guint32 le32(const guint8 *p) {
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* The records of a classic (microsecond, little-endian) pcap file; checks
 * the global header and the link-layer type. */
static GPtrArray *pcap_records(const char *path, uint32_t want_dlt) {
  gchar *data = NULL;
  gsize len = 0;
  GError *error = NULL;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  g_assert_no_error(error);
  const guint8 *p = (const guint8 *)data;
  g_assert_cmpuint(len, >=, 24);
  g_assert_cmpuint(le32(p), ==, 0xa1b2c3d4);
  g_assert_cmpuint(le32(p + 20), ==, want_dlt);
  GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  gsize off = 24;
  while (off < len) {
    g_assert_cmpuint(len - off, >=, 16);
    guint32 incl = le32(p + off + 8);
    guint32 orig = le32(p + off + 12);
    g_assert_cmpuint(incl, ==, orig); /* nothing cut by the snap length */
    g_assert_cmpuint(len - off - 16, >=, incl);
    g_ptr_array_add(recs, g_bytes_new(p + off + 16, incl));
    off += 16 + incl;
  }
  g_free(data);
  return recs;
}

typedef struct {
  guint p2p_dch, p2m_common, other_ka, gkc, rab, bad;
} Tally;

/* Decodes every record's payload with the codec (the payload is exactly an
 * encoded message) and counts the key assignments by channel. */
static void tally_records(GPtrArray *recs, size_t skip, Tally *t) {
  for (guint i = 0; i < recs->len; i++) {
    gsize n;
    const guint8 *b = g_bytes_get_data(g_ptr_array_index(recs, i), &n);
    g_assert_cmpuint(n, >=, skip);
    Msg m;
    KtData d;
    const char *why = NULL;
    if (msg_is_data(b + skip, n - skip)) {
      if (!msg_decode_data(&d, b + skip, n - skip, &why))
        t->bad++;
      continue;
    }
    if (!msg_decode(&m, b + skip, n - skip, &why)) {
      t->bad++;
      continue;
    }
    if (m.type == MSG_GROUP_KEY_CHANGE_REQ)
      t->gkc++;
    if (m.type == MSG_RAB_ASSIGNMENT_REQ)
      t->rab++;
    if (m.type != MSG_KEY_ASSIGNMENT)
      continue;
    if (skip == 0) {
      t->other_ka++; /* no key assignment crosses a core or Iu link */
    } else if (b[0] == SIM_PCAP_DCH_DOWN && m.mode == MSG_P2P && m.ue != MSG_NO_UE) {
      t->p2p_dch++;
    } else if (b[0] == SIM_PCAP_COMMON && m.mode == MSG_P2M) {
      t->p2m_common++;
      g_assert_cmpuint(b[2] | b[3] << 8, <, 2); /* cells per RNC: 2 */
    } else {
      t->other_ka++;
    }
  }
}

/* Sums of rekeys.csv's columns p2p_msgs (7th), p2m_tx (9th), core_msgs (10th). */
static void rekeys_sums(const char *dir, guint *p2p, guint *p2m_tx, guint *core) {
  g_autofree char *path = g_build_filename(dir, "rekeys.csv", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_assert_cmpstr(lines[0], ==,
                  "time_s,event,ue,rnc,cell,subgroup,p2p_msgs,p2m_msgs,p2m_tx,core_msgs,bytes,"
                  "latency_s");
  *p2p = *p2m_tx = *core = 0;
  for (guint i = 1; lines[i] && *lines[i]; i++) {
    g_auto(GStrv) c = g_strsplit(lines[i], ",", -1);
    g_assert_cmpuint(g_strv_length(c), ==, 12);
    *p2p += (guint)g_ascii_strtoull(c[6], NULL, 10);
    *p2m_tx += (guint)g_ascii_strtoull(c[8], NULL, 10);
    *core += (guint)g_ascii_strtoull(c[9], NULL, 10);
  }
}

/* Key assignments per channel class in tshark's reading of a radio file. */
static void tshark_radio_tally(const char *tshark, const char *pcap, guint *p2p, guint *p2m,
                               guint *frames) {
  const char *fields[] = {"mbmskeysim_radio.channel", "mbmskeysim.type", "mbmskeysim.mode", NULL};
  g_auto(GStrv) lines = tshark_fields(tshark, pcap, fields);
  for (guint i = 0; lines[i]; i++) {
    g_auto(GStrv) c = g_strsplit(lines[i], "|", -1);
    g_assert_cmpuint(g_strv_length(c), ==, 3);
    g_assert_cmpstr(c[1], !=, ""); /* every frame dissected as one of ours */
    if (strcmp(c[1], "7") != 0)
      continue;
    if (strcmp(c[0], "1") == 0 && strcmp(c[2], "0") == 0)
      (*p2p)++;
    else if (strcmp(c[0], "2") == 0 && strcmp(c[2], "1") == 0)
      (*p2m)++;
    else
      g_assert_not_reached();
  }
  *frames += g_strv_length(lines);
}

static void test_worked_example(void) {
  g_autofree char *tshark = need_tshark();
  if (!tshark)
    return;
  g_autofree char *tmp = g_dir_make_tmp("mbms-pcap-XXXXXX", NULL);
  g_autofree char *out = g_build_filename(tmp, "we", NULL);
  g_autofree char *ini =
      g_build_filename(srcdir(), "scenarios", "examples", "worked_example.ini", NULL);
  const char *argv[] = {
      g_getenv("MBMS_SIM"), "-q", "--set", "trace.pcap=true", "-o", out, ini, NULL};
  /* what a traced run killed before its end leaves beside the results: its
   * trace folder, named and cleaned up as report.c's temporary folders */
  g_autofree char *left = g_strconcat(out, ".tmp-Ab12Cd", NULL);
  g_autofree char *left_pcap = g_build_filename(left, "radio-rnc3.pcap", NULL);
  g_assert_cmpint(g_mkdir_with_parents(left, 0755), ==, 0);
  g_assert_true(g_file_set_contents(left_pcap, "x", 1, NULL));
  char *so = NULL, *se = NULL;
  g_assert_cmpint(run_cli(argv, &so, &se), ==, 0);
  g_free(so);
  g_free(se);
  g_assert_false(g_file_test(left, G_FILE_TEST_EXISTS));
  /* and nothing of this run's own trace folder is left */
  GDir *td = g_dir_open(tmp, 0, NULL);
  const char *tn;
  while ((tn = g_dir_read_name(td)))
    g_assert_cmpstr(tn, ==, "we");
  g_dir_close(td);

  guint csv_p2p, csv_p2m_tx, csv_core;
  rekeys_sums(out, &csv_p2p, &csv_p2m_tx, &csv_core);
  /* the rules (tests/test_integration.c): 1 + 3 p2p, 8 p2m transmissions,
   * 1 + 2 group key change requests and 4 RAB assignment requests */
  g_assert_cmpuint(csv_p2p, ==, 4);
  g_assert_cmpuint(csv_p2m_tx, ==, 8);
  g_assert_cmpuint(csv_core, ==, 7);

  /* the codec's reading of the files */
  Tally t = {0};
  guint ts_p2p = 0, ts_p2m = 0, ts_frames = 0, records = 0;
  for (guint r = 0; r < 4; r++) {
    g_autofree char *name = g_strdup_printf("radio-rnc%u.pcap", r);
    g_autofree char *path = g_build_filename(out, name, NULL);
    GPtrArray *recs = pcap_records(path, SIM_PCAP_DLT_RADIO);
    Tally one = {0};
    tally_records(recs, SIM_PCAP_RADIO_HEADER_BYTES, &one);
    /* the leaver's RNC 0 sends every p2p; each RNC one p2m per cell */
    g_assert_cmpuint(one.p2p_dch, ==, r == 0 ? 4 : 0);
    g_assert_cmpuint(one.p2m_common, ==, 2);
    t.p2p_dch += one.p2p_dch;
    t.p2m_common += one.p2m_common;
    t.other_ka += one.other_ka;
    t.bad += one.bad;
    records += recs->len;
    g_ptr_array_unref(recs);
    tshark_radio_tally(tshark, path, &ts_p2p, &ts_p2m, &ts_frames);
  }
  g_assert_cmpuint(t.bad, ==, 0);
  g_assert_cmpuint(t.other_ka, ==, 0);
  g_assert_cmpuint(t.p2p_dch, ==, csv_p2p);
  g_assert_cmpuint(t.p2m_common, ==, csv_p2m_tx);
  g_assert_cmpuint(ts_p2p, ==, csv_p2p);
  g_assert_cmpuint(ts_p2m, ==, csv_p2m_tx);
  g_assert_cmpuint(ts_frames, ==, records);

  /* core and Iu: DLT_PPP, a 2-byte PPP header (0xff03 would be HDLC
   * framing; ns-3 writes the protocol only: 0x0021), then the message */
  const char *links[] = {"core.pcap", "iu.pcap"};
  guint gkc = 0, rab = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(links); i++) {
    g_autofree char *path = g_build_filename(out, links[i], NULL);
    GPtrArray *recs = pcap_records(path, 9);
    GPtrArray *payloads = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    for (guint k = 0; k < recs->len; k++) {
      GBytes *b = g_ptr_array_index(recs, k);
      gsize n;
      const guint8 *d = g_bytes_get_data(b, &n);
      g_assert_cmpuint(n, >, SIM_LINK_OVERHEAD_BYTES);
      g_assert_cmpuint(d[0] << 8 | d[1], ==, 0x0021);
      g_ptr_array_add(payloads, g_bytes_new_from_bytes(b, 2, n - 2));
    }
    Tally one = {0};
    tally_records(payloads, 0, &one);
    g_assert_cmpuint(one.bad, ==, 0);
    g_assert_cmpuint(one.other_ka, ==, 0);
    gkc += one.gkc;
    rab += one.rab;
    /* tshark sees the same types */
    const char *fields[] = {"mbmskeysim.type", NULL};
    g_auto(GStrv) lines = tshark_fields(tshark, path, fields);
    g_assert_cmpuint(g_strv_length(lines), ==, recs->len);
    guint ts_core = 0;
    for (guint k = 0; lines[k]; k++)
      ts_core += strcmp(lines[k], "5") == 0 || strcmp(lines[k], "6") == 0;
    g_assert_cmpuint(ts_core, ==, one.gkc + one.rab);
    g_ptr_array_unref(payloads);
    g_ptr_array_unref(recs);
  }
  g_assert_cmpuint(gkc, ==, 1 + 2);
  g_assert_cmpuint(rab, ==, 4);
  g_assert_cmpuint(gkc + rab, ==, csv_core);

  /* without [trace] pcap, no trace file */
  const char *argv2[] = {g_getenv("MBMS_SIM"), "-q", "-o", out, ini, NULL};
  g_assert_cmpint(run_cli(argv2, &so, &se), ==, 0);
  g_free(so);
  g_free(se);
  g_autofree char *core = g_build_filename(out, "core.pcap", NULL);
  g_assert_false(g_file_test(core, G_FILE_TEST_EXISTS));
  rm_rf(tmp);
}

/* ------------------------------------------------------------ golden */

static size_t hex_decode(const char *hex, guint8 *out, size_t cap) {
  size_t n = 0;
  for (const char *p = hex; *p;) {
    if (*p == ' ') {
      p++;
      continue;
    }
    g_assert_cmpuint(n, <, cap);
    out[n++] = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
    p += 2;
  }
  return n;
}

#define X24(s) s s s s s s s s s s s s s s s s s s s s s s s s
#define X48(s) X24(s) X24(s)
#define SEQ_NONCE "000102030405060708090a0b0c0d0e0f1011121314151617"
#define SEQ_CT                                                                                     \
  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"                               \
  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

/* tests/test_msg.c's golden point-to-multipoint key assignment: seq 12, two
 * wraps of group key 0 version 4 under sub-group keys 7 v2 and 8 v1. */
static const char golden_p2m[] = "4d4b0107 0c000000 b6000000"
                                 "01 ffffffff 02"
                                 "00000000 04000000 07000040 02000000" SEQ_NONCE SEQ_CT
                                 "00000000 04000000 08000040 01000000" X24("11") X48("ee");
/* and its point-to-point one: seq 11, ue 0x12345, sub-group key 7 v1 under
 * UE 0x12345's private key (0x80012345) v1. */
static const char golden_p2p[] = "4d4b0107 0b000000 5e000000"
                                 "00 45230100 01"
                                 "07000040 01000000 45230180 01000000" SEQ_NONCE SEQ_CT;

/* tests/test_msg.c's golden group key change request with an RNC list:
 * seq 9, scope 0, group key 0 v3 under core key 0 v1, then RNCs 2 and
 * 0x01020304 (the wrap count byte 0x81: one wrap, a list follows). */
static const char golden_gkc[] =
    "4d4b0105 09000000 67000000"
    "00000000 81"
    "00000000 03000000 000000c0 01000000" SEQ_NONCE SEQ_CT "0200 02000000 04030201";

/* The request with its list over a traced point-to-point link, as the
 * dissector shows it over PPP. */
static void test_golden_rnc_list(void) {
  g_autofree char *tshark = need_tshark();
  if (!tshark)
    return;
  guint8 gkc[MSG_MAX_BYTES];
  size_t n_gkc = hex_decode(golden_gkc, gkc, sizeof gkc);
  g_assert_cmpuint(n_gkc, ==, 12 + 0x67);
  Msg m;
  const char *why = NULL;
  g_assert_true(msg_decode(&m, gkc, n_gkc, &why)); /* the codec agrees */
  g_assert_cmpuint(m.n_rncs, ==, 2);

  g_autofree char *tmp = g_dir_make_tmp("mbms-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(tmp, "core.pcap", NULL);
  sim_init();
  SimNodeId a = sim_node_new(), b = sim_node_new();
  SimLinkId link = sim_link_new(a, b, &(SimChannel){1e9, 0.005});
  g_assert_true(sim_pcap_link(link, path));
  sim_link_send(link, a, gkc, n_gkc);
  sim_run(0);
  g_assert_true(sim_pcap_close());
  sim_destroy();

  const char *fields[] = {
      "mbmskeysim.type",   "mbmskeysim.body_len", "mbmskeysim.n_wraps", "mbmskeysim.rnc_list",
      "mbmskeysim.n_rncs", "mbmskeysim.rnc",      "mbmskeysim.key.id",  NULL};
  g_auto(GStrv) lines = tshark_fields(tshark, path, fields);
  g_assert_cmpuint(g_strv_length(lines), ==, 1);
  /* tshark prints a set bit of a bool field as 1 or True, by version */
  g_auto(GStrv) c = g_strsplit(lines[0], "|", -1);
  g_assert_cmpuint(g_strv_length(c), ==, 7);
  g_assert_cmpstr(c[0], ==, "5");
  g_assert_cmpstr(c[1], ==, "103");
  g_assert_cmpstr(c[2], ==, "1");
  g_assert_true(strcmp(c[3], "1") == 0 || strcmp(c[3], "True") == 0);
  g_assert_cmpstr(c[4], ==, "2");
  g_assert_cmpstr(c[5], ==, "2,16909060");
  g_assert_cmpstr(c[6], ==, "0x00000000");
  rm_rf(tmp);
}

static void test_golden(void) {
  g_autofree char *tshark = need_tshark();
  if (!tshark)
    return;
  guint8 p2m[MSG_MAX_BYTES], p2p[MSG_MAX_BYTES];
  size_t n_p2m = hex_decode(golden_p2m, p2m, sizeof p2m);
  size_t n_p2p = hex_decode(golden_p2p, p2p, sizeof p2p);
  g_assert_cmpuint(n_p2m, ==, 12 + 0xb6);
  g_assert_cmpuint(n_p2p, ==, 12 + 0x5e);

  g_autofree char *tmp = g_dir_make_tmp("mbms-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(tmp, "radio.pcap", NULL);
  sim_init();
  SimNodeId rnc = sim_node_new(), ue = sim_node_new();
  SimRanId ran = sim_ran_new(rnc, 3, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.02});
  sim_ran_attach(ran, ue);
  g_assert_true(sim_pcap_ran(ran, path));
  sim_common_send(ran, 2, p2m, n_p2m);
  sim_dch_down(ran, ue, p2p, n_p2p);
  sim_run(0);
  g_assert_true(sim_pcap_close());
  sim_destroy();

  /* the file holds the header of sim.h, then exactly the golden bytes */
  GPtrArray *recs = pcap_records(path, 147);
  g_assert_cmpuint(recs->len, ==, 2);
  gsize n;
  const guint8 *r0 = g_bytes_get_data(g_ptr_array_index(recs, 0), &n);
  const guint8 hdr0[] = {2, 0, 2, 0, 0xff, 0xff, 0xff, 0xff};
  g_assert_cmpmem(r0, 8, hdr0, 8);
  g_assert_cmpmem(r0 + 8, n - 8, p2m, n_p2m);
  const guint8 *r1 = g_bytes_get_data(g_ptr_array_index(recs, 1), &n);
  const guint8 hdr1[] = {1, 0, 0xff, 0xff, (guint8)ue, 0, 0, 0};
  g_assert_cmpmem(r1, 8, hdr1, 8);
  g_assert_cmpmem(r1 + 8, n - 8, p2p, n_p2p);
  g_ptr_array_unref(recs);

  /* every field as the dissector shows it, against the golden bytes read
   * by hand */
  const char *fields[] = {"mbmskeysim_radio.channel",
                          "mbmskeysim_radio.cell",
                          "mbmskeysim_radio.ue_node",
                          "mbmskeysim.magic",
                          "mbmskeysim.version",
                          "mbmskeysim.type",
                          "mbmskeysim.seq",
                          "mbmskeysim.body_len",
                          "mbmskeysim.mode",
                          "mbmskeysim.ue",
                          "mbmskeysim.n_wraps",
                          "mbmskeysim.key.id",
                          "mbmskeysim.key.kind",
                          "mbmskeysim.key.index",
                          "mbmskeysim.key.version",
                          "mbmskeysim.under.id",
                          "mbmskeysim.under.kind",
                          "mbmskeysim.under.index",
                          "mbmskeysim.under.version",
                          "mbmskeysim.nonce",
                          "mbmskeysim.ct",
                          NULL};
  g_auto(GStrv) lines = tshark_fields(tshark, path, fields);
  g_assert_cmpuint(g_strv_length(lines), ==, 2);
  g_autofree char *want_p2m = g_strconcat(
      "2|2|4294967295|MK|1|7|12|182|1|4294967295|2|0x00000000,0x00000000|0,0|0,0|4,4|"
      "0x40000007,0x40000008|1,1|7,8|2,1|" SEQ_NONCE "," X24("11") "|" SEQ_CT "," X48("ee"),
      NULL);
  g_assert_cmpstr(lines[0], ==, want_p2m);
  g_autofree char *want_p2p = g_strdup_printf("1|65535|%u|MK|1|7|11|94|0|74565|1|0x40000007|1|7|1|"
                                              "0x80012345|2|74565|1|" SEQ_NONCE "|" SEQ_CT,
                                              ue);
  g_assert_cmpstr(lines[1], ==, want_p2p);
  rm_rf(tmp);
}

/* tests/test_msg.c's golden key request (no event, ue 0x12345, cell 3) up
 * and key recovery (seq 11, the point-to-point wrap above) down a
 * dedicated channel: the dissector shows their types and fields. */
static const char golden_request[] = "4d4b0109 ffffffff 09000000"
                                     "45230100 03000000 00";
static const char golden_recovery[] = "4d4b010a 0b000000 5e000000"
                                      "00 45230100 01"
                                      "07000040 01000000 45230180 01000000" SEQ_NONCE SEQ_CT;

static void test_golden_recovery(void) {
  g_autofree char *tshark = need_tshark();
  if (!tshark)
    return;
  guint8 req[MSG_MAX_BYTES], rec[MSG_MAX_BYTES];
  size_t n_req = hex_decode(golden_request, req, sizeof req);
  size_t n_rec = hex_decode(golden_recovery, rec, sizeof rec);
  g_autofree char *tmp = g_dir_make_tmp("mbms-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(tmp, "radio.pcap", NULL);
  sim_init();
  SimNodeId rnc = sim_node_new(), ue = sim_node_new();
  SimRanId ran = sim_ran_new(rnc, 1, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.02});
  sim_ran_attach(ran, ue);
  g_assert_true(sim_pcap_ran(ran, path));
  sim_dch_up(ran, ue, req, n_req);
  sim_dch_down(ran, ue, rec, n_rec);
  sim_run(0);
  g_assert_true(sim_pcap_close());
  sim_destroy();
  const char *fields[] = {"mbmskeysim_radio.channel",
                          "mbmskeysim.type",
                          "mbmskeysim.seq",
                          "mbmskeysim.ue",
                          "mbmskeysim.cell",
                          "mbmskeysim.mode",
                          "mbmskeysim.n_wraps",
                          "mbmskeysim.key.id",
                          NULL};
  g_auto(GStrv) lines = tshark_fields(tshark, path, fields);
  g_assert_cmpuint(g_strv_length(lines), ==, 2);
  g_assert_cmpstr(lines[0], ==, "0|9|4294967295|74565|3||0|");
  g_assert_cmpstr(lines[1], ==, "1|10|11|74565||0|1|0x40000007");
  rm_rf(tmp);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pcap/golden-recovery", test_golden_recovery);
  g_test_add_func("/pcap/worked-example", test_worked_example);
  g_test_add_func("/pcap/golden", test_golden);
  g_test_add_func("/pcap/golden-rnc-list", test_golden_rnc_list);
  return g_test_run();
}
