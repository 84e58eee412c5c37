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
import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from api.messages_ru import MESSAGES, NOUNS
from data.errors import InputError, Message
from data.vocabulary import LANGUAGES, Lang, format_rub

__all__ = [
    "LANGUAGES",
    "MESSAGES",
    "NOUNS",
    "Lang",
    "api_message",
    "api_text",
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
    "validation_message",
    "validation_text",
]


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


# ====================================================================================
# HTTP API error messages (helper fpriv): Russian by default, English on request.
# The domain raises English text; api/errors.py puts every error body through
# :func:`api_message` (domain errors) and :func:`validation_message` (pydantic's errors),
# keeping the field path. Unknown messages pass unchanged.
# ====================================================================================

_WHAT_RU = {"point": "точки", "application": "заявки", "key": "ключа", "job": "задачи"}
_STATUS_RU = {"pending": "на рассмотрении", "refused": "отклонена правилом защиты",
              "approved": "одобрена", "rejected": "отклонена", "withdrawn": "отозвана",
              "expired": "истекла"}  # fmt: skip


def _what(m: re.Match[str]) -> str:
    return _WHAT_RU.get(m["what"], m["what"])


def _status(m: re.Match[str]) -> str:
    return _STATUS_RU.get(m["status"], m["status"])


#: (English pattern, Russian template or function of the match); ``{name}`` is the group
_Template = str | Callable[[re.Match[str]], str]
_API_RU_TEXT: list[tuple[str, _Template]] = [
        (r"^no (?P<what>point|application|key|job) with id (?P<id>.+)$",
         lambda m: f"нет {_what(m)} с id {m['id']}"),
        (r"^role (?P<role>\S+) may not do this; allowed: (?P<roles>.+)$",
         "роли {role} это не разрешено; разрешено: {roles}"),
        (r"^missing X-API-Key header$", "нет заголовка X-API-Key"),
        (r"^unknown API key$", "неизвестный API-ключ"),
        (r"^revoked API key$", "API-ключ отозван"),
        (r"^only the application's partner or an admin may withdraw it$",
         "отозвать заявку может только её партнёр или администратор"),
        (r"^only an admin may override the protection rule$",
         "обойти правило защиты может только администратор"),
        (r"^\((?P<lat>[-\d.]+), (?P<lon>[-\d.]+)\) is (?P<d>[\d.]+) m from (?P<id>.+?) "
         r"\(protected radius (?P<r>\d+) m\)(?: and (?P<n>\d+) more)?$",
         lambda m: f"({m['lat']}, {m['lon']}) в {m['d']} м от {m['id']} (радиус защиты "
                   f"{m['r']} м)" + (f", мешают ещё: {m['n']}" if m["n"] else "")),
        (r"^the protection rule forbids it: another point or reservation is within the "
         r"protected radius$",
         "правило защиты запрещает: другая точка или резерв в пределах радиуса защиты"),
        (r"^point (?P<id>.+) has no opening date \(opened_on\); set it to compute its rewards$",
         "у точки {id} нет даты открытия (opened_on): задайте её, чтобы рассчитать "
         "вознаграждение"),
        (r"^the stored data of point (?P<id>.+?) cannot be computed: (?P<why>.+)$",
         "сохранённые данные точки {id} нельзя рассчитать: {why}"),
        (r"^a point with id (?P<id>.+) exists already$", "точка с id {id} уже есть"),
        (r"^application (?P<id>.+) is (?P<status>\w+) already$",
         lambda m: f"заявка {m['id']} уже {_status(m)}"),
        (r"^resolution must be (?P<a>\d+) to (?P<b>\d+)$",
         "разрешение (resolution) должно быть от {a} до {b}"),
        (r"^a partner checks kind 'partner' only, not (?P<k>.+)$",
         "партнёр проверяет только вид 'partner', а не {k}"),
        (r"^a partner's application is of kind 'partner', not (?P<k>.+)$",
         "заявка партнёра — вида 'partner', а не {k}"),
        (r"^a reason is required to reject$", "для отказа нужна причина"),
        (r"^a partner key needs a partner_id$", "ключу партнёра нужен partner_id"),
        (r"^only partner keys have a partner_id$", "partner_id бывает только у ключа партнёра"),
        (r"^unknown role (?P<role>.+?); roles: (?P<roles>.+)$",
         "неизвестная роль {role}; роли: {roles}"),
        (r"^not calibrated: no stored orders to calibrate on$",
         "модель не откалибрована: нет сохранённых заказов для калибровки"),
        (r"^unknown kind (?P<k>.+?); known: (?P<known>.+)$",
         "неизвестный вид {k}; известные: {known}"),
        (r"^unknown status (?P<s>.+?); known: (?P<known>.+)$",
         "неизвестный статус {s}; известные: {known}"),
        (r"^(?P<n>\w+) must be four numbers minlon,minlat,maxlon,maxlat, got (?P<t>.+)$",
         "{n}: нужны четыре числа minlon,minlat,maxlon,maxlat, получено {t}"),
        (r"^(?P<n>\w+) longitudes must be in \[-180, 180\]$",
         "{n}: долготы должны быть в [-180, 180]"),
        (r"^(?P<n>\w+) latitudes must be in \[-90, 90\] with minlat (?P<rel>\S+) maxlat$",
         "{n}: широты должны быть в [-90, 90], minlat {rel} maxlat"),
        (r"^not a cursor from a previous page$", "это не курсор с предыдущей страницы"),
        (r"^nothing to change$", "нечего менять"),
        (r"^(?P<k>\w+) cannot be null$", "{k} не может быть null"),
        (r"^cannot change (?P<u>.+); changeable: (?P<c>.+)$",
         "нельзя изменить {u}; можно: {c}"),
        (r"^month must be YYYY-MM, got (?P<m>.+)$", "месяц в виде ГГГГ-ММ, получено {m}"),
        (r"^month out of range: (?P<m>.+)$", "месяц вне диапазона: {m}"),
        (r"^control character (?P<c>U\+[0-9A-F]+) is not allowed$",
         "управляющий символ {c} не допускается"),
        (r"^control character (?P<c>U\+[0-9A-F]+) is not allowed \(tab and newline are\)$",
         "управляющий символ {c} не допускается (табуляция и перевод строки — можно)"),
        (r"^must not start or end with white space$",
         "не должно начинаться или кончаться пробелом"),
        (r"^Not Found$", "не найдено"),
        (r"^Method Not Allowed$", "метод не разрешён"),
        (r"^internal error \(logged on the server\)$", "внутренняя ошибка (записана в журнал "
         "сервера)"),
]  # fmt: skip
_API_RU = [(re.compile(p), t) for p, t in _API_RU_TEXT]


