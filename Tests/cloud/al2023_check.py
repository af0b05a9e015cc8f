#!/usr/bin/env python3
"""Amazon Linux 2023 compatibility check for the Lambda packages (dist/<Function>.zip).

Fails (exit 1) when any ELF file in a package
  - is not an x86-64 ELF64 file, or is an executable whose interpreter is not /lib64/ld-linux-x86-64.so.2,
  - needs a glibc symbol version newer than GLIBC_2.34 (AL2023 ships glibc 2.34),
  - needs a shared library that is neither shipped in the zip (found through an $ORIGIN run path) nor in
    the AL2023 set below, or needs a symbol version of such a library beyond what AL2023's build provides.

`--self-test` builds two small C programs that must be rejected (hypotf@GLIBC_2.35 without the
CGlibcCompat shim, a dynamic libstdc++) and one that must pass, so the check itself is tested.

Usage: al2023_check.py dist/*.zip | --self-test
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

GLIBC_MAX = (2, 34)
INTERPRETER = "/lib64/ld-linux-x86-64.so.2"

# Shared libraries a provided.al2023 function may rely on, with the package that provides them and why it is
# there. Sources:
#  [1] https://docs.aws.amazon.com/linux/al2023/ug/lambda.html - "The provided.al2023 base runtime is based on
#      the AL2023 minimal container image".
#  [2] https://docs.aws.amazon.com/linux/al2023/ug/curl-minimal.html - curl-minimal/libcurl-minimal "is the
#      default package for AL2023 AMIs and containers".
#  [3] AL2023 release notes: glibc 2.34 (glibc-2.34-*.amzn2023), GCC 11 (libgcc), OpenSSL 3, zlib, nghttp2
#      (https://docs.aws.amazon.com/linux/al2023/release-notes/all-packages-AL2023.*.html).
#  [4] `rpm -qa` of the AL2023 Lambda image public.ecr.aws/lambda/python:3.12 (2023-12), quoted in
#      https://github.com/amazonlinux/amazon-linux-2023/issues/585: glibc, libgcc, curl-minimal, krb5-libs, ...
# libstdc++.so.6 is deliberately NOT allowed: its presence in the zip-deployed runtime is not documented, so
# the packages link libstdc++ statically (mk/cloud.mk).
AL2023_LIBRARIES: dict[str, str] = {
    "ld-linux-x86-64.so.2": "glibc [1][3][4]",
    "libc.so.6": "glibc [1][3][4]",
    "libm.so.6": "glibc [1][3][4]",
    "libpthread.so.0": "glibc [1][3][4]",
    "libdl.so.2": "glibc [1][3][4]",
    "librt.so.1": "glibc [1][3][4]",
    "libutil.so.1": "glibc [1][3][4]",
    "libresolv.so.2": "glibc [1][3][4]",
    "libgcc_s.so.1": "libgcc (GCC 11) [3][4]",
    "libcurl.so.4": "libcurl-minimal [2][4]",
    "libz.so.1": "zlib, a libcurl-minimal dependency [2][3]",
    "libssl.so.3": "openssl-libs, a libcurl-minimal dependency [2][3]",
    "libcrypto.so.3": "openssl-libs, a libcurl-minimal dependency [2][3]",
    "libnghttp2.so.14": "libnghttp2, a libcurl-minimal dependency [2][3]",
}

# Symbol versions of the allowed libraries that AL2023's builds define (besides GLIBC_x.y, handled above).
# libgcc_s (GCC 11) defines GCC_3.0 ... GCC_7.0.0; libcurl is referenced as CURL_OPENSSL_4 when linked
# against Debian's libcurl4-openssl-dev. ld.so accepts a versioned reference to a library built without
# symbol versioning, and curl's own versioned-symbol scheme names an OpenSSL build CURL_OPENSSL_4.
OTHER_VERSIONS: dict[str, re.Pattern[str]] = {
    "libgcc_s.so.1": re.compile(r"^GCC_([3-6]\.\d+(\.\d+)?|7\.0\.0)$"),
    "libcurl.so.4": re.compile(r"^CURL_OPENSSL_4$"),
}


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


class ElfFacts:
    """What readelf says about one file: class/machine, interpreter, NEEDED, RUNPATH, version needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        header = run("readelf", "-h", "-W", str(path))
        self.elf64 = re.search(r"Class:\s+ELF64", header) is not None
        self.x86_64 = re.search(r"Machine:\s+Advanced Micro Devices X86-64", header) is not None
        self.executable = re.search(r"Type:\s+(EXEC|DYN)", header) is not None
        program = run("readelf", "-l", "-W", str(path))
        match = re.search(r"Requesting program interpreter: ([^\]]+)\]", program)
        self.interpreter = match.group(1) if match else None
        dynamic = run("readelf", "-d", "-W", str(path))
        self.needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
        runpaths = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]*)\]", dynamic)
        self.runpath = [entry for value in runpaths for entry in value.split(":") if entry]
        self.version_needs: dict[str, set[str]] = {}
        current = None
        for line in run("readelf", "-V", "-W", str(path)).splitlines():
            file_match = re.search(r"File: (\S+)\s+Cnt:", line)
            if file_match:
                current = file_match.group(1)
                self.version_needs.setdefault(current, set())
                continue
            name_match = re.search(r"Name: (\S+)\s+Flags:", line)
            if name_match and current is not None:
                self.version_needs[current].add(name_match.group(1))


