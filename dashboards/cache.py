"""The dashboards' page cache: a page's content, rendered once, served to everyone who would
be shown the same thing, until anything in its agreement changes.

A page's content (its `content` block) is cached under a key made of everything it depends on:

- the page and its query (filters, sorting, page number, as-of point),
- the change generation of every agreement it shows, which every service bumps in the
  transaction of its change (audit.services.record): a change is on the very next request,
- the reader's permission scope (negotiations.permissions.permission_scope): a person is only
  ever served a page rendered for someone who may see and do exactly what they may,
- the language and time zone it is written in, and the day it is "now" on.

Pages as of now also change with the clock (a deadline becomes overdue, a meeting starts), so
they are kept PAGE_CACHE_NOW_SECONDS; pages as of a past point PAGE_CACHE_PAST_SECONDS. The rest
of the page (navigation, the signed-in person, the form token) is rendered per request around
the cached content. A cache that cannot be reached is a cache miss, never an error.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from negotiations.permissions import permission_scope

logger = logging.getLogger(__name__)

ALIAS = "pages"
# The page templates extend `base_template`: this one to render their content block alone.
CONTENT_ONLY = "dashboards/_content_only.html"
# And this one puts cached content back in its page.
SHELL = "dashboards/_cached_page.html"


def enabled() -> bool:
    return getattr(settings, "PAGE_CACHE_ENABLED", True) and ALIAS in settings.CACHES


def page_key(request, *, kind: str, generations, as_of) -> str:
    """The key of one rendering of a page (see the module's docstring)."""
    parts = (
        getattr(settings, "PAGE_CACHE_NAMESPACE", ""),
        kind,
        request.path,
        sorted((name, sorted(values)) for name, values in request.GET.lists()),
        bool(getattr(request, "htmx", False)),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        as_of.param or "now",
        as_of.day.isoformat(),
        permission_scope(request.user),
        tuple(generations),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{kind}:{digest}"


def timeout(as_of) -> int:
    if as_of.is_now:
        return settings.PAGE_CACHE_NOW_SECONDS
    return settings.PAGE_CACHE_PAST_SECONDS


def _get(key):
    try:
        return caches[ALIAS].get(key)
    except Exception:  # an unreachable cache is a miss
        logger.warning("Page cache unreachable on read", exc_info=True)
        return None


def _set(key, value, seconds):
    try:
        caches[ALIAS].set(key, value, seconds)
    except Exception:
        logger.warning("Page cache unreachable on write", exc_info=True)


def cached_page(view, *, key: str, seconds: int, template: str, context, shell_context):
    """The page `template` with its content from the cache, rendered (from `context()`) and
    stored first when missing. `shell_context()` is what the rest of the page needs."""
    request = view.request
    content = _get(key)
    if content is None:
        full = context()
        content = render_to_string(template, {**full, "base_template": CONTENT_ONLY}, request)
        _set(key, content, seconds)
        around = full
        request.page_cache = "miss"
    else:
        around = shell_context()
        request.page_cache = "hit"
    response = TemplateResponse(
        request,
        SHELL,
        {**around, "page_template": template, "cached_content": mark_safe(content)},
    )
    response["X-Page-Cache"] = request.page_cache
    return response
