#include "engine/columnar.h"

#include <duckdb.h>

#include <bit>
#include <cstring>

#include "common/names.h"
#include "engine/connection_impl.h"

namespace lakehouse::engine {

size_t ColumnarColumn::rows() const {
  switch (kind) {
    case Kind::kText: return text.size();
    case Kind::kInt64: return ints.size();
    case Kind::kFloatArray: return dimension > 0 ? floats.size() / static_cast<size_t>(dimension) : 0;
  }
  return 0;
}

const ColumnarColumn* ColumnarTable::Find(const std::string& name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

ColumnarColumn* ColumnarTable::Find(const std::string& name) {
  return const_cast<ColumnarColumn*>(static_cast<const ColumnarTable*>(this)->Find(name));
}

namespace {

using internal::Chunk;
using internal::OwnedType;
using internal::Pending;
using internal::Prepared;
using internal::ResultHolder;

duckdb_logical_type MakeType(const ColumnarColumn& c) {
  switch (c.kind) {
    case ColumnarColumn::Kind::kText: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case ColumnarColumn::Kind::kInt64: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case ColumnarColumn::Kind::kFloatArray: {
      if (c.as_blob) return duckdb_create_logical_type(DUCKDB_TYPE_BLOB);
      OwnedType child{duckdb_create_logical_type(DUCKDB_TYPE_FLOAT)};
      return duckdb_create_array_type(child.handle, static_cast<idx_t>(c.dimension));
    }
  }
  return nullptr;
}

// Fills rows [start, start + n) of `data` into `chunk` (n <= vector size).
void FillChunk(duckdb_data_chunk chunk, const ColumnarTable& data, size_t start, size_t n) {
  for (size_t c = 0; c < data.columns.size(); ++c) {
    const ColumnarColumn& col = data.columns[c];
    duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
    switch (col.kind) {
      case ColumnarColumn::Kind::kText:
        for (size_t i = 0; i < n; ++i) {
          const std::string& s = col.text[start + i];
          duckdb_vector_assign_string_element_len(vec, i, s.data(), s.size());
        }
        break;
      case ColumnarColumn::Kind::kInt64:
        std::memcpy(duckdb_vector_get_data(vec), col.ints.data() + start, n * sizeof(int64_t));
        break;
      case ColumnarColumn::Kind::kFloatArray: {
        size_t d = static_cast<size_t>(col.dimension);
        if (col.as_blob) {
          static_assert(std::endian::native == std::endian::little, "vectors are stored little-endian");
          for (size_t i = 0; i < n; ++i) {
            const char* bytes = reinterpret_cast<const char*>(col.floats.data() + (start + i) * d);
            duckdb_vector_assign_string_element_len(vec, i, bytes, d * sizeof(float));
          }
          break;
        }
        duckdb_vector child = duckdb_array_vector_get_child(vec);
        std::memcpy(duckdb_vector_get_data(child), col.floats.data() + start * d, n * d * sizeof(float));
        break;
      }
    }
  }
  duckdb_data_chunk_set_size(chunk, n);
}

// WriteParquet streams a table into COPY through this table function
// (lh_columnar_scan(handle)) rather than appending it to a temporary table
// first, which alone cost ~3 s per 300 MB of vectors. Tables being written
// are found by handle.
internal::HandleRegistry<const ColumnarTable> scan_tables;

struct ScanBind {
  const ColumnarTable* table = nullptr;
};
struct ScanState {
  size_t next = 0;
};

void ScanBindFn(duckdb_bind_info info) {
  const ColumnarTable* table = scan_tables.Find(internal::BindHandle(info));
  if (!table) {
    duckdb_bind_set_error(info, "no columnar table with this handle");
    return;
  }
  for (const auto& col : table->columns) {
    OwnedType type{MakeType(col)};
    duckdb_bind_add_result_column(info, col.name.c_str(), type.handle);
  }
  duckdb_bind_set_bind_data(info, new ScanBind{table}, [](void* p) { delete static_cast<ScanBind*>(p); });
}

void ScanInitFn(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new ScanState{}, [](void* p) { delete static_cast<ScanState*>(p); });
}

void ScanFn(duckdb_function_info info, duckdb_data_chunk output) {
  auto* bind = static_cast<ScanBind*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  size_t rows = bind->table->rows();
  size_t n = std::min<size_t>(duckdb_vector_size(), rows - state->next);
  FillChunk(output, *bind->table, state->next, n);
  state->next += n;
}

}  // namespace

bool internal::RegisterColumnarScan(duckdb_connection conn) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "lh_columnar_scan");
  OwnedType bigint{duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)};
  duckdb_table_function_add_parameter(f, bigint.handle);
  duckdb_table_function_set_bind(f, ScanBindFn);
  duckdb_table_function_set_init(f, ScanInitFn);
  duckdb_table_function_set_function(f, ScanFn);
  bool registered = duckdb_register_table_function(conn, f) == DuckDBSuccess;
  duckdb_destroy_table_function(&f);
  return registered;
}

