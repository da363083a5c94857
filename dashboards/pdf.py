"""The brief as a PDF, drawn on the server by WeasyPrint from the brief's own template.

Everything the document needs is read from the project's static files (found the way
`collectstatic` finds them, or in STATIC_ROOT once collected), never over the network: the
tracker runs on closed networks. Of the vendored Noto fonts, only the slices whose
unicode-range covers a character of the document are loaded, so a Chinese brief loads a few
dozen of the Chinese font's slices rather than all of them.

WeasyPrint needs the Pango libraries of the operating system; where they are missing,
`available()` says so and the brief offers the browser's Print command instead.
"""

import bisect
import dataclasses
import functools
import html as html_entities
import io
import logging
import mimetypes
import re
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.html import strip_tags

FONTS_CSS = "vendor/fonts/fonts.css"
STYLESHEETS = ("css/print.css", "css/brief-pdf.css")
TEMPLATE = "dashboards/brief_pdf.html"
# Characters the stylesheets add around the text (separators, marks), which need fonts too.
GENERATED_TEXT = " ·–—⚑…"

# fontTools logs each font it unpacks, WeasyPrint each step of each document: not news.
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

_FONT_FACE = re.compile(r"@font-face\s*{(?P<body>[^}]*)}", re.S)
_RANGE = re.compile(r"unicode-range\s*:\s*(?P<ranges>[^;]+);")
_FAMILY = re.compile(r'font-family\s*:\s*"(?P<family>[^"]+)"')
# In the order the site's stylesheet names them: Latin first, then Khmer, then Chinese.
FAMILIES = ("Noto Sans", "Noto Sans Khmer", "Noto Sans SC")


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it draws with, is not installed here."""


@functools.cache
def _weasyprint():
    try:
        import weasyprint
        import weasyprint.text.fonts
        import weasyprint.urls
    except (ImportError, OSError) as error:  # OSError: Pango is missing
        raise PdfUnavailable(str(error)) from error
    return weasyprint


def available() -> bool:
    """Whether this server can draw PDFs."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def static_file(path: str) -> Path | None:
    """The file behind a static path ("css/app.css"): in the source folders, or collected.
    None for a path that is not one (absolute, or climbing out with "..")."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or ".." in parts:
        return None
    found = finders.find(path)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        collected = Path(settings.STATIC_ROOT) / path
        if collected.is_file():
            return collected
    return None


def _ranges(text: str) -> list[tuple[int, int]]:
    """ "U+0000-00FF,U+0131,U+4??" as [(0x0, 0xFF), (0x131, 0x131), (0x400, 0x4FF)]."""
    found = []
    for item in text.split(","):
        item = item.strip().upper().removeprefix("U+")
        if not item:
            continue
        start, _, end = item.partition("-")
        end = end or start
        found.append((int(start.replace("?", "0"), 16), int(end.replace("?", "F"), 16)))
    return found


@dataclasses.dataclass(frozen=True)
class FontFace:
    """One @font-face rule of the vendored fonts: one weight of one slice of a family."""

    family: str
    rule: str
    ranges: tuple[tuple[int, int], ...]  # empty: every character
    range_text: str

    def covered(self, points: list[int]) -> set[int]:
        """Those of `points` (sorted code points) in the face's ranges."""
        if not self.ranges:
            return set(points)
        found = set()
        for start, end in self.ranges:
            index = bisect.bisect_left(points, start)
            while index < len(points) and points[index] <= end:
                found.add(points[index])
                index += 1
        return found


@functools.cache
def _font_faces(fonts_css: Path) -> tuple[FontFace, ...]:
    faces = []
    for match in _FONT_FACE.finditer(fonts_css.read_text("utf-8")):
        family = _FAMILY.search(match["body"])
        ranges = _RANGE.search(match["body"])
        range_text = ranges["ranges"].strip() if ranges else ""
        faces.append(
            FontFace(
                family=family["family"] if family else "",
                rule=match[0],
                ranges=tuple(_ranges(range_text)),
                range_text=range_text,
            )
        )
    return tuple(faces)


