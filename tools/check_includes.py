#!/usr/bin/env python3
"""Fails when an #include or a CMake dependency crosses the module table of DESIGN.md.

Each folder under src/promorec/ is a module with one CMake target,
declared as promorec_module(NAME DEPS ... EXTERNAL ... TEST_DEPS ...). Checks:
  - a file in module A includes "promorec/B/..." only when B is A or one of
    A's allowed dependencies (the table below);
  - A's DEPS are allowed by the table, and every module a library source of
    A includes is declared in A's DEPS (not merely reached through another
    module's);
  - every external library a library source of A includes (simdjson, CLI11,
    spdlog, OpenSSL, protobuf) is declared in A's EXTERNAL;
  - test-only code stays test-only: gtest and gmock, promorec/testing/ and
    the *_test_util.h helpers are included only by tests (*_test.cc), fuzz
    targets (*_fuzz.cc), other *_test_util.h helpers and testing/ itself.
Prints every violation as FILE:LINE: message and exits 1 if any.
"""
import pathlib
import re
import sys

ALL_BELOW_PIPELINE = ["base", "event", "eventlog", "nats", "metrics", "scheduler", "model",
                      "profile", "features", "policy", "ingest", "decide", "registry", "lake",
                      "notify"]
ALLOWED = {
    "base": [],
    "testing": ["base"],
    "event": ["base"],
    "eventlog": ["base"],
    "nats": ["base", "eventlog"],
    "metrics": ["base"],
    "scheduler": ["base"],
    "model": ["base"],
    "profile": ["base", "event"],
    "features": ["base", "event", "profile", "model"],
    "policy": ["base", "event"],
    "ingest": ["base", "event", "eventlog", "metrics"],
    "decide": ["base", "event", "profile", "features", "model", "policy"],
    "registry": ["base", "model"],
    "trainer": ["base", "event", "features", "model"],
    "lake": ["base", "event"],
    "notify": ["base", "event"],
    "pipeline": ALL_BELOW_PIPELINE,
    "kinesis": ["base", "event", "eventlog", "ingest"],
    "sagemaker": ["base", "event", "features", "model", "trainer"],
    "agent": ["base", "event"],
    "http": ALL_BELOW_PIPELINE + ["pipeline", "kinesis", "sagemaker"],
    "sim": ["base", "event"],
    "app": None,  # the composition root may use everything
}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]promorec/([a-z_0-9]+)/([^">]+)[">]')
ANY_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')
MODULE_CALL = re.compile(r"promorec_module\(\s*([a-z_]+)(.*?)\)", re.S)
KEYWORDS = ("DEPS", "EXTERNAL", "TEST_DEPS")

# External headers (by prefix) and the CMake targets that provide them.
EXTERNAL_HEADERS = {
    "simdjson.h": {"simdjson::simdjson"},
    "CLI/": {"CLI11::CLI11"},
    "spdlog/": {"spdlog::spdlog"},
    "fmt/": {"fmt::fmt", "spdlog::spdlog"},
    "openssl/": {"OpenSSL::SSL", "OpenSSL::Crypto"},
    "zlib.h": {"ZLIB::ZLIB"},
    "curl/": {"CURL::libcurl"},
    "google/protobuf/": {"protobuf::libprotobuf-lite", "promorec_sagemaker_recordio_proto"},
}
TEST_ONLY_HEADERS = ("gtest/", "gmock/")


def parse_module(cmake_text):
    """(name, {"DEPS": [...], "EXTERNAL": [...], "TEST_DEPS": [...]}) or None."""
    match = MODULE_CALL.search(cmake_text)
    if not match:
        return None
    lists = {k: [] for k in KEYWORDS}
    current = None
    for word in match.group(2).split():
        if word in KEYWORDS:
            current = word
        elif current:
            lists[current].append(word)
    return match.group(1), lists


def is_test_code(path):
    name = path.name
    return (name.endswith("_test.cc") or name.endswith("_fuzz.cc")
            or name.endswith("_test_util.h"))


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    src = root / "src" / "promorec"
    problems = []
    for module_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        module = module_dir.name
        if module not in ALLOWED:
            problems.append(f"{module_dir}: module '{module}' is not in the dependency table")
            continue
        allowed = ALLOWED[module]
        cmake = module_dir / "CMakeLists.txt"
        parsed = parse_module(cmake.read_text()) if cmake.exists() else None
        declared = parsed[1] if parsed else {k: [] for k in KEYWORDS}
        if allowed is not None:
            for dep in declared["DEPS"]:
                if dep not in allowed:
                    problems.append(f"{cmake.relative_to(root)}: {module} declares a dependency "
                                    f"on {dep}, which the table does not allow")
        test_module = module == "testing"
        for path in sorted(module_dir.rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            test_code = test_module or is_test_code(path)
            rel = path.relative_to(root)
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                where = f"{rel}:{number}"
                match = INCLUDE.match(line)
                if match:
                    target, header = match.group(1), match.group(2)
                    if not test_code and (target == "testing" or header.endswith("_test_util.h")):
                        problems.append(f"{where}: {header} is test-only; only tests may "
                                        f"include it")
                    if target == module or allowed is None:
                        continue
                    if target == "testing":
                        continue
                    if target not in allowed:
                        problems.append(
                            f"{where}: {module}/ may not include {target}/ "
                            f"(allowed: {', '.join(allowed) or 'std only'})")
                    elif not test_code and target not in declared["DEPS"]:
                        problems.append(f"{where}: {module}/ includes {target}/ but its "
                                        f"CMakeLists.txt does not declare it in DEPS")
                    continue
                match = ANY_INCLUDE.match(line)
                if not match:
                    continue
                header = match.group(1)
                if header.startswith(TEST_ONLY_HEADERS) and not test_code:
                    problems.append(f"{where}: {header} is for tests only")
                if test_code or allowed is None:
                    continue
                for prefix, targets in EXTERNAL_HEADERS.items():
                    if header.startswith(prefix) and not targets & set(declared["EXTERNAL"]):
                        problems.append(f"{where}: {module}/ includes {header} but its "
                                        f"CMakeLists.txt does not declare "
                                        f"{' or '.join(sorted(targets))} in EXTERNAL")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_includes: {len(problems)} violation(s)")
        return 1
    print("check_includes: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
