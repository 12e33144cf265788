#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fleetsim {

/// One `OID|TAG[x|e][:module]|VALUE` line of an snmpsim recording, not yet interpreted.
struct SnmprecRecord {
  std::vector<uint32_t> oid;
  unsigned tag = 0;    // ASN.1 tag number as snmpsim writes it (2, 4, 64, 65, 70, 128...)
  char encoding = 0;   // 'x' hex value, 'e' Python-escaped value, 0 plain
  std::string module;  // variation module name ("numeric", "writecache"), empty if none
  std::string value;   // raw text after the second '|'
  int line = 0;
};

/// Parses dotted decimal ("1.3.6.1", one leading dot allowed). Throws
/// Poco::InvalidArgumentException on anything else. Thread-safe.
std::vector<uint32_t> parseOid(std::string_view text);

/// Parses one line; returns false for blank and comment lines. Throws
/// Poco::DataFormatException("file:line: message") for a broken record. Thread-safe.
bool parseSnmprecLine(std::string_view line, const std::string& file, int lineNo,
                      SnmprecRecord& out);

/// Reads a whole `.snmprec` or gzip-compressed `.snmprec.gz` file. Throws
/// Poco::FileException when it cannot be read, Poco::DataFormatException on a broken record.
std::vector<SnmprecRecord> readSnmprecFile(const std::string& path);

/// Decodes a hex string ("0a0b") into bytes; throws Poco::DataFormatException.
std::string decodeHex(std::string_view hex);

/// Decodes snmpsim's 'e' encoding (Python escapes: \n, \t, \\, \xHH ...).
std::string decodeEscaped(std::string_view text);

}  // namespace fleetsim