def font_stylesheet(text: str) -> str:
    """The @font-face rules of the vendored fonts that `text` needs, and the font-family list
    that uses them.

    Each slice of a family is given a family name of its own ("Noto Sans SC 12"), its weights
    sharing it: WeasyPrint tells embedded fonts apart by their description, so slices sharing
    one name would be merged into one font in the PDF, each character drawn with the glyph of
    the same number in another slice.
    """
    fonts_css = static_file(FONTS_CSS)
    if fonts_css is None:
        return ""
    faces = _font_faces(fonts_css)
    remaining = {ord(character) for character in text}
    aliases = {}  # (family, range) -> alias, in the stylesheet's order
    rules = []
    # A character goes to the first family that covers it: a later family's slices are
    # loaded only for what the earlier ones leave.
    named = (face.family for face in faces if face.family)
    for family in dict.fromkeys([*FAMILIES, *named]):
        points = sorted(remaining)
        covered = set()
        for face in faces:
            if face.family != family:
                continue
            found = face.covered(points)
            if not found:
                continue
            covered |= found
            alias = aliases.setdefault(
                (face.family, face.range_text), f"{face.family} {len(aliases) + 1}"
            )
            rules.append(_FAMILY.sub(f'font-family: "{alias}"', face.rule, count=1))
        remaining -= covered
    by_family = {family: [] for family in FAMILIES}
    for (family, _), alias in aliases.items():
        by_family.setdefault(family, []).append(alias)
    families = ", ".join(f'"{alias}"' for names in by_family.values() for alias in names)
    if families:
        rules.append(f"@page {{ font-family: {families}, sans-serif; }}")
        rules.append(f"html, body {{ font-family: {families}, sans-serif; }}")
    return "\n".join(rules)


@functools.lru_cache(maxsize=512)
def _decompressed_font(path: Path, mtime: float) -> bytes:
    """A woff2 font as the TrueType font it packs, kept for the next PDF: unpacking one
    takes longer than drawing the whole page."""
    from fontTools.ttLib import woff2

    out = io.BytesIO()
    woff2.decompress(io.BytesIO(path.read_bytes()), out)
    return out.getvalue()


def static_fetcher(static_prefix: str):
    """A WeasyPrint URL fetcher serving the URLs under `static_prefix` (the site's absolute
    static URL) from the static files on disk, and refusing every other URL."""
    weasyprint = _weasyprint()

    class StaticFetcher(weasyprint.URLFetcher):
        """Serves the document's static files from disk; refuses anything else."""

        def __init__(self, static_prefix: str):
            super().__init__()
            self.static_prefix = static_prefix

        def fetch(self, url, headers=None):
            if not url.startswith(self.static_prefix):
                raise ValueError(f"not a static file of the tracker: {url}")
            relative = url.removeprefix(self.static_prefix).split("?")[0].split("#")[0]
            path = static_file(relative)
            if path is None:
                raise ValueError(f"no such static file: {relative}")
            if path.suffix == ".woff2":
                body, content_type = _decompressed_font(path, path.stat().st_mtime), "font/ttf"
            else:
                body = path.read_bytes()
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticFetcher(static_prefix)


def render(request, context: dict) -> bytes:
    """The brief of `context` (what BriefView gives its template) as a one-page PDF."""
    weasyprint = _weasyprint()
    base_url = request.build_absolute_uri("/")
    static_prefix = request.build_absolute_uri(settings.STATIC_URL)
    fetcher = static_fetcher(static_prefix)
    html = render_to_string(TEMPLATE, {**context, "stylesheets": STYLESHEETS}, request=request)
    font_config = weasyprint.text.fonts.FontConfiguration()
    fonts = weasyprint.CSS(
        string=font_stylesheet(html_entities.unescape(strip_tags(html)) + GENERATED_TEXT),
        base_url=static_prefix + FONTS_CSS,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[fonts], font_config=font_config)
