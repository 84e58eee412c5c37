"""The ``pvz`` command line's words: Russian first, English as a switch.

One catalogue (:data:`MESSAGES`) maps each English message template to its Russian
wording, gettext-style: the English template is the key, so a lower layer (``data``,
``planning``, ``maps``), which cannot import ``api``, raises
``InputError("not a number: {value!r}", value=..., row=3, column="lat")`` or logs a
:class:`data.errors.Message`, and the edge words it here (:func:`error_text`,
:func:`say_message`). A template without a Russian entry falls back to English
(``tests/api/test_cli_language.py`` keeps the catalogue complete for the modules the
CLI reaches).

The language is ``ru`` (the default) or ``en``: ``pvz --lang en``, else ``PVZ_LANGUAGE``
(the setting the HTTP API uses), see :func:`set_language`. Numbers in Russian messages
read as on the map (:mod:`maps.labels`): a no-break space groups the thousands and a
comma marks the decimals (``{n:,}`` -> ``1 234 567``, ``{x:.1f}`` -> ``2,5``); a
``{text!r}`` value is quoted «so» in Russian, ``'so'`` in English.

Counts take the right plural form: ``count(1, "candidate")`` is ``"1 кандидат"``
(``"1 candidate"`` in English), ``count(5, "point")`` is ``"5 точек"``,
``count(2_969, "point", "en")`` is ``"2,969 points"``; a Russian triple
``(1, 2-4, 5-20)`` can be given directly: ``count(21, ("кандидат", "кандидата",
"кандидатов"))`` is ``"21 кандидат"``.
"""

from __future__ import annotations

import numbers
import os
import string
from decimal import Decimal
from typing import Any, Literal

from api.messages_ru import MESSAGES, NOUNS
from data.errors import InputError, Message
from data.vocabulary import format_rub

__all__ = [
    "LANGUAGES",
    "MESSAGES",
    "NOUNS",
    "Lang",
    "count",
    "error_text",
    "language",
    "number",
    "place",
    "plural",
    "rub",
    "say",
    "say_message",
    "set_language",
]

Lang = Literal["ru", "en"]
#: the languages of the command line
LANGUAGES: tuple[Lang, ...] = ("ru", "en")

_NBSP = "\u00a0"
_current: Lang | None = None


def set_language(lang: str | None) -> Lang:
    """Use ``lang`` (``ru`` or ``en``, any case) for the messages from now on; ``None``:
    the ``PVZ_LANGUAGE`` setting (:class:`api.settings.Settings`, default ``ru``).

    Raises
    ------
    InputError : any other language
    """
    global _current
    if lang is None:
        lang = _setting()
    value = lang.strip().lower()
    if value not in LANGUAGES:
        raise InputError("--lang must be ru or en, got {lang!r}", lang=lang)
    _current = "en" if value == "en" else "ru"
    return _current


def _setting() -> str:
    """The ``language`` setting; without ``PVZ_LANGUAGE`` in the environment or a ``.env``
    file it is the default, ``ru``, known without loading the settings (``pvz --help`` and
    ``pvz check`` stay free of pydantic-settings' import)."""
    if not os.path.exists(".env") and not any(k.upper() == "PVZ_LANGUAGE" for k in os.environ):
        return "ru"
    from api.settings import get_settings

    return get_settings().language


def language() -> Lang:
    """The language of the messages: the one set last, else the ``PVZ_LANGUAGE`` setting."""
    return _current if _current is not None else set_language(None)


def _resolve(lang: str | None) -> Lang:
    return language() if lang is None else ("en" if lang == "en" else "ru")


def number(value: float | Decimal, spec: str = "", lang: str | None = None) -> str:
    """``format(value, spec)`` the way ``lang`` reads it: in Russian ``1 234,5`` (no-break
    space, decimal comma), in English ``1,234.5``."""
    text = format(value, spec)
    if _resolve(lang) == "ru":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", _NBSP)
    return text


