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

LANGUAGES = ("da", "en")
DEFAULT = "da"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600


def current_lang() -> str:
    if "lang" not in g:
        asked = request.args.get("lang", "")
        # API responses are publicly cacheable: they must not set a cookie.
        if asked in LANGUAGES and not request.path.startswith("/api/"):
            g.lang = asked
        else:
            cookie = request.cookies.get(COOKIE, "")
            g.lang = cookie if cookie in LANGUAGES else DEFAULT
    return g.lang


def init_app(app) -> None:
    Babel(app, locale_selector=current_lang)
    _memoise_template_gettext(app)

    @app.after_request
    def _remember(response):
        asked = request.args.get("lang", "")
        # API responses are publicly cacheable: they must not set a cookie.
        if asked in LANGUAGES and not request.path.startswith("/api/") and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def _lang():
        other = "en" if current_lang() == "da" else "da"
        return {"lang": current_lang(), "other_lang": other, "lang_switch_url": switch_url(other)}


def switch_url(lang: str) -> str:
    """The current page in ``lang``."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"][:50] + [("lang", lang)]
    return f"{request.path}?{urlencode(pairs)}"


#: translated template messages kept per process (a bound, not an expectation: the templates have ~300)
MEMO_ENTRIES = 4096


def _memoise_template_gettext(app) -> None:
    """The templates' ``_()``/``ngettext``, remembered per (language, message).

    flask-babel looks up the request's locale and catalog on every call (a search page makes ~150
    of them); the catalogs are loaded once and never change while the app runs, and the locale is
    :func:`current_lang`, so the answer is a function of the language and the message. Outside a
    request, flask-babel's own lookup answers.
    """
    memo: dict = {}

    def remembered(method: str):
        def translate(*args):
            if not has_request_context():
                return getattr(get_translations(), method)(*args)
            key = (current_lang(), method, *args)
            try:
                return memo[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable argument: not remembered
                return getattr(get_translations(), method)(*args)
            out = getattr(get_translations(), method)(*args)
            if len(memo) < MEMO_ENTRIES:
                memo[key] = out
            return out
        return translate

    app.jinja_env.install_gettext_callables(
        gettext=remembered("ugettext"), ngettext=remembered("ungettext"), newstyle=True,
        pgettext=remembered("upgettext"), npgettext=remembered("unpgettext"))
