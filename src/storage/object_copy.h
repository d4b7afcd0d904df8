// Copies one object between local buckets the way a move needs it: into
// the target's staging folder, fsynced, checked against the original by
// SHA-256, then renamed into place. Dataset and index moves share it.
#pragma once

#include <string>

#include "storage/object_store.h"

namespace lakehouse::storage {

Status CopyVerified(const ObjectStore& from, ObjectStore& to, const std::string& key);

}  // namespace lakehouse::storage
