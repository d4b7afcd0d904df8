// The registered backends (vector/backend.h TypeOf is the registry). Each
// lives in its own file, the only one that includes its library.
#pragma once

#include "vector/backend.h"

namespace lakehouse::vector {

const BackendType& FlatBackendType();   // flat_backend.cpp: exact scans of the vector store
const BackendType& HnswBackendType();   // hnsw_backend.cpp: hnswlib graphs
const BackendType& IvfPqBackendType();  // ivfpq_backend.cpp: FAISS IVF + PQ, re-ranked exactly

}  // namespace lakehouse::vector
