// CSV text as the lake writes it (RFC 4180, docs/formats/lake.md "Data
// files"): fields separated by ',', records ended by LF, a field quoted when
// it holds ',', '"', CR or LF (or must be told apart from NULL), with '"'
// doubled inside. The parser reads that back strictly, for the writer's
// recovery (counting records) and for tests.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::lake {

// Appends `value` as one CSV field. `force_quotes` quotes it even when it
// needs none (the empty string, which unquoted would read as NULL).
void AppendCsvField(std::string_view value, bool force_quotes, std::string* out);

// One parsed field: nullopt for an empty unquoted field (NULL).
using CsvField = std::optional<std::string>;
using CsvRecord = std::vector<CsvField>;

// Every record of `text`. A record ends with LF, CRLF or the end of the
// text; empty text has no records. Fails with kCorruption naming the record
// and byte offset: a quote inside an unquoted field, text after a closing
// quote, an unterminated quoted field.
[[nodiscard]] base::Result<std::vector<CsvRecord>> ParseCsv(std::string_view text);

// How many records `text` holds, by the same rules as ParseCsv, without
// building them.
[[nodiscard]] base::Result<std::size_t> CountCsvRecords(std::string_view text);

}  // namespace promorec::lake
