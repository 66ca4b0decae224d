#!/usr/bin/env python3
"""Fails when an #include crosses the module dependency table of DESIGN.md.

Each folder under src/promorec/ is a module; a file in module A may include
"promorec/B/..." only when B is A itself or one of A's allowed dependencies.
Also checks that each module's CMakeLists.txt declares no dependency outside
the table. Prints every violation as FILE:LINE: message and exits 1 if any.
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

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]promorec/([a-z_]+)/')
DEPS = re.compile(r"DEPS\s+([a-z_\s]+?)(?:EXTERNAL|TEST_DEPS|\))")


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
        for path in sorted(module_dir.rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            # Tests may use test helpers of modules they are allowed to use only.
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                if target == module or allowed is None:
                    continue
                if target not in allowed:
                    problems.append(
                        f"{path.relative_to(root)}:{number}: {module}/ may not include "
                        f"{target}/ (allowed: {', '.join(allowed) or 'std only'})")
        cmake = module_dir / "CMakeLists.txt"
        if cmake.exists() and allowed is not None:
            match = DEPS.search(cmake.read_text())
            for dep in (match.group(1).split() if match else []):
                if dep not in allowed:
                    problems.append(f"{cmake.relative_to(root)}: {module} declares a dependency "
                                    f"on {dep}, which the table does not allow")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_includes: {len(problems)} violation(s)")
        return 1
    print("check_includes: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
