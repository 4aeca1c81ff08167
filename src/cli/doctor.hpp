// lingopipe doctor: checks the config and prompt files, then for each
// endpoint (primary and fallbacks) name resolution, connection and TLS,
// authentication, that the model is served, and one tiny request; prints a
// table with a verdict and a concrete fix for each failing line. Keys are
// never printed.
#pragma once

#include "cli/commands.hpp"

namespace cli {

int doctor_command(const Options& options);

} // namespace cli
