#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collection/PollResult.h"
#include "collection/UtilizationTracker.h"
#include "inventoryfs/Inventory.h"

namespace promsnmp {

// The text writer for `/snmp?target=` (and its alias `/metrics?target=`).
//
// Output is PromSNMP's (promsnmp-java.md §6): MIB object names without `_total`, Java's HELP
// texts with " - <OID>", Java's label names and orders, blocks in catalog order. Java's bugs are
// fixed (§10): label values are escaped and made valid UTF-8, histograms end in `+Inf`, a
// missing column value is omitted instead of written as 0, Counter64 values print unsigned, and
// the cumulative histogram family holds only the scraped target's series.
//
// Formats and negotiation. The same body is valid Prometheus text 0.0.4 and is accepted by
// Prometheus' OpenMetrics parser, but only text 0.0.4 is *honest* about it: OpenMetrics requires
// counter samples to end in `_total`, and the IF-MIB names every PromSNMP and snmp_exporter
// dashboard queries (ifHCInOctets, …) have none. So the server prefers text 0.0.4 whenever the
// client accepts it at all — `text/plain` (any version) or `text/*` or `*/*` with q > 0; every
// Prometheus release sends `text/plain;version=0.0.4` with some q, and curl sends `*/*` — even
// when the client ranks OpenMetrics higher. OpenMetrics is served only when text/plain is not
// acceptable, in the Java shape: the same names (`# TYPE ifHCInOctets counter`, samples without
// `_total`), `# UNIT` and `_created` on the cumulative histogram, and a final `# EOF`.
//
// Cost model: everything about a device is rendered once per poll (renderDevice); a scrape
// appends that body, a small per-request status tail and, for OpenMetrics only, a short
// re-rendering of the cumulative histogram (appendScrape).

enum class ExpositionFormat {
  PrometheusText,  // text/plain; version=0.0.4; charset=utf-8
  OpenMetrics,     // application/openmetrics-text; version=1.0.0; charset=utf-8
};

/// The Content-Type header value for `format`.
std::string_view contentType(ExpositionFormat format);

/// Chooses the format for an HTTP Accept header value (see the header comment). An empty,
/// malformed or unsatisfiable header yields PrometheusText (Prometheus' own fallback), never an
/// error. Thread-safe (pure).
ExpositionFormat negotiate(std::string_view acceptHeader);

// ---- Low-level helpers (pure, thread-safe, locale-independent) ----

/// Appends `raw` as the inside of a quoted label value: `\` → `\\`, `"` → `\"`, LF → `\n`, and
/// each maximal invalid UTF-8 subsequence → U+FFFD (Prometheus rejects a whole scrape on one
/// invalid label value, and SNMP DisplayStrings are often Latin-1 or binary).
void appendLabelValue(std::string& out, std::string_view raw);

/// Appends a HELP text: `\` → `\\`, LF → `\n` (and `"` → `\"` for OpenMetrics), UTF-8 fixed.
void appendHelpText(std::string& out, std::string_view text,
                    ExpositionFormat format = ExpositionFormat::PrometheusText);

/// Appends the `# HELP <name> <help>` (help escaped as appendHelpText does) and
/// `# TYPE <name> <type>` lines.
void appendHelpType(std::string& out, std::string_view name, std::string_view help,
                    std::string_view type,
                    ExpositionFormat format = ExpositionFormat::PrometheusText);

/// Appends `v` in the shortest form that parses back to the same double: "0.005", "1e+21",
/// "100", and "+Inf", "-Inf", "NaN". Never depends on the global or C locale.
void appendDouble(std::string& out, double v);
std::string formatDouble(double v);

/// Appends `v` in decimal, unsigned (a Counter64 above 2^63 is never negative).
void appendUnsigned(std::string& out, uint64_t v);

// ---- Device body (rendered once per successful poll) ----

/// One series of `interface_utilization_native_ratio`, kept so the OpenMetrics variant can be
/// rendered on demand.
struct NativeSeries {
  std::string labels;  // escaped, sorted by name, without braces and `le`
  NativeHistogram histogram;
};

/// A device's text as gzip members (RFC 1952; members concatenate into one valid stream).
struct GzipMembers {
  std::string classic;
  std::string nativeText;
};

/// Everything about one device that does not change between polls.
struct RenderedDevice {
  /// sysUpTime, the interface metrics, interface_utilization: format-independent.
  std::string classic;
  /// interface_utilization_native_ratio in text 0.0.4 (HELP, TYPE, samples); may be empty.
  std::string nativeText;
  /// The same series, for the OpenMetrics rendering.
  std::vector<NativeSeries> native;
  size_t interfaces = 0;
};

/// `text` as one gzip member, at zlib compression `level` (1 fastest … 9 smallest).
std::string gzipMember(std::string_view text, int level = 1);

/// The gzip members of `device`'s text 0.0.4 parts, at the level chosen for cached bodies.
GzipMembers compressDevice(const RenderedDevice& device);

/// A device's metrics as the cache keeps them: one successful poll and its utilization update,
/// rendered on first use and kept only in the forms that were served.
///
/// Why lazily: rendering (about 280 KB of text for 48 interfaces, two thirds of it Java's
/// histograms) then runs on the scrape thread that needs it, not on the single SNMP I/O thread;
/// and Prometheus always asks for gzip, so a device typically holds its poll (~15 KB) and its
/// gzip members (~20 KB) instead of its text — 2.5 GiB less at 10,000 devices. A body served
/// uncompressed keeps its text until the next poll replaces it. Thread-safe.
class DeviceBody {
 public:
  DeviceBody(std::shared_ptr<const PollResult> poll, std::string instance,
             UtilizationUpdate utilization);
  /// A body whose text is already rendered (tests).
  explicit DeviceBody(RenderedDevice rendered);
  /// A body rendered by `render` on first use, e.g. a module poll's series (RenderedDevice's
  /// `classic` only). `render` must be thread-safe and keep what it reads alive.
  DeviceBody(std::function<RenderedDevice()> render, size_t interfaces);

