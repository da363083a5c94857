"""Vendor the Noto web fonts into static/vendor/fonts/, so Khmer and Chinese render everywhere.

    python scripts/vendor_fonts.py

Run once by a developer (it needs npm and the registry); the files it writes are committed, so
neither `make run` nor `make test` needs npm or a network. It fetches the pinned Fontsource
packages with `npm pack` into a temporary directory, checks each tarball against its pinned
integrity, copies only the woff2 files of weights 400 and 700 (normal style) of the subsets
below plus each package's LICENSE (SIL OFL 1.1) into static/vendor/fonts/<package>/, and writes
static/vendor/fonts/fonts.css with one @font-face per file, its unicode-range taken from the
package's own CSS, so a browser downloads only the slices a page actually uses.

To upgrade: change a version, run the script; it stops and prints the new integrity to pin.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Pinned packages: version and the registry's sha512 integrity of that version's tarball.
NOTO_SANS_VERSION = "5.3.0"
NOTO_SANS_INTEGRITY = "sha512-fBCog2PY7DiVVTEEqtI/Qdinx/knobHYfoGpjFXdfBX5RoJaBp1Prw2G75p0OIsdlMZg3cLo0c+YbIUYOxnQJw=="  # noqa: E501 (a pin, whole)
NOTO_SANS_KHMER_VERSION = "5.3.0"
NOTO_SANS_KHMER_INTEGRITY = "sha512-gdbZkSmmMa7up92bksz5uKkjt70hCmLr9Q9B/Bxu4qYfXr+BvRLvf7NDAO4WP64coTdCcrzmHFciXirbdJEToQ=="  # noqa: E501 (a pin, whole)
NOTO_SANS_SC_VERSION = "5.3.0"
NOTO_SANS_SC_INTEGRITY = "sha512-HeqIlGm0+ohOKxZLuHj1qW6r6avHH0OWdKERAcSDI0RQ+MXrteuLKA+M+5eOA8rYy0MFvOR5AT0fQo2rUkye0Q=="  # noqa: E501 (a pin, whole)

WEIGHTS = (400, 700)
NUMBERED = "numbered"  # Fontsource's "[4]" … "[119]" slices of a CJK font: all of them.

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "vendor" / "fonts"


@dataclass(frozen=True)
class Package:
    name: str  # the npm package, which is also the folder under static/vendor/fonts/
    version: str
    integrity: str
    family: str
    subsets: tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.name.removeprefix("@fontsource/")


PACKAGES = (
    Package(
        "@fontsource/noto-sans",
        NOTO_SANS_VERSION,
        NOTO_SANS_INTEGRITY,
        "Noto Sans",
        ("latin", "latin-ext"),
    ),
    Package(
        "@fontsource/noto-sans-khmer",
        NOTO_SANS_KHMER_VERSION,
        NOTO_SANS_KHMER_INTEGRITY,
        "Noto Sans Khmer",
        ("khmer", "latin"),
    ),
    Package(
        "@fontsource/noto-sans-sc",
        NOTO_SANS_SC_VERSION,
        NOTO_SANS_SC_INTEGRITY,
        "Noto Sans SC",
        (NUMBERED, "latin"),
    ),
)

FACE = re.compile(r"@font-face\s*\{(?P<body>[^}]*)\}")
PROPERTY = re.compile(r"([\w-]+)\s*:\s*([^;]+);")
WOFF2 = re.compile(r"url\(\s*['\"]?\./files/([^'\")]+\.woff2)['\"]?\s*\)")


@dataclass(frozen=True)
class Face:
    subset: str
    weight: int
    file: str
    unicode_range: str


def fetch(package: Package, into: Path) -> Path:
    """Download the package's tarball with `npm pack` (no install, no scripts) and unpack it."""
    spec = f"{package.name}@{package.version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = into / json.loads(result.stdout)[0]["filename"]
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    integrity = "sha512-" + base64.b64encode(digest).decode("ascii")
    if integrity != package.integrity:
        sys.exit(
            f"{spec}: integrity {integrity}\n  does not match the pinned {package.integrity}\n"
            "  (pin the new value only if you changed the version on purpose)"
        )
    unpacked = into / package.folder
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def subset_of(file: str, package: Package, weight: int) -> str:
    """'noto-sans-sc-21-400-normal.woff2' -> '[21]', as Fontsource names the slice;
    'noto-sans-khmer-latin-ext-400-normal.woff2' -> 'latin-ext'."""
    middle = file.removeprefix(f"{package.folder}-").removesuffix(f"-{weight}-normal.woff2")
    return f"[{middle}]" if middle.isdigit() else middle


