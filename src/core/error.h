#pragma once
// The error types are part of the public API (include/xpulse/error.h); library code includes them from here.
#include "xpulse/error.h"
