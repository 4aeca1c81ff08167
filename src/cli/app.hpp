// The command line: parses argv with CLI11 and runs one command. Returns the
// process exit code (DESIGN.md: 0 done, 1 some jobs failed, 2 usage or config
// error, 3 endpoint unusable); problems the user must fix throw util::Error.
#pragma once

namespace cli {

int main(int argc, char** argv);

} // namespace cli
