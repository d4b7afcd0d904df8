#include "storage/object_copy.h"

#include "common/files.h"

namespace lakehouse::storage {

Status CopyVerified(const ObjectStore& from, ObjectStore& to, const std::string& key) {
  auto source = from.LocalPath(key);
  std::error_code ec;
  if (!source || !fs::exists(*source, ec)) return Internal("file " + key + " is missing from the source bucket");
  LH_RETURN_IF_ERROR(EnsureDirectory(to.StagingDir()));
  fs::path staged = UniqueTempPath(to.StagingDir(), "move");
  TempFileGuard guard(staged);
  fs::copy_file(*source, staged, ec);
  if (ec) return Internal("cannot copy " + key + ": " + ec.message());
  LH_ASSIGN_OR_RETURN(std::string want, Sha256File(*source));
  LH_ASSIGN_OR_RETURN(std::string got, Sha256File(staged));
  if (want != got) return Internal("the copy of " + key + " does not match the original");
  LH_RETURN_IF_ERROR(to.PutStaged(staged, key));
  guard.Release();
  return Status::Ok();
}

}  // namespace lakehouse::storage