class _Formatter(string.Formatter):
    """:meth:`str.format` with the language's numbers and quotes."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "r" and self.lang == "ru" and isinstance(value, str):
            return f"«{value}»" if value.isprintable() and value else repr(value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, Message):  # a part of the message, worded as well
            return say_message(value, self.lang)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            exact = int(value) if isinstance(value, numbers.Integral) else float(value)
            return number(exact, format_spec, self.lang)
        return super().format_field(value, format_spec)


def say(template: str, lang: str | None = None, /, **params: Any) -> str:
    """The message ``template`` (English, the catalogue key) in ``lang`` (default: the
    current language), filled with ``params``; English when it has no Russian entry."""
    lang = _resolve(lang)
    text = MESSAGES.get(template, template) if lang == "ru" else template
    return _Formatter(lang).format(text, **params) if params else text


def say_message(message: Message | str, lang: str | None = None) -> str:
    """A lower layer's :class:`~data.errors.Message` (or plain English text) in ``lang``."""
    if isinstance(message, Message):
        return say(message.template, lang, **message.params)
    return say(message, lang)


def error_text(exc: BaseException, lang: str | None = None) -> str:
    """A domain error worded for the user: ``FILE, row N, column 'C': what is wrong``
    (``FILE, строка N, столбец «C»: ...`` in Russian)."""
    if not isinstance(exc, InputError):
        if len(exc.args) == 1 and isinstance(exc.args[0], Message):
            return say_message(exc.args[0], lang)
        return say(str(exc), lang)
    params = getattr(exc, "params", None) or {}
    what = say(getattr(exc, "template", exc.message), lang, **params)
    where = place(exc.source, exc.row, exc.column, lang)
    return f"{where}: {what}" if where else what


def place(
    source: str | None, row: int | None = None, column: str | None = None, lang: str | None = None
) -> str:
    """Where in the input: ``FILE, row N, column 'C'`` (``FILE, строка N, столбец «C»``);
    the parts not known are left out."""
    where = []
    if source:
        where.append(str(source))
    if row is not None:
        where.append(say("row {row}", lang, row=row))
    if column:
        where.append(say("column {column!r}", lang, column=str(column)))
    return ", ".join(where)


def rub(amount_kop: int, lang: str | None = None) -> str:
    """Integer kopecks as money: ``1 234,50 ₽`` in Russian, ``1234.50 RUB`` in English
    (:func:`data.vocabulary.format_rub`, exact)."""
    text = format_rub(amount_kop)
    if _resolve(lang) == "en":
        return f"{text} RUB"
    return f"{number(Decimal(text), ',.2f', 'ru')}{_NBSP}₽"


def plural(n: int, forms: str | tuple[str, str] | tuple[str, str, str]) -> str:
    """The form of a noun for ``n``: an English noun (its plural adds ``s``), a pair
    ``(singular, plural)``, or a Russian triple ``(1, 2-4, 5-20)``."""
    if isinstance(forms, str):
        forms = (forms, forms + "s")
    if len(forms) == 2:
        return forms[0] if abs(n) == 1 else forms[1]
    m10, m100 = abs(n) % 10, abs(n) % 100
    if m10 == 1 and m100 != 11:
        return forms[0]
    if 2 <= m10 <= 4 and not 12 <= m100 <= 14:
        return forms[1]
    return forms[2]


def count(
    n: int, forms: str | tuple[str, str] | tuple[str, str, str], lang: str | None = None
) -> str:
    """``n`` with thousands separators and the noun in its form for ``n``: an English noun
    (or pair) is worded in Russian by :data:`NOUNS` when ``lang`` (default: the current
    language) is Russian; a Russian triple is used as it is."""
    lang = _resolve(lang)
    english = isinstance(forms, str) or len(forms) == 2
    key = forms if isinstance(forms, str) else forms[0]
    if lang == "ru" and english and key in NOUNS:
        forms = NOUNS[key]
    return f"{number(n, ',', lang)} {plural(n, forms)}"