def glibc_version(name: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", name)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def check_package(zip_path: Path, work: Path) -> tuple[list[str], tuple[int, ...], list[str]]:
    """Returns (problems, highest GLIBC version needed, report lines) for one package."""
    problems: list[str] = []
    highest: tuple[int, ...] = (0,)
    lines: list[str] = []
    target = work / zip_path.stem
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        archive.extractall(target)
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
    if "bootstrap" not in names:
        return [f"{zip_path.name}: no `bootstrap` at the zip root (has {names})"], highest, lines
    if not modes.get("bootstrap", 0) & 0o111:
        problems.append(f"{zip_path.name}: bootstrap is not executable in the zip (mode {oct(modes['bootstrap'])})")
    shipped = {name for name in names if is_elf(target / name) and name != "bootstrap"}
    for name in ["bootstrap", *sorted(shipped)]:
        facts = ElfFacts(target / name)
        where = f"{zip_path.name}:{name}"
        if not (facts.elf64 and facts.x86_64):
            problems.append(f"{where}: not an x86-64 ELF64 file")
        if name == "bootstrap" and facts.interpreter != INTERPRETER:
            problems.append(f"{where}: interpreter {facts.interpreter!r}, AL2023 has {INTERPRETER}")
        for library in facts.needed:
            if library in shipped:
                if not any(entry.startswith("$ORIGIN") for entry in facts.runpath):
                    problems.append(f"{where}: ships {library} but has no $ORIGIN run path ({facts.runpath})")
            elif library not in AL2023_LIBRARIES:
                problems.append(f"{where}: needs {library}, which is neither shipped nor in AL2023's base set")
        for library, versions in sorted(facts.version_needs.items()):
            for version in sorted(versions):
                parsed = glibc_version(version)
                if parsed is not None:
                    highest = max(highest, parsed)
                    if parsed > GLIBC_MAX:
                        problems.append(f"{where}: needs {version} from {library} (AL2023 has glibc 2.34)")
                elif library in shipped:
                    continue
                elif library in OTHER_VERSIONS and OTHER_VERSIONS[library].match(version):
                    continue
                else:
                    problems.append(f"{where}: needs symbol version {version} of {library}, not known in AL2023")
        lines.append(
            f"  {where}: {(target / name).stat().st_size} bytes, needs {', '.join(facts.needed)}"
            f"; run path {facts.runpath or '-'}"
        )
    return problems, highest, lines


def check(zips: list[Path]) -> int:
    if not zips:
        print("al2023-check: FAIL - no packages given (run `make package`)")
        return 1
    missing = [str(path) for path in zips if not path.is_file()]
    if missing:
        print(f"al2023-check: FAIL - missing packages: {missing}")
        return 1
    problems: list[str] = []
    highest: tuple[int, ...] = (0,)
    with tempfile.TemporaryDirectory(prefix="al2023-check-") as work:
        for zip_path in zips:
            found, package_highest, lines = check_package(zip_path, Path(work))
            problems += found
            highest = max(highest, package_highest)
            print("\n".join(lines))
    version = ".".join(str(part) for part in highest)
    if problems:
        print("al2023-check: FAIL")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"al2023-check: {len(zips)} packages OK; highest glibc symbol version needed: GLIBC_{version} (max 2.34)")
    return 0


def self_test() -> int:
    """The check must reject what AL2023 cannot run and accept what it can."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print("al2023-check --self-test: FAIL - no C compiler")
        return 1
    cases = {
        # hypotf@GLIBC_2.35 is what Swift's static stdlib pulls in without CGlibcCompat (NOTES.md).
        "needs_glibc_2_35": (
            "#include <math.h>\nint main(int c, char **v) { return (int)hypotf((float)c, (float)v[0][0]); }\n",
            ["-lm"],
            "GLIBC_2.35",
        ),
        "needs_libstdcxx": (
            "#include <string>\nint main(int c, char **) { std::string s(c, 'x'); return (int)s.size() - c; }\n",
            ["-x", "c++", "-lstdc++"],
            "libstdc++.so.6",
        ),
        "plain_c": ("#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n", [], None),
    }
    failures = 0
    with tempfile.TemporaryDirectory(prefix="al2023-self-test-") as work_dir:
        work = Path(work_dir)
        for name, (source, flags, expected) in cases.items():
            source_path = work / f"{name}.src"
            source_path.write_text(source)
            binary = work / name / "bootstrap"
            binary.parent.mkdir()
            language = ["-x", "c++"] if "-x" in flags else ["-x", "c"]
            libraries = [flag for flag in flags if flag.startswith("-l")]
            subprocess.run([compiler, *language, str(source_path), "-o", str(binary), *libraries], check=True)
            package = work / f"{name}.zip"
            with zipfile.ZipFile(package, "w") as archive:
                info = zipfile.ZipInfo("bootstrap")
                info.external_attr = 0o100755 << 16
                archive.writestr(info, binary.read_bytes())
            problems, _, _ = check_package(package, work / "extract")
            rejected = any(expected in problem for problem in problems) if expected else False
            ok = rejected if expected else not problems
            print(f"  self-test {name}: {'ok' if ok else 'WRONG'} ({problems or 'accepted'})")
            failures += 0 if ok else 1
    print(f"al2023-check --self-test: {'FAIL' if failures else 'passed'} ({len(cases)} cases)")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--self-test", action="store_true")
    options = parser.parse_args()
    if options.self_test:
        return self_test()
    return check(options.packages)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main())
