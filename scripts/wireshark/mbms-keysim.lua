-- mbms-keysim.lua — a Wireshark dissector for the messages of mbms-keysim
-- (nodes/msg.h, wire format version 1) in the pcap files of [trace] pcap.
--
--   wireshark -X lua_script:scripts/wireshark/mbms-keysim.lua results/x/radio-rnc0.pcap
--   tshark -X lua_script:scripts/wireshark/mbms-keysim.lua -r results/x/core.pcap -V
--   (or copy it into ~/.local/lib/wireshark/plugins/)
--
-- Registered for:
--   * link-layer type DLT_USER0 (147, Wireshark's encapsulation USER0): the
--     radio traces radio-rnc<r>.pcap. Each record is an 8-byte header of the
--     simulator (channel u8: 0 dedicated uplink, 1 dedicated downlink,
--     2 common; reserved u8; cell u16 LE within the RNC, 0xffff on a
--     dedicated channel; UE node u32 LE, 0xffffffff on a common channel),
--     then the encoded message.
--   * PPP protocol 0x0021 (the number ns-3's point-to-point device gives
--     every packet here): core.pcap and iu.pcap. A payload that does not
--     start with the message magic ('M' 'K', version 1) goes to Wireshark's
--     IPv4 dissector as before, so real PPP captures are not affected.
--
-- Message (all integers little-endian): header magic 'MK', version u8,
-- type u8, seq u32, body length u32; then by type
--   1-4 context messages: ue u32, cell u32, n_wraps u8, wraps
--   5   group key change: scope u32, n_wraps u8 (bit 7: an RNC list
--       follows the wraps), wraps, [n_rncs u16, rnc u32 x n_rncs]
--   6   RAB assignment: scope u32, n_wraps u8, wraps
--   7   key assignment: mode u8 (0 p2p, 1 p2m; bit 7: a pad follows the
--       wraps), ue u32, n_wraps u8, wraps, [pad u16, pad zero bytes]
--   8   data: key id u32, key version u32, packet u32, length u16,
--       nonce[24], ciphertext[length + 16]
-- wrap (88 bytes): key id u32, key version u32, under id u32,
--   under version u32, nonce[24], ciphertext[48].
-- A key id is kind (top 2 bits: 0 group, 1 sub-group or tree node,
-- 2 private, 3 core) and index (low 30 bits).

local p = Proto("mbmskeysim", "MBMS key management (mbms-keysim)")
local radio = Proto("mbmskeysim_radio", "mbms-keysim radio channel")

local types = {
  [1] = "Activate MBMS context request",
  [2] = "Activate MBMS context accept",
  [3] = "Deactivate MBMS context request",
  [4] = "Deactivate MBMS context accept",
  [5] = "MBMS group key change request",
  [6] = "RAB assignment request",
  [7] = "MBMS key assignment",
  [8] = "MBMS session data",
  [9] = "MBMS key request",
  [10] = "MBMS key recovery",
  [11] = "Cell update",
  [12] = "Cell update confirm",
  [13] = "SRNS relocation request",
  [14] = "SRNS relocation acknowledge",
  [15] = "MBMS key change request of a handover",
}
local modes = {[0] = "point-to-point", [1] = "point-to-multipoint"}
local channels = {[0] = "dedicated uplink", [1] = "dedicated downlink", [2] = "common"}
local kinds = {[0] = "group", [1] = "sub-group/node", [2] = "private", [3] = "core"}

local f = p.fields
f.magic = ProtoField.string("mbmskeysim.magic", "Magic")
f.version = ProtoField.uint8("mbmskeysim.version", "Version")
f.type = ProtoField.uint8("mbmskeysim.type", "Type", base.DEC, types)
f.seq = ProtoField.uint32("mbmskeysim.seq", "Sequence (event)")
f.body_len = ProtoField.uint32("mbmskeysim.body_len", "Body length")
f.ue = ProtoField.uint32("mbmskeysim.ue", "UE")
f.cell = ProtoField.uint32("mbmskeysim.cell", "Cell")
f.scope = ProtoField.uint32("mbmskeysim.scope", "Scope")
f.from_cell = ProtoField.uint32("mbmskeysim.from_cell", "From cell")
f.group_version = ProtoField.uint32("mbmskeysim.group_version", "Group key version held")
f.mode = ProtoField.uint8("mbmskeysim.mode", "Mode", base.DEC, modes, 0x7f)
f.padded = ProtoField.bool("mbmskeysim.padded", "Pad follows", 8, nil, 0x80)
f.pad = ProtoField.uint16("mbmskeysim.pad", "Pad (zero bytes)")
f.n_wraps = ProtoField.uint8("mbmskeysim.n_wraps", "Wraps", base.DEC, nil, 0x7f)
f.rnc_list = ProtoField.bool("mbmskeysim.rnc_list", "RNC list follows", 8, nil, 0x80)
f.n_rncs = ProtoField.uint16("mbmskeysim.n_rncs", "RNCs listed")
f.rnc = ProtoField.uint32("mbmskeysim.rnc", "RNC")
f.wrap = ProtoField.bytes("mbmskeysim.wrap", "Wrap")
f.key_id = ProtoField.uint32("mbmskeysim.key.id", "Key id", base.HEX)
f.key_kind = ProtoField.uint32("mbmskeysim.key.kind", "Key kind", base.DEC, kinds, 0xc0000000)
f.key_index = ProtoField.uint32("mbmskeysim.key.index", "Key index", base.DEC, nil, 0x3fffffff)
f.key_version = ProtoField.uint32("mbmskeysim.key.version", "Key version")
f.under_id = ProtoField.uint32("mbmskeysim.under.id", "Under key id", base.HEX)
f.under_kind = ProtoField.uint32("mbmskeysim.under.kind", "Under key kind", base.DEC, kinds,
  0xc0000000)
f.under_index = ProtoField.uint32("mbmskeysim.under.index", "Under key index", base.DEC, nil,
  0x3fffffff)
f.under_version = ProtoField.uint32("mbmskeysim.under.version", "Under key version")
f.nonce = ProtoField.bytes("mbmskeysim.nonce", "Nonce")
f.ct = ProtoField.bytes("mbmskeysim.ct", "Ciphertext")
f.packet = ProtoField.uint32("mbmskeysim.data.packet", "Packet number")
f.data_len = ProtoField.uint16("mbmskeysim.data.len", "Payload length")

local rf = radio.fields
rf.channel = ProtoField.uint8("mbmskeysim_radio.channel", "Channel", base.DEC, channels)
rf.reserved = ProtoField.uint8("mbmskeysim_radio.reserved", "Reserved")
rf.cell = ProtoField.uint16("mbmskeysim_radio.cell", "Cell (within the RNC)")
rf.ue_node = ProtoField.uint32("mbmskeysim_radio.ue_node", "UE node")

local e_malformed = ProtoExpert.new("mbmskeysim.malformed", "Malformed mbms-keysim message",
  expert.group.MALFORMED, expert.severity.ERROR)
p.experts = {e_malformed}

local HEADER = 12
local WRAP = 88

local function wraps(buf, tree, off, n)
  for i = 1, n do
    if buf:len() < off + WRAP then
      tree:add_proto_expert_info(e_malformed, "truncated wraps")
      return off
    end
    local w = tree:add(f.wrap, buf(off, WRAP))
    w:set_text(string.format("Wrap %d: key %08x v%d under %08x v%d", i, buf(off, 4):le_uint(),
      buf(off + 4, 4):le_uint(), buf(off + 8, 4):le_uint(), buf(off + 12, 4):le_uint()))
    w:add_le(f.key_id, buf(off, 4))
    w:add_le(f.key_kind, buf(off, 4))
    w:add_le(f.key_index, buf(off, 4))
    w:add_le(f.key_version, buf(off + 4, 4))
    w:add_le(f.under_id, buf(off + 8, 4))
    w:add_le(f.under_kind, buf(off + 8, 4))
    w:add_le(f.under_index, buf(off + 8, 4))
    w:add_le(f.under_version, buf(off + 12, 4))
    w:add(f.nonce, buf(off + 16, 24))
    w:add(f.ct, buf(off + 40, 48))
    off = off + WRAP
  end
  return off
end

-- Whether buf starts like a message of ours.
local function ours(buf)
  return buf:len() >= HEADER and buf(0, 2):string() == "MK" and buf(2, 1):uint() == 1
end

-- Dissects one message (all of buf); returns the bytes consumed.
local function dissect_msg(buf, pinfo, root)
  local tree = root:add(p, buf())
  if not ours(buf) then
    tree:add_proto_expert_info(e_malformed, "not an mbms-keysim message (magic/version)")
    return buf:len()
  end
  local t = buf(3, 1):uint()
  tree:add(f.magic, buf(0, 2))
  tree:add(f.version, buf(2, 1))
  tree:add(f.type, buf(3, 1))
  tree:add_le(f.seq, buf(4, 4))
  tree:add_le(f.body_len, buf(8, 4))
  local name = types[t] or "unknown type"
  pinfo.cols.protocol = "MBMS-KEYSIM"
  local info = name
  local off = HEADER
  local padded = false
  local need = {[1] = 9, [2] = 9, [3] = 9, [4] = 9, [5] = 5, [6] = 5, [7] = 6, [8] = 38,
                [9] = 9, [10] = 6, [11] = 17, [12] = 17, [13] = 17, [14] = 17,
                [15] = 17}
  if not need[t] or buf:len() < HEADER + need[t] then
    tree:add_proto_expert_info(e_malformed, "unknown type or short body")
    pinfo.cols.info = info
    return buf:len()
  end
  if t <= 4 or t == 9 then -- the context layout (the key request too)
    tree:add_le(f.ue, buf(off, 4))
    tree:add_le(f.cell, buf(off + 4, 4))
    info = string.format("%s, ue %d, cell %d", name, buf(off, 4):le_uint(), buf(off + 4, 4):le_uint())
    off = off + 8
  elseif t >= 11 and t <= 15 then -- the handover layout
    tree:add_le(f.ue, buf(off, 4))
    tree:add_le(f.cell, buf(off + 4, 4))
    tree:add_le(f.from_cell, buf(off + 8, 4))
    tree:add_le(f.group_version, buf(off + 12, 4))
    info = string.format("%s, ue %d, cell %d from %d", name, buf(off, 4):le_uint(),
                         buf(off + 4, 4):le_uint(), buf(off + 8, 4):le_uint())
    off = off + 16
  elseif t <= 6 then
    tree:add_le(f.scope, buf(off, 4))
    info = string.format("%s, scope %d", name, buf(off, 4):le_uint())
    off = off + 4
  elseif t == 7 or t == 10 then -- the key assignment layout (the key recovery too)
    local mode = buf(off, 1):uint()
    padded = t == 7 and mode >= 128
    if padded then
      mode = mode - 128
      tree:add(f.padded, buf(off, 1))
    end
    tree:add(f.mode, buf(off, 1))
    tree:add_le(f.ue, buf(off + 1, 4))
    if mode == 0 then
      info = string.format("%s, p2p to ue %d", name, buf(off + 1, 4):le_uint())
    else
      info = name .. ", p2m"
    end
    off = off + 5
  else
    tree:add_le(f.key_id, buf(off, 4))
    tree:add_le(f.key_kind, buf(off, 4))
    tree:add_le(f.key_index, buf(off, 4))
    tree:add_le(f.key_version, buf(off + 4, 4))
    tree:add_le(f.packet, buf(off + 8, 4))
    tree:add_le(f.data_len, buf(off + 12, 2))
    tree:add(f.nonce, buf(off + 14, 24))
    local n = buf(off + 12, 2):le_uint()
    off = off + 38
    if buf:len() < off + n + 16 then
      tree:add_proto_expert_info(e_malformed, "truncated ciphertext")
      pinfo.cols.info = name
      return buf:len()
    end
    tree:add(f.ct, buf(off, n + 16))
    pinfo.cols.info = string.format("%s, packet %d, %d bytes", name, buf(HEADER + 8, 4):le_uint(), n)
    return off + n + 16
  end
  local n = buf(off, 1):uint()
  local listed = t == 5 and n >= 128
  if listed then
    n = n - 128
  end
  tree:add(f.n_wraps, buf(off, 1))
  if t == 5 then
    tree:add(f.rnc_list, buf(off, 1))
  end
  off = wraps(buf, tree, off + 1, n)
  if padded then
    if buf:len() < off + 2 or buf:len() < off + 2 + buf(off, 2):le_uint() then
      tree:add_proto_expert_info(e_malformed, "truncated pad")
    else
      local k = buf(off, 2):le_uint()
      tree:add_le(f.pad, buf(off, 2))
      off = off + 2 + k
      info = string.format("%s, %d bytes in all", info, off)
    end
  end
  if listed then
    if buf:len() < off + 2 then
      tree:add_proto_expert_info(e_malformed, "truncated RNC list")
    else
      local k = buf(off, 2):le_uint()
      tree:add_le(f.n_rncs, buf(off, 2))
      off = off + 2
      for i = 1, k do
        if buf:len() < off + 4 then
          tree:add_proto_expert_info(e_malformed, "truncated RNC list")
          break
        end
        tree:add_le(f.rnc, buf(off, 4))
        off = off + 4
      end
      info = string.format("%s, for %d RNC%s", info, k, k == 1 and "" or "s")
    end
  end
  if off ~= HEADER + buf(8, 4):le_uint() or off ~= buf:len() then
    tree:add_proto_expert_info(e_malformed, "body length does not match the bytes")
  end
  pinfo.cols.info = string.format("%s, %d wrap%s", info, n, n == 1 and "" or "s")
  return off
end

function p.dissector(buf, pinfo, root)
  return dissect_msg(buf, pinfo, root)
end

function radio.dissector(buf, pinfo, root)
  if buf:len() < 8 then
    return 0
  end
  local tree = root:add(radio, buf(0, 8))
  tree:add(rf.channel, buf(0, 1))
  tree:add(rf.reserved, buf(1, 1))
  tree:add_le(rf.cell, buf(2, 2))
  tree:add_le(rf.ue_node, buf(4, 4))
  dissect_msg(buf(8):tvb(), pinfo, root)
  return buf:len()
end

DissectorTable.get("wtap_encap"):add(wtap_encaps and wtap_encaps.USER0 or wtap.USER0, radio)

-- PPP protocol 0x0021: ours when the magic says so, else IPv4 as before.
local ppp = DissectorTable.get("ppp.protocol")
local ipv4 = ppp:get_dissector(0x0021)
local over_ppp = Proto("mbmskeysim_ppp", "mbms-keysim over PPP")
function over_ppp.dissector(buf, pinfo, root)
  if ours(buf) then
    return dissect_msg(buf, pinfo, root)
  end
  if ipv4 then
    return ipv4:call(buf, pinfo, root)
  end
  return 0
end
ppp:add(0x0021, over_ppp)
