// tutti-load's summary: the human one and the --json one carry the same
// figures.
#pragma once

#include <string>

#include "bench/tutti_load/load_runner.h"

namespace tutti::load {

std::string SummaryText(const LoadOptions& options, const RunResult& result);
std::string SummaryJson(const LoadOptions& options, const RunResult& result);
const char* CodecName(Codec codec);
// --expect_refusals: some calls were refused with 503, all the others were
// answered, and (with media, not churning) the answered ones heard every
// turn and pause with under 0.1% of their frames missing.
bool AdmittedClean(const LoadOptions& options, const RunResult& result);

}  // namespace tutti::load
