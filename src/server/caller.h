// Who sent the request this worker thread serves, as pre-routing found it
// (server.cpp): routes that show dataset values ask whether to mask them.
#pragma once

namespace lakehouse::server {

// True only for a key with the pii grant. Without keys (an open loopback
// server) nobody has it: PII is masked for every caller of the API, and
// shown as stored only to the files' owner through the CLI.
bool CallerSeesPii();

}  // namespace lakehouse::server