def wanted(subset: str, package: Package) -> bool:
    """Whether the subset is one the tracker ships for this package."""
    if subset.startswith("[") and subset.endswith("]"):
        return NUMBERED in package.subsets
    return subset in package.subsets


def faces(source: Path, package: Package) -> list[Face]:
    """The wanted faces of the package, in the order its own CSS declares them (which matters:
    where unicode-ranges overlap, the face declared last wins)."""
    found = []
    for weight in WEIGHTS:
        css = (source / f"{weight}.css").read_text("utf-8")
        for match in FACE.finditer(css):
            props = dict(PROPERTY.findall(match["body"]))
            style, declared = props.get("font-style", "").strip(), props.get("font-weight", "")
            if style != "normal" or declared.strip() != str(weight):
                continue
            src = WOFF2.search(props.get("src", ""))
            if not src or "unicode-range" not in props:
                sys.exit(f"{package.name} {weight}.css: a face without woff2 or unicode-range")
            subset = subset_of(src[1], package, weight)
            if wanted(subset, package):
                found.append(Face(subset, weight, src[1], props["unicode-range"].strip()))
    named = {face.subset for face in found if not face.subset.startswith("[")}
    missing = [s for s in package.subsets if s != NUMBERED and s not in named]
    if NUMBERED in package.subsets and not any(f.subset.startswith("[") for f in found):
        missing.append(NUMBERED)
    if missing:
        sys.exit(f"{package.name}@{package.version}: no faces for subsets {missing}")
    return found


def css_rule(package: Package, face: Face) -> str:
    return (
        f"/* {package.folder} {face.subset} {face.weight} */\n"
        "@font-face {\n"
        f'  font-family: "{package.family}";\n'
        "  font-style: normal;\n"
        f"  font-weight: {face.weight};\n"
        "  font-display: swap;\n"
        f'  src: url("{package.folder}/{face.file}") format("woff2");\n'
        f"  unicode-range: {face.unicode_range};\n"
        "}\n"
    )


def main() -> None:
    if shutil.which("npm") is None:
        sys.exit("npm is needed to fetch the font packages (only here, never at install time)")
    OUT.mkdir(parents=True, exist_ok=True)
    rules = []
    header = [
        "/* Web fonts for Latin, Khmer and Simplified Chinese, served by the tracker itself.",
        "   Generated by scripts/vendor_fonts.py: do not edit, run the script again.",
    ]
    total = 0
    with tempfile.TemporaryDirectory(prefix="vendor-fonts-") as tmp:
        for package in PACKAGES:
            source = fetch(package, Path(tmp))
            chosen = faces(source, package)
            target = OUT / package.folder
            # A fresh folder each time, so files of an earlier version do not linger.
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            shutil.copyfile(source / "LICENSE", target / "LICENSE")
            size = 0
            for face in chosen:
                shutil.copyfile(source / "files" / face.file, target / face.file)
                size += (target / face.file).stat().st_size
                rules.append(css_rule(package, face))
            total += size
            header.append(f"   {package.name}@{package.version} ({package.family}, OFL-1.1)")
            print(
                f"wrote {target.relative_to(ROOT)}/: {len(chosen)} woff2 files"
                f" ({size / 1e6:.2f} MB) + LICENSE"
            )
    css = OUT / "fonts.css"
    css.write_text("\n".join(header) + " */\n\n" + "\n".join(rules), "utf-8")
    print(f"wrote {css.relative_to(ROOT)}: {len(rules)} @font-face rules")
    print(f"total: {total / 1e6:.2f} MB of woff2")


if __name__ == "__main__":
    main()
