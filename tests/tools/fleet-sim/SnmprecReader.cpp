#include "SnmprecReader.h"

#include <charconv>
#include <fstream>
#include <memory>

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>

namespace fleetsim {

std::vector<uint32_t> parseOid(std::string_view text) {
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
  }
  std::vector<uint32_t> oid;
  while (!text.empty()) {
    uint32_t arc = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), arc);
    if (ec != std::errc() || end == text.data()) {
      throw Poco::InvalidArgumentException("bad OID", std::string(text));
    }
    oid.push_back(arc);
    text.remove_prefix(end - text.data());
    if (!text.empty()) {
      if (text.front() != '.' || text.size() == 1) {
        throw Poco::InvalidArgumentException("bad OID", std::string(text));
      }
      text.remove_prefix(1);
    }
  }
  if (oid.size() < 2) {
    throw Poco::InvalidArgumentException("OID needs at least two arcs");
  }
  return oid;
}

bool parseSnmprecLine(std::string_view line, const std::string& file, int lineNo,
                      SnmprecRecord& out) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  if (line.empty() || line.front() == '#') {
    return false;
  }
  auto fail = [&](const std::string& why) {
    throw Poco::DataFormatException(file + ":" + std::to_string(lineNo) + ": " + why);
  };
  size_t bar1 = line.find('|');
  size_t bar2 = bar1 == std::string_view::npos ? bar1 : line.find('|', bar1 + 1);
  if (bar2 == std::string_view::npos) {
    fail("broken record (want OID|TAG|VALUE)");
  }
  try {
    out.oid = parseOid(line.substr(0, bar1));
  } catch (const Poco::Exception& e) {
    fail(e.displayText());
  }
  std::string_view tag = line.substr(bar1 + 1, bar2 - bar1 - 1);
  out.module.clear();
  if (size_t colon = tag.find(':'); colon != std::string_view::npos) {
    out.module = std::string(tag.substr(colon + 1));
    tag = tag.substr(0, colon);
  }
  out.encoding = 0;
  if (!tag.empty() && (tag.back() == 'x' || tag.back() == 'e')) {
    out.encoding = tag.back();
    tag.remove_suffix(1);
  }
  auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), out.tag);
  if (ec != std::errc() || end != tag.data() + tag.size()) {
    fail("bad tag '" + std::string(tag) + "'");
  }
  out.value = std::string(line.substr(bar2 + 1));
  out.line = lineNo;
  return true;
}

std::vector<SnmprecRecord> readSnmprecFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw Poco::FileException("cannot open recording", path);
  }
  std::unique_ptr<std::istream> inflater;
  std::istream* in = &file;
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    inflater =
        std::make_unique<Poco::InflatingInputStream>(file, Poco::InflatingStreamBuf::STREAM_GZIP);
    in = inflater.get();
  }
  std::vector<SnmprecRecord> records;
  std::string line;
  int lineNo = 0;
  SnmprecRecord record;
  while (std::getline(*in, line)) {
    ++lineNo;
    if (parseSnmprecLine(line, path, lineNo, record)) {
      records.push_back(std::move(record));
      record = SnmprecRecord();
    }
  }
  if (in->bad() || (!in->eof() && in->fail())) {
    throw Poco::FileException("cannot read recording", path);
  }
  return records;
}

std::string decodeHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    throw Poco::DataFormatException("odd-length hex value", std::string(hex));
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned byte = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) {
      throw Poco::DataFormatException("bad hex value", std::string(hex));
    }
    out.push_back(static_cast<char>(byte));
  }
  return out;
}

std::string decodeEscaped(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\' || i + 1 == text.size()) {
      out.push_back(c);
      continue;
    }
    char e = text[++i];
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
        if (i + 3 <= text.size()) {
          out += decodeHex(text.substr(i + 1, 2));
          i += 2;
          break;
        }
        throw Poco::DataFormatException("bad \\x escape", std::string(text));
      default:
        out.push_back(e);
        break;  // \\ \' \"
    }
  }
  return out;
}

}  // namespace fleetsim
