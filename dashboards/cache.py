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
they are fresh for PAGE_CACHE_NOW_SECONDS; pages as of a past point PAGE_CACHE_PAST_SECONDS.
Once that is over, the first reader renders the page again while those who come meanwhile are
served the last rendering (`X-Page-Cache: stale`), rather than all rendering it at once: the
record has not changed (or the key would be another), only the clock has moved on a few seconds.

Two levels:

- the content, shared by everyone of the same scope (above);
- the whole page around it for one reader (their name in the navigation, the page's exact
  address in the language form), with a hole where each request's form token goes. A reader's
  next request costs a cache read and a string replacement. Not when messages wait to be shown:
  the page is then rendered around the content, as on the reader's first request.

A cache that cannot be reached is a cache miss, never an error.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import get_token
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


# What is stored under a key: (until when it is fresh, the text). Another shape, another key.
ENTRY_FORMAT = 2


def page_key(request, *, kind: str, generations, as_of) -> str:
    """The key of one rendering of a page (see the module's docstring)."""
    parts = (
        getattr(settings, "PAGE_CACHE_NAMESPACE", ""),
        ENTRY_FORMAT,
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


# How long a rendering outlived its freshness may still be served while it is rendered again.
STALE_GRACE_SECONDS = 300
# How long one reader may take to render it again before another takes over.
RENEW_SECONDS = 30
# Stands in a stored page for the form token, which is each request's own.
TOKEN_HOLE = "page-cache-form-token"


def _cache():
    return caches[ALIAS]


def _get(key):
    """(until when it is fresh, text) of what is stored under `key`, or None."""
    try:
        return _cache().get(key)
    except Exception:  # an unreachable cache is a miss
        logger.warning("Page cache unreachable on read", exc_info=True)
        return None


def _set(key, text, fresh_until):
    seconds = max(1, round(fresh_until - time.time())) + STALE_GRACE_SECONDS
    try:
        _cache().set(key, (fresh_until, text), seconds)
    except Exception:
        logger.warning("Page cache unreachable on write", exc_info=True)


def _renews(key) -> bool:
    """Whether this request renders `key` again (no one else is doing it already)."""
    try:
        return _cache().add(f"{key}:renewing", 1, RENEW_SECONDS)
    except Exception:
        return True


def _whole_page_key(request, key):
    """The key of the whole page around `key`'s content for this reader, or None when messages
    wait to be shown (the page is then theirs for this request alone)."""
    if len(messages.get_messages(request)):
        return None
    user = request.user
    reader = hashlib.sha256(repr((user.pk, str(user), request.get_full_path())).encode())
    return f"{key}:{reader.hexdigest()}"


def _with_token(request, page: str) -> HttpResponse:
    return HttpResponse(page.replace(TOKEN_HOLE, get_token(request)))


def _labelled(request, response, how):
    request.page_cache = how
    response["X-Page-Cache"] = how
    return response


def cached_page(view, *, key: str, seconds: int, template: str, context, shell_context):
    """The page `template` with its content from the cache, rendered (from `context()`) and
    stored first when missing. `shell_context()` is what the rest of the page needs."""
    request = view.request
    whole_key = _whole_page_key(request, key)
    now = time.time()
    whole = _get(whole_key) if whole_key else None
    if whole is not None and whole[0] > now:
        return _labelled(request, _with_token(request, whole[1]), "hit")
    content = _get(key)
    if content is not None and content[0] <= now and not _renews(key):
        # Someone renders it again: theirs will be fresh, this one is a few seconds old.
        if whole is not None:
            return _labelled(request, _with_token(request, whole[1]), "stale")
        how = "stale"
    elif content is not None and content[0] > now:
        how = "hit"
    else:
        content, how = None, "miss"

    if content is None:
        full = context()
        text = render_to_string(template, {**full, "base_template": CONTENT_ONLY}, request)
        fresh_until = now + seconds
        _set(key, text, fresh_until)
        around = full
    else:
        fresh_until, text = content
        around = shell_context()
    page_context = {**around, "page_template": template, "cached_content": mark_safe(text)}
    if whole_key is None:
        return _labelled(request, TemplateResponse(request, SHELL, page_context), how)

    def keep_whole_page(response):
        page = response.content.decode()
        _set(whole_key, page, fresh_until)
        response.content = page.replace(TOKEN_HOLE, get_token(request))

    response = TemplateResponse(request, SHELL, {**page_context, "csrf_token": TOKEN_HOLE})
    response.add_post_render_callback(keep_whole_page)
    return _labelled(request, response, how)