  DeviceBody(const DeviceBody&) = delete;
  DeviceBody& operator=(const DeviceBody&) = delete;

  /// Interfaces written (distinct ifIndex), known without rendering.
  size_t interfaces() const { return interfaces_; }
  /// The rendered text, made on the first call and kept.
  const RenderedDevice& text() const;
  /// The gzip members, made on the first call and kept. Renders the text for the purpose and
  /// drops it again unless text() keeps it.
  const GzipMembers& gzip() const;

 private:
  RenderedDevice render() const;

  std::shared_ptr<const PollResult> poll_;
  std::function<RenderedDevice()> render_;
  std::string instance_;
  UtilizationUpdate utilization_;
  size_t interfaces_ = 0;
  mutable std::once_flag textOnce_;
  mutable RenderedDevice text_;
  mutable std::atomic<bool> textKept_{false};
  mutable std::once_flag gzipOnce_;
  mutable GzipMembers gzip_;
};

/// Renders one poll of one device. `instance` is the scraped target string (Java wrote it as the
/// `instance` label). `utilization` is what UtilizationTracker::observe returned for this poll
/// (pass an empty update to leave the histograms out).
///
/// Layout: `sysUpTime{instance}`; each interface metric of ifMetrics() in catalog order as
/// `# HELP <name> <help> - <column OID>`, `# TYPE`, and one line per interface that has a value,
/// labels `instance, ifDescr, ifName, ifIndex, ifAlias`, interfaces ascending by ifIndex (first of
/// duplicates wins), blocks without samples left out; then `interface_utilization` (labels
/// `instance, ifName, ifDescr, ifIndex, ifAlias, le`; buckets 1 … 100 and +Inf, _count, _sum) for
/// each interface with a sample; then the cumulative native histogram of this target only
/// (labels sorted by name, as client_java wrote them). Thread-safe (pure).
RenderedDevice renderDevice(const PollResult& poll, std::string_view instance,
                            const UtilizationUpdate& utilization);

/// Appends the OpenMetrics variant of the native histogram: `# TYPE`, `# UNIT`, `# HELP`, and per
/// series _bucket…, _count, _sum, _created (Java's client_java shape).
void appendNativeOpenMetrics(std::string& out, const RenderedDevice& device);

// ---- Per-scrape status tail ----

/// The failure reasons that get a `promsnmp_target_poll_errors_total` series, in output order.
inline constexpr std::array<PollError, 6> kPollErrorReasons = {
    PollError::Timeout,    PollError::Authentication, PollError::Transport,
    PollError::AgentError, PollError::Unsupported,    PollError::Internal};

/// Index of `error` in kPollErrorReasons, or kPollErrorReasons.size() for PollError::None.
size_t pollErrorReasonIndex(PollError error);

/// What the tail says about one target in one response. Plain data.
/// What `promsnmp_device_info` says of a device: how discovery classified it and its
/// sysObjectID; a value not known is "".
struct DeviceInfo {
  std::string profile;
  std::string vendor;
  std::string os;
  std::string sysObjectId;
};

/// The info of `device`, or nullopt when it has neither a sysObjectID nor a profile.
/// Thread-safe (pure).
std::optional<DeviceInfo> deviceInfoOf(const inventoryfs::Device& device);

struct TargetStatus {
  std::string_view target;
  /// `promsnmp_device_info{target,profile,vendor,os,sysObjectID} 1`, written when set.
  std::optional<DeviceInfo> device;
  /// `snmp_scrape_duration_seconds{source="live"}` when this request ran or waited for a poll,
  /// `source="cached"` when it was served from the cache.
  bool live = false;
  double scrapeDurationSeconds = 0;
  /// A module scrape: the body carries snmp_exporter's `snmp_scrape_duration_seconds{module}`,
  /// so the tail leaves out Java's family of that name (one family may not appear twice).
  bool modules = false;
  /// False when no poll of the target has completed: only the scrape duration and
  /// `promsnmp_target_up 0` are written.
  bool polled = false;
  bool up = false;                       // the last completed poll succeeded
  double pollAgeSeconds = 0;             // since the last completed poll (good or failed)
  double pollDurationSeconds = 0;        // of the last completed poll
  std::optional<double> dataAgeSeconds;  // age of the device metrics served, if any
  size_t interfaces = 0;                 // interfaces in the device metrics served
  std::array<uint64_t, kPollErrorReasons.size()> errors{};  // failed polls by reason
};

/// Appends `snmp_scrape_duration_seconds` (Java's name and HELP) and the promsnmp_target_*
/// status families, each with HELP and TYPE. Cheap: about a dozen short lines. Thread-safe.
void appendStatusTail(std::string& out, ExpositionFormat format, const TargetStatus& status);

/// Appends a whole `/snmp` response in Java's order: the device body (if any), the status tail,
/// the native histogram, and `# EOF` for OpenMetrics. `device` may be null (nothing to serve).
void appendScrape(std::string& out, ExpositionFormat format, const RenderedDevice* device,
                  const TargetStatus& status);

/// appendScrape for Prometheus text, gzip-encoded: the cached members of `device` around a
/// freshly compressed status tail. Same content as appendScrape's, once decompressed.
std::string gzipScrape(const DeviceBody* device, const TargetStatus& status);

}  // namespace promsnmp
