// The lakehouse command line: `lakehouse <command> [options]`. Each command
// parses its options into core types and calls one service; output for
// people goes to stdout, errors to stderr with exit code 1.
#pragma once

namespace lakehouse::cli {

int Main(int argc, char** argv);

}  // namespace lakehouse::cli
