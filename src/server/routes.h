// Route registration, one function per subsystem. Each route parses the
// request into core types, calls one service, and serialises the answer.
#pragma once

#include <httplib.h>

#include "app/runtime.h"

namespace lakehouse::server {

// Catalog and storage routes reach the runtime for deletions that must check indexes too.
void RegisterCatalogRoutes(httplib::Server& http, app::Runtime& runtime);
void RegisterIngestRoutes(httplib::Server& http, ingest::Ingestor& ingestor,
                          storage::BucketRegistry& buckets, uint64_t max_upload_bytes);
void RegisterImportRoutes(httplib::Server& http, ingest::Ingestor& ingestor);
void RegisterQueryRoutes(httplib::Server& http, engine::QueryEngine& query);
void RegisterVectorRoutes(httplib::Server& http, app::Runtime& runtime);
void RegisterAutotuneRoutes(httplib::Server& http, app::Runtime& runtime);
void RegisterStorageRoutes(httplib::Server& http, app::Runtime& runtime);
void RegisterProfileRoutes(httplib::Server& http, app::Runtime& runtime);
void RegisterAuditRoutes(httplib::Server& http, auth::AuditLog& audit);

}  // namespace lakehouse::server
