#pragma once
// The runs table's columns as both SQL backends select them, and the RunRecord of such a row.
#include "runtime/run_store.h"

namespace xpulse::runtime {

inline constexpr const char* kRunColumns =
    "id, command, command_line, host, ranks, pid, started, ended, status, message, progress, metrics, inputs, outputs";

// text(i), real(i) and integer(i) read column i of a row selected with kRunColumns.
template <class Text, class Real, class Integer>
RunRecord run_from_columns(const Text& text, const Real& real, const Integer& integer) {
  RunRecord r;
  r.id = integer(0), r.command = text(1), r.command_line = text(2), r.host = text(3);
  r.ranks = static_cast<int>(integer(4)), r.pid = integer(5), r.started = real(6), r.ended = real(7);
  r.status = text(8), r.message = text(9), r.progress = real(10), r.metrics = text(11);
  r.inputs = text(12), r.outputs = text(13);
  return r;
}

}  // namespace xpulse::runtime
