#include "ShapeCatalog.h"

#include <algorithm>
#include <filesystem>

#include <Poco/Exception.h>

#include "ShapeBuilder.h"
#include "SnmprecReader.h"

namespace fleetsim {
namespace {

// The community snmpsimd derives from a recording path.
std::string communityOf(const std::filesystem::path& relative) {
  std::string name = relative.generic_string();
  for (std::string_view ext : {".snmprec.gz", ".snmprec"}) {
    if (name.size() > ext.size() && name.ends_with(ext)) {
      return name.substr(0, name.size() - ext.size());
    }
  }
  return name;
}

bool isRecording(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  return name.ends_with(".snmprec") || name.ends_with(".snmprec.gz");
}

}  // namespace

void ShapeCatalog::load(const std::vector<std::string>& dataDirs,
                        const std::vector<std::string>& files,
                        const std::vector<unsigned>& interfaceCounts, bool hostResources) {
  std::vector<std::pair<std::string, std::string>> sources;  // community, path
  for (const std::string& dir : dataDirs) {
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(dir, ec);
    if (ec) {
      throw Poco::FileException("cannot read data directory", dir);
    }
    for (const auto& item : it) {
      if (item.is_regular_file() && isRecording(item.path())) {
        sources.emplace_back(communityOf(std::filesystem::relative(item.path(), dir)),
                             item.path().string());
      }
    }
  }
  for (const std::string& file : files) {
    sources.emplace_back(communityOf(std::filesystem::path(file).filename()), file);
  }
  std::sort(sources.begin(), sources.end());
  if (sources.empty()) {
    throw Poco::FileException("no .snmprec recordings found");
  }
  interfaceCounts_ = interfaceCounts;
  groups_.clear();
  groups_.resize(interfaceCounts.size());
  for (const auto& [community, path] : sources) {
    std::vector<SnmprecRecord> records = readSnmprecFile(path);
    for (size_t g = 0; g < interfaceCounts.size(); ++g) {
      groups_[g].push_back(std::make_unique<Shape>(
          ShapeBuilder::build(records, path, community, interfaceCounts[g], hostResources)));
    }
  }
}

size_t ShapeCatalog::groupOf(unsigned interfaces) const {
  auto it = std::find(interfaceCounts_.begin(), interfaceCounts_.end(), interfaces);
  poco_assert(it != interfaceCounts_.end());
  return it - interfaceCounts_.begin();
}

const Shape* ShapeCatalog::find(size_t group, std::string_view community) const {
  for (const auto& shape : groups_[group]) {
    if (shape->community() == community) {
      return shape.get();
    }
  }
  return nullptr;
}

std::string ShapeCatalog::describe() const {
  std::string out;
  for (const auto& group : groups_) {
    for (const auto& shape : group) {
      out += "fleet-sim shape community=" + shape->community() +
             " interfaces=" + std::to_string(shape->interfaces()) +
             " host_resources=" + (shape->hostResources() ? "1" : "0") +
             " oids=" + std::to_string(shape->size()) + "\n";
    }
  }
  return out;
}

}  // namespace fleetsim
