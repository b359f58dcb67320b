"""Danish by default, English via ``?lang=en``, remembered in a cookie.

Catalogs: ``evidence/translations/<lang>/LC_MESSAGES/messages.po`` with the
compiled ``.mo`` committed beside it (a fresh clone works without a compile
step; ``tests/web/test_i18n.py`` fails when a ``.mo`` is stale or a message
lacks a Danish translation). Messages are written in English; the English
catalog is the identity.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_babel import Babel, get_translations
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGES = ("da", "en")
DEFAULT = "da"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600


def current_lang() -> str:
    """The request's language, decided once per request (a page asks ~100 times: one lookup each)."""
    lang = g.get("lang")
    if lang is None:
        lang = g.lang = _requested_lang()
    return lang


def _requested_lang() -> str:
    asked = request.args.get("lang", "")
    # API responses are publicly cacheable: they must not set a cookie.
    if asked in LANGUAGES and not request.path.startswith("/api/"):
        return asked
    cookie = request.cookies.get(COOKIE, "")
    return cookie if cookie in LANGUAGES else DEFAULT


def init_app(app) -> None:
    Babel(app, locale_selector=current_lang)
    _install_template_gettext(app)

    @app.after_request
    def _remember(response):
        asked = request.args.get("lang", "")
        # API responses are publicly cacheable: they must not set a cookie.
        if asked in LANGUAGES and not request.path.startswith("/api/") and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def _lang():
        lang = current_lang()
        other = "en" if lang == "da" else "da"
        return {"lang": lang, "other_lang": other, "lang_switch_url": switch_url(other), CONTEXT_LANG: lang}


def switch_url(lang: str) -> str:
    """The current page in ``lang``."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"][:50] + [("lang", lang)]
    return f"{request.path}?{urlencode(pairs)}"


#: translated template messages kept per process (a bound, not an expectation: the templates have ~300)
MEMO_ENTRIES = 4096
#: The page's language in its template context, for the templates' gettext (a name no template sets).
CONTEXT_LANG = "_i18n_lang"


def _template_lang(context) -> str | None:
    """The language of the page being rendered: the context processor's answer, read from the template
    context (a dict) rather than asked of ``flask.g`` (proxies) at each of a page's ~50 messages. None
    in a template rendered without it (a macro imported without context, a template outside a request):
    :func:`_per_language` then asks :func:`current_lang` in a request."""
    return context.get(CONTEXT_LANG)


def _install_template_gettext(app) -> None:
    """The templates' ``_()``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``: jinja2's
    newstyle gettext (the message always a format string for its keyword arguments, and
    :class:`~markupsafe.Markup` in an autoescaped template, so the arguments are escaped), with the
    catalog's answer remembered per language (:func:`_per_language`), and a message without
    arguments remembered formatted (a search page shows ~40 of them).

    They are the template globals themselves, not wrapped by ``install_gettext_callables``: its
    wrappers call through the template context twice (``_`` a third time); these read from it only
    the page's language (:func:`_template_lang`) and whether it escapes. The message arguments are
    positional-only, as jinja2's are: ``ngettext(s, p, n, num=n | integer)``.
    """
    gettext, ngettext = _per_language(_catalog("ugettext")), _per_language(_catalog("ungettext"))
    pgettext, npgettext = _per_language(_catalog("upgettext")), _per_language(_catalog("unpgettext"))
    plain = _per_language(lambda autoescape, message: _formatted(autoescape, gettext(None, message), {}))

    @pass_context
    def template_gettext(context, message, /, **variables):
        lang, autoescape = _template_lang(context), context.eval_ctx.autoescape
        if not variables:
            return plain(lang, autoescape, message)
        return _formatted(autoescape, gettext(lang, message), variables)

    @pass_context
    def template_ngettext(context, singular, plural, num, /, **variables):
        variables.setdefault("num", num)
        return _formatted(context.eval_ctx.autoescape, ngettext(_template_lang(context), singular, plural, num),
                          variables)

    @pass_context
    def template_pgettext(context, message_context, message, /, **variables):
        variables.setdefault("context", message_context)
        return _formatted(context.eval_ctx.autoescape, pgettext(_template_lang(context), message_context, message),
                          variables)

    @pass_context
    def template_npgettext(context, message_context, singular, plural, num, /, **variables):
        variables.setdefault("context", message_context)
        variables.setdefault("num", num)
        return _formatted(context.eval_ctx.autoescape,
                          npgettext(_template_lang(context), message_context, singular, plural, num), variables)

    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext,
                                 pgettext=template_pgettext, npgettext=template_npgettext)


def _formatted(autoescape: bool, text: str, variables: dict) -> str:
    """What jinja2's newstyle gettext returns for a translated ``text``."""
    if autoescape:
        text = Markup(text)
    return text % variables


def _catalog(method: str):
    """flask-babel's ``method`` of the request's catalog (``ugettext``, ``ungettext``, ...)."""
    return lambda *args: getattr(get_translations(), method)(*args)


def _per_language(answer):
    """``remembered(lang, *args)``: ``answer(*args)``, remembered per (language, arguments).

    flask-babel looks up the request's locale and catalog on every call; the catalogs are loaded
    once and never change while the app runs, and the locale is :func:`current_lang`, so what a
    message reads as is a function of the language and the arguments. ``lang`` is the request's
    language as the caller knows it (None: :func:`current_lang`). Outside a request, ``answer`` is
    asked every time.
    """
    memo: dict = {}

    def remembered(lang, *args):
        if not has_request_context():
            return answer(*args)
        key = (lang or current_lang(), *args)
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable argument: not remembered
            return answer(*args)
        out = answer(*args)
        if len(memo) < MEMO_ENTRIES:
            memo[key] = out
        return out
    return remembered
