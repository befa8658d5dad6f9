// The linked library's version (include/xpulse/version.h).
#include "xpulse/version.h"

namespace xpulse {

const char* version() { return kVersion; }

}  // namespace xpulse
