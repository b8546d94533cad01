"""The language of student-facing messages: gettext catalogues in check/locale (compiled .mo
files shipped with the package), chosen per check with `language(lang)`; English is the
source language and the default. The environment's LANG is never read."""
import gettext
import os
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

LANGS = ("en", "ko")
DOMAIN = "barprop"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
_current = ContextVar("barprop_lang", default="en")


@lru_cache(maxsize=None)
def _catalogue(lang):
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message):
    """`message` in the current language."""
    return _catalogue(_current.get()).gettext(message)


def N_(message):
    """Marks a message for the catalogue; translated where it is shown."""
    return message


def current():
    return _current.get()


def checked(lang):
    """`lang` when it is one of LANGS, else a ValueError naming the choices."""
    lang = lang or "en"
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}'; choose one of {', '.join(LANGS)}")
    return lang


@contextmanager
def language(lang):
    """Messages made inside the block are in `lang` (None keeps the current one)."""
    if lang is None:
        yield
        return
    token = _current.set(checked(lang))
    try:
        yield
    finally:
        _current.reset(token)


# words from the evidence shown in text output (JSON keeps them in English)
SHOWN_WORDS = (N_("confirmed"), N_("not confirmed"), N_("n/a"), N_("zero"), N_("different"), N_("budget"),
               N_("timeout"), N_("skipped"), N_("error"))
