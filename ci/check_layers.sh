#!/usr/bin/env bash
# The layer check: library code never includes upward. Reads every #include of ours in
# protos/, rig/, host/ and gui/ of the tree in the current directory (or ROOT), maps the
# including file and the included header to their layers (ci/layers.txt) and fails,
# naming file:line, on any include the table does not allow.
#
# Tests (*_test.cc, test mains, tests/ and testing/ folders) may also include test support
# (any header under a tests/ or testing/ folder, or named *test_host.h). The suites in
# the top-level tests/ and the benchmarks in ci/ cross modules and are not checked.
# The CMake targets of those folders are held to the same table: a library or binary
# links only targets of the layers it may include (tests, rollrig_add_test, are not).
#
# usage: ci/check_layers.sh [ROOT]     exit 0 when every include is allowed, 1 otherwise
set -euo pipefail
ROOT=${1:-.}
cd "$ROOT"
[ -f ci/layers.txt ] || { echo "check_layers: no ci/layers.txt in $(pwd)" >&2; exit 2; }
exec python3 - ci/layers.txt <<'PY'
import os, re, sys

SOURCE_DIRS = ("protos", "rig", "host", "gui")
SUFFIXES = (".h", ".hpp", ".cc", ".cpp", ".c")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')  # <...> too: rig/... is ours either way

def read_table(path):
    direct = {}
    for n, line in enumerate(open(path), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] in direct:
            sys.exit(f"{path}:{n}: layer {words[0]} is listed twice")
        direct[words[0]] = words[1:]
    for layer, deps in direct.items():
        for d in deps:
            if d not in direct:
                sys.exit(f"{path}: layer {layer} names {d}, which is not a layer")
    allowed = {}
    def closure(layer, seen):
        if layer in allowed:
            return allowed[layer]
        if layer in seen:
            sys.exit(f"{path}: the layers form a cycle through {layer}")
        out = {layer}
        for d in direct[layer]:
            out |= closure(d, seen | {layer})
        allowed[layer] = out
        return out
    for layer in direct:
        closure(layer, set())
    return allowed

def layer_of(path, layers):
    best = None
    for layer in layers:
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best

def is_test_support(path):
    parts = path.split("/")
    return "tests" in parts[:-1] or "testing" in parts[:-1] or parts[-1].endswith("test_host.h")

def is_test(path):
    name = os.path.basename(path)
    return (is_test_support(path) or re.search(r"_test(_main)?\.(cc|cpp)$", name) is not None
            or name in ("usb_probe_main.cc",))

def check_links(allowed, errors):
    """Library and binary targets link only what their layer may include."""
    sources = []
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            if "CMakeLists.txt" in filenames:
                path = os.path.join(dirpath, "CMakeLists.txt")
                text = re.sub(r"#[^\n]*", "", open(path, encoding="utf-8").read())
                sources.append((path, layer_of(dirpath, allowed), text))
    layer_of_target = {}
    for path, layer, text in sources:
        for m in re.finditer(r"\badd_(?:library|executable)\s*\(\s*([\w.+-]+)", text):
            layer_of_target[m.group(1)] = layer
    for path, layer, text in sources:
        for m in re.finditer(r"\btarget_link_libraries\s*\(\s*([\w.+-]+)([^)]*)\)", text):
            here = layer_of_target.get(m.group(1), layer)
            if here is None:
                continue
            line = text.count("\n", 0, m.start()) + 1
            for dep in m.group(2).split():
                there = layer_of_target.get(dep)
                if there is not None and there not in allowed[here]:
                    errors.append(f"{path}:{line}: target {m.group(1)} (layer {here}) links "
                                  f"{dep} (layer {there})")

def main():
    allowed = read_table(sys.argv[1])
    errors = []
    check_links(allowed, errors)
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                here = layer_of(path, allowed)
                if here is None:
                    errors.append(f"{path}:1: is in no layer (add its folder to ci/layers.txt)")
                    continue
                test = is_test(path)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for n, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        header = m.group(1)
                        if header.split("/")[0] not in SOURCE_DIRS + ("tests",):
                            continue  # generated protos (rollrig/v1/...), abseil, ...
                        there = layer_of(header, allowed)
                        if there is None:
                            if header.startswith("tests/") and test:
                                continue
                            errors.append(f"{path}:{n}: includes {header}, which is in no layer")
                        elif there in allowed[here]:
                            continue
                        elif test and is_test_support(header):
                            continue
                        else:
                            errors.append(f"{path}:{n}: includes {header} (layer {there}) "
                                          f"from layer {here}")
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} dependencies against the layers (ci/layers.txt)",
              file=sys.stderr)
        return 1
    return 0

sys.exit(main())
PY