namespace {

std::string ReadString(duckdb_vector vec, idx_t row) {
  auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vec));
  duckdb_string_t s = strings[row];
  uint32_t len = duckdb_string_t_length(s);
  const char* ptr = duckdb_string_is_inlined(s) ? s.value.inlined.inlined : s.value.pointer.ptr;
  return std::string(ptr, len);
}

bool IsValid(duckdb_vector vec, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vec);
  return !validity || duckdb_validity_row_is_valid(validity, row);
}

int64_t ReadInt(duckdb_vector vec, duckdb_type type, idx_t row) {
  void* data = duckdb_vector_get_data(vec);
  switch (type) {
    case DUCKDB_TYPE_TINYINT: return static_cast<int8_t*>(data)[row];
    case DUCKDB_TYPE_SMALLINT: return static_cast<int16_t*>(data)[row];
    case DUCKDB_TYPE_INTEGER: return static_cast<int32_t*>(data)[row];
    case DUCKDB_TYPE_UINTEGER: return static_cast<uint32_t*>(data)[row];
    case DUCKDB_TYPE_BIGINT: return static_cast<int64_t*>(data)[row];
    case DUCKDB_TYPE_UBIGINT: return static_cast<int64_t>(static_cast<uint64_t*>(data)[row]);
    default: return 0;
  }
}

}  // namespace

Status Connection::WriteParquet(const ColumnarTable& table, const std::filesystem::path& path) {
  for (const auto& c : table.columns) {
    if (c.rows() != table.rows()) return InvalidArgument("columnar column " + c.name + " has a different length");
    if (c.kind == ColumnarColumn::Kind::kFloatArray && c.dimension <= 0) {
      return InvalidArgument("float array column " + c.name + " needs a dimension");
    }
  }
  int64_t handle = scan_tables.Add(&table);
  Status s = Execute("COPY (SELECT * FROM lh_columnar_scan(" + std::to_string(handle) + ")) TO " +
                     QuoteLiteral(path.string()) + " (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)");
  scan_tables.Remove(handle);
  return s;
}

