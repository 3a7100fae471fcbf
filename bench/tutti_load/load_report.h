// tutti-load's summary: the human one and the --json one carry the same
// figures.
#pragma once

#include <string>

#include "bench/tutti_load/load_runner.h"

namespace tutti::load {

std::string SummaryText(const LoadOptions& options, const RunResult& result);
std::string SummaryJson(const LoadOptions& options, const RunResult& result);
const char* CodecName(Codec codec);

}  // namespace tutti::load
