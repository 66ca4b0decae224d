// Little-endian fixed-width integers for the event log's file formats
// (base/byte_io.h, named here for the event log's code).
// Thread-safety: pure functions.
#pragma once

#include "promorec/base/byte_io.h"

namespace promorec::eventlog {

using base::GetFixed32;
using base::GetFixed64;
using base::PutFixed32;
using base::PutFixed64;

}  // namespace promorec::eventlog