Result<ColumnarTable> Connection::QueryColumnar(const std::string& sql) {
  Prepared prepared;
  if (duckdb_prepare(impl_->conn, sql.c_str(), &prepared.handle) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_prepare_error(prepared.handle));
  }
  Pending pending;
  if (duckdb_pending_prepared_streaming(prepared.handle, &pending.handle) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_pending_error(pending.handle));
  }
  ResultHolder r;
  r.valid = true;
  if (duckdb_execute_pending(pending.handle, &r.result) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_result_error(&r.result));
  }

  idx_t ncols = duckdb_column_count(&r.result);
  ColumnarTable out;
  std::vector<duckdb_type> types(ncols);
  for (idx_t c = 0; c < ncols; ++c) {
    OwnedType t{duckdb_column_logical_type(&r.result, c)};
    duckdb_type id = duckdb_get_type_id(t.handle);
    std::string name = duckdb_column_name(&r.result, c);
    if (id == DUCKDB_TYPE_VARCHAR) {
      out.columns.push_back(ColumnarColumn::Text(name));
    } else if (id == DUCKDB_TYPE_ARRAY) {
      OwnedType child{duckdb_array_type_child_type(t.handle)};
      if (duckdb_get_type_id(child.handle) != DUCKDB_TYPE_FLOAT) {
        return InvalidArgument("column " + name + ": only FLOAT arrays are supported");
      }
      out.columns.push_back(ColumnarColumn::FloatArray(name, static_cast<int>(duckdb_array_type_array_size(t.handle))));
    } else if (id == DUCKDB_TYPE_LIST) {
      // Parquet has no fixed-size arrays: FLOAT[n] comes back as FLOAT[].
      // The first row fixes the dimension; every other row must match it.
      OwnedType child{duckdb_list_type_child_type(t.handle)};
      if (duckdb_get_type_id(child.handle) != DUCKDB_TYPE_FLOAT) {
        return InvalidArgument("column " + name + ": only FLOAT lists are supported");
      }
      out.columns.push_back(ColumnarColumn::FloatArray(name, 0));
    } else if (id == DUCKDB_TYPE_BLOB) {
      out.columns.push_back(ColumnarColumn::FloatArray(name, 0, true));  // float32 BLOBs; dimension from the data
    } else if (id == DUCKDB_TYPE_TINYINT || id == DUCKDB_TYPE_SMALLINT || id == DUCKDB_TYPE_INTEGER ||
               id == DUCKDB_TYPE_UINTEGER || id == DUCKDB_TYPE_BIGINT || id == DUCKDB_TYPE_UBIGINT) {
      out.columns.push_back(ColumnarColumn::Int64(name));
    } else {
      return InvalidArgument("column " + name + ": cast it to VARCHAR, BIGINT or FLOAT[n]");
    }
    types[c] = id;
  }
  while (true) {
    Chunk chunk{duckdb_fetch_chunk(r.result)};
    if (!chunk.handle) {
      const char* err = duckdb_result_error(&r.result);
      if (err && *err) return internal::DuckError(*impl_, err);
      break;
    }
    idx_t size = duckdb_data_chunk_get_size(chunk.handle);
    if (size == 0) break;
    for (idx_t c = 0; c < ncols; ++c) {
      duckdb_vector vec = duckdb_data_chunk_get_vector(chunk.handle, c);
      ColumnarColumn& col = out.columns[c];
      switch (col.kind) {
        case ColumnarColumn::Kind::kText:
          for (idx_t i = 0; i < size; ++i) col.text.push_back(IsValid(vec, i) ? ReadString(vec, i) : std::string());
          break;
        case ColumnarColumn::Kind::kInt64:
          for (idx_t i = 0; i < size; ++i) col.ints.push_back(IsValid(vec, i) ? ReadInt(vec, types[c], i) : 0);
          break;
        case ColumnarColumn::Kind::kFloatArray: {
          if (types[c] == DUCKDB_TYPE_BLOB) {
            auto* blobs = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vec));
            for (idx_t i = 0; i < size; ++i) {
              if (!IsValid(vec, i)) return InvalidArgument("column " + col.name + " has a NULL vector");
              uint32_t len = duckdb_string_t_length(blobs[i]);
              if (col.dimension == 0) col.dimension = static_cast<int>(len / sizeof(float));
              if (len == 0 || len % sizeof(float) != 0 || len / sizeof(float) != static_cast<size_t>(col.dimension)) {
                return InvalidArgument("column " + col.name + " holds BLOBs that are not vectors of one dimension");
              }
              const char* ptr = duckdb_string_is_inlined(blobs[i]) ? blobs[i].value.inlined.inlined
                                                                    : blobs[i].value.pointer.ptr;
              size_t at = col.floats.size();
              col.floats.resize(at + col.dimension);
              std::memcpy(col.floats.data() + at, ptr, len);
            }
            break;
          }
          if (types[c] == DUCKDB_TYPE_LIST) {
            auto* entries = static_cast<const duckdb_list_entry*>(duckdb_vector_get_data(vec));
            auto* data = static_cast<const float*>(duckdb_vector_get_data(duckdb_list_vector_get_child(vec)));
            for (idx_t i = 0; i < size; ++i) {
              if (!IsValid(vec, i)) return InvalidArgument("column " + col.name + " has a NULL vector");
              if (col.dimension == 0) col.dimension = static_cast<int>(entries[i].length);
              if (entries[i].length != static_cast<uint64_t>(col.dimension) || col.dimension == 0) {
                return InvalidArgument("column " + col.name + " has vectors of different lengths");
              }
              col.floats.insert(col.floats.end(), data + entries[i].offset, data + entries[i].offset + entries[i].length);
            }
            break;
          }
          size_t d = static_cast<size_t>(col.dimension);
          auto* data = static_cast<const float*>(duckdb_vector_get_data(duckdb_array_vector_get_child(vec)));
          for (idx_t i = 0; i < size; ++i) {
            if (!IsValid(vec, i)) return InvalidArgument("column " + col.name + " has a NULL vector");
          }
          col.floats.insert(col.floats.end(), data, data + size * d);
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace lakehouse::engine
