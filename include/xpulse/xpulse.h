#pragma once
// xpulse's public C++ API, all of it: the headers under include/xpulse/. Everything else in the library is
// internal and may change between versions.
#include "xpulse/error.h"
#include "xpulse/pump_probe.h"
#include "xpulse/version.h"
