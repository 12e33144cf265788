// LD_PRELOAD fault layer for link(2), for the ambiguous-claim tests: the NFSv3 case where a
// retransmitted LINK reports failure for a link the server did make. With
// PROMSNMP_LINK_FAULT=eexist|eio, every link() whose new name is a slot (basename "v" + 20
// digits) is performed and then reported as failed with that errno. Other links are untouched.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

bool isSlotName(const char* path) {
  const char* base = std::strrchr(path, '/');
  base = base != nullptr ? base + 1 : path;
  if (base[0] != 'v' || std::strlen(base) != 21) {
    return false;
  }
  for (int i = 1; i <= 20; ++i) {
    if (base[i] < '0' || base[i] > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int link(const char* oldpath, const char* newpath) {
  using LinkFn = int (*)(const char*, const char*);
  static LinkFn realLink = reinterpret_cast<LinkFn>(dlsym(RTLD_NEXT, "link"));
  int result = realLink(oldpath, newpath);
  const char* fault = std::getenv("PROMSNMP_LINK_FAULT");
  if (result != 0 || fault == nullptr || !isSlotName(newpath)) {
    return result;
  }
  errno = std::strcmp(fault, "eio") == 0 ? EIO : EEXIST;
  return -1;
}