def api_text(text: str, language: str = "ru") -> str:
    """One English message of the domain in ``language`` (``ru``: by the table above;
    a message it does not know, or already Russian, passes unchanged)."""
    if language == "en":
        return text
    for pattern, template in _API_RU:
        m = pattern.match(text)
        if m is not None:
            return template(m) if callable(template) else template.format(**m.groupdict())
    return text


def api_message(
    message: str,
    language: str = "ru",
    *,
    field: str | None = None,
    source: str | None = None,
    row: int | None = None,
) -> str:
    """An error's message for an HTTP answer: ``field 'lat': ...`` (``поле 'lat': ...``)
    before the text in ``language`` when the error names a field, a source or a row (a
    row of a table sent as CSV or JSON rows: its ``column``, ``столбец``)."""
    ru = language != "en"
    where = []
    if source:
        where.append(str(source))
    if row is not None:
        where.append(f"строка {row}" if ru else f"row {row}")
    if field and row is not None:
        where.append(f"столбец {field!r}" if ru else f"column {field!r}")
    elif field:
        where.append(f"поле {field!r}" if ru else f"field {field!r}")
    text = api_text(message, language)
    return f"{', '.join(where)}: {text}" if where else text


#: pydantic's error types in Russian; ``{name}`` is from the error's ``ctx``
_PYDANTIC_RU = {
    "missing": "обязательное поле не задано",
    "extra_forbidden": "лишнее поле: такого поля нет",
    "float_parsing": "должно быть числом",
    "float_type": "должно быть числом",
    "int_parsing": "должно быть целым числом",
    "int_type": "должно быть целым числом",
    "int_from_float": "должно быть целым числом",
    "finite_number": "должно быть конечным числом",
    "bool_parsing": "должно быть true или false",
    "bool_type": "должно быть true или false",
    "string_type": "должно быть строкой",
    "list_type": "должно быть списком",
    "dict_type": "должно быть объектом",
    "model_type": "должно быть объектом",
    "model_attributes_type": "должно быть объектом",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
    "string_too_long": "должно быть не длиннее {max_length} симв.",
    "string_too_short": "должно быть не короче {min_length} симв.",
    "too_long": "должно быть не больше {max_length} элем.",
    "too_short": "должно быть не меньше {min_length} элем.",
    "string_pattern_mismatch": "не соответствует шаблону {pattern}",
    "literal_error": "должно быть одним из: {expected}",
    "enum": "должно быть одним из: {expected}",
    "json_invalid": "тело запроса — не JSON ({error})",
    "json_type": "должно быть JSON",
    "date_from_datetime_parsing": "должно быть датой ГГГГ-ММ-ДД",
    "date_parsing": "должно быть датой ГГГГ-ММ-ДД",
    "decimal_parsing": "должно быть десятичным числом",
    "url_parsing": "должно быть адресом URL",
}


def validation_text(type_: str, msg: str, ctx: dict[str, object] | None,
                    language: str = "ru") -> str:  # fmt: skip
    """One pydantic error (its ``type``, English ``msg`` and ``ctx``) in ``language``;
    a ``value_error`` keeps its own text (our validators' words), less pydantic's
    ``Value error, `` prefix; an unknown type passes unchanged."""
    if type_ == "value_error" and msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
        return api_text(msg, language)
    if language == "en":
        return msg
    template = _PYDANTIC_RU.get(type_)
    if template is None:
        return msg
    try:
        return template.format(**{k: _plain(v) for k, v in (ctx or {}).items()})
    except (KeyError, IndexError, ValueError):
        return msg


def _plain(value: object) -> object:
    """A bound as people write it: ``90``, not ``90.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def validation_message(where: str, text: str, more: int, language: str = "ru") -> str:
    """The message of a 422 for pydantic's errors: the first one with its field path
    (``body.lat: должно быть числом``), and how many more."""
    message = f"{where}: {text}" if where else text
    if more:
        message += f" (и ещё {more})" if language != "en" else f" (and {more} more)"
    return message
