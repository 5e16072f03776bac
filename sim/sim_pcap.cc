/* sim_pcap.cc — pcap trace files: ns-3's own PcapFileWrapper, one per path.
 *
 * Links and RANs that are traced into the same path share one file (opened
 * on first use, written in simulated-time order because records are written
 * as the simulation reaches them). Timestamps are simulated time, in the
 * microseconds of classic pcap. Files are closed by sim_pcap_close() or,
 * at the latest, by sim_destroy().
 */
#include "sim/sim_internal.h"

#include <ns3/pcap-file-wrapper.h>

#include <map>
#include <string>

using namespace ns3;

namespace {

struct TraceFile {
  Ptr<PcapFileWrapper> file;
  uint32_t dlt;
};

std::map<std::string, TraceFile> g_files;

} // namespace

namespace simint {

Ptr<PcapFileWrapper> pcap_file(const char *path, uint32_t dlt) {
  SIM_CHECK(path != nullptr && *path, "empty pcap path");
  auto it = g_files.find(path);
  if (it != g_files.end()) {
    SIM_CHECK(it->second.dlt == dlt, "pcap file %s traced with link types %u and %u", path,
              it->second.dlt, dlt);
    return it->second.file;
  }
  Ptr<PcapFileWrapper> f = CreateObject<PcapFileWrapper>();
  f->Open(path, std::ios::out | std::ios::binary);
  if (f->Fail())
    return nullptr;
  f->Init(dlt, kPcapSnapLen, 0);
  if (f->Fail())
    return nullptr;
  g_files[path] = TraceFile{f, dlt};
  return f;
}

void pcap_reset() {
  for (auto &kv : g_files)
    kv.second.file->Close();
  g_files.clear();
}

} // namespace simint

extern "C" {

bool sim_pcap_close(void) {
  bool ok = true;
  for (auto &kv : g_files) {
    kv.second.file->Close(); /* flushes: a full disk shows here */
    if (kv.second.file->Fail())
      ok = false;
  }
  g_files.clear();
  return ok;
}

} // extern "C"
