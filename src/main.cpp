#include "cli/cli.h"

int main(int argc, char** argv) { return lakehouse::cli::Main(argc, argv); }
