// Data files built into the binary (see cmake/Embed.cmake).
// Thread-safety: immutable data.
#pragma once

#include <string_view>

namespace promorec::app {

// The bytes of data/<name> as it was at build time ("demo-catalogue/products.csv");
// empty for an unknown name.
std::string_view EmbeddedFile(std::string_view name);

}  // namespace promorec::app
