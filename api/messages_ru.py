"""The Russian wording of the command line's messages (:mod:`api.wording`).

:data:`MESSAGES` maps each English message template (the text the code raises, prints
or logs, the catalogue key) to its Russian template with the same ``{fields}``;
:data:`NOUNS` gives the Russian plural forms ``(1, 2-4, 5-20)`` of the English nouns
counted in messages.
"""

from __future__ import annotations

__all__ = ["MESSAGES", "NOUNS"]

NOUNS: dict[str, tuple[str, str, str]] = {
    "candidate": ("кандидат", "кандидата", "кандидатов"),
    "demo candidate": ("демо-кандидат", "демо-кандидата", "демо-кандидатов"),
    "demo point": ("демо-точка", "демо-точки", "демо-точек"),
    "live point": ("действующая точка", "действующие точки", "действующих точек"),
    "point": ("точка", "точки", "точек"),
    "row": ("строка", "строки", "строк"),
    "statement": ("ведомость", "ведомости", "ведомостей"),
    "violating pair": ("пара с нарушением", "пары с нарушением", "пар с нарушением"),
    "zone": ("зона", "зоны", "зон"),
}

MESSAGES: dict[str, str] = {
    # --- the frame of every message
    "error": "ошибка",
    "warning": "предупреждение",
    "row {row}": "строка {row}",
    "column {column!r}": "столбец {column!r}",
    "--lang must be ru or en, got {lang!r}": "--lang: допустимо ru или en, получено {lang!r}",
    # --- pvz --help
    "pvz-planner: exact competition protection, scoring and rewards for pickup points.":
        "pvz-planner: точная защита от конкуренции, оценка локаций и вознаграждения "
        "пунктов выдачи.",
    "Check candidate locations against the competition-protection rule.":
        "Проверить локации-кандидаты по правилу защиты от конкуренции.",
    "List every pair of live points that violates the protection rule.":
        "Перечислить все пары действующих точек, нарушающие правило защиты.",
    "Write a deterministic demo network that obeys the protection rule.":
        "Записать детерминированную демо-сеть, соблюдающую правило защиты.",
    "Write candidate locations near and around a network (for demos and benchmarks).":
        "Записать локации-кандидаты в сети и вокруг неё (для демо и замеров).",
    "Score candidate locations with a Huff model of the network.":
        "Оценить локации-кандидаты моделью Хаффа по сети.",
    "White space: zones with demand, no point within reach, where a new point is allowed.":
        "Белые пятна: зоны со спросом без точек в пределах досягаемости, где новая точка "
        "разрешена.",
    "Choose up to K new candidates that add the most demand to what the network serves.":
        "Выбрать до K новых кандидатов, больше всего добавляющих к спросу, который "
        "обслуживает сеть.",
    "Write an HTML map: points by kind and status, geodesic protection circles (zoomed in), "
    "candidates by score with their decision, audit conflicts, white space, demand heat.":
        "Записать HTML-карту: точки по типу и статусу, геодезические зоны защиты (при "
        "приближении), кандидаты по оценке с решением, нарушения аудита, белые пятна, "
        "тепловая карта спроса.",
    "Write the month's reward statement of every point with orders, adjustments or a reward.":
        "Записать ведомости вознаграждения за месяц для всех точек с заказами, "
        "корректировками или вознаграждением.",
    "Compare the old per-parcel fee with the new percentage, per point and month.":
        "Сравнить старую плату за посылку с новым процентом по каждой точке и месяцу.",
    "Serve the HTTP API (docs at /docs); PVZ_BOOTSTRAP_ADMIN_KEY creates that admin key.":
        "Запустить HTTP API (документация на /docs); PVZ_BOOTSTRAP_ADMIN_KEY создаёт этот "
        "ключ администратора.",
    "Seed the store with a demo network if it holds no point yet.":
        "Заполнить хранилище демо-сетью, если в нём ещё нет ни одной точки.",
    "Settlement boundary polygons: build them from OpenStreetMap for --boundaries.":
        "Границы населённых пунктов: построить их из OpenStreetMap для --boundaries.",
    "Build settlement boundary polygons from an OpenStreetMap extract.":
        "Построить полигоны границ населённых пунктов из выгрузки OpenStreetMap.",
    # --- summaries of the commands
    "{candidates} checked against {points}: {allowed:,} allowed, {blocked:,} blocked -> {out} "
    "({rows} written)":
        "Проверка по правилу защиты: {candidates}, в сети {points}; разрешено: {allowed:,}, "
        "запрещено: {blocked:,} -> {out} (записано: {rows})",
    "{points} audited: {pairs} -> {out} ({rows} written)":
        "Аудит: {points}; найдено: {pairs} -> {out} (записано: {rows})",
    "{points} ({live:,} active or paused) -> {out} ({rows} written)":
        "Создано: {points} (действующих или приостановленных: {live:,}) -> {out} "
        "(записано: {rows})",
    "{candidates} -> {out} ({rows} written)": "Создано: {candidates} -> {out} (записано: {rows})",
    "demo network": "демо-сеть",
    "pt": "тчк",
    "{parts} -> {out} ({size:.1f} MB)": "{parts} -> {out} ({size:.1f} МБ)",
    " in {region}": " ({region})",
    " in the bbox": " (в рамке --bbox)",
    " on the map": " на карту",
    "{drawn:,} of {total:,} points drawn{where}":
        "Точек на карте{where}: {drawn:,} из {total:,}",
    "{drawn:,} of {total:,} candidates": "кандидатов: {drawn:,} из {total:,}",
    "{n:,} audit conflicts": "нарушений аудита: {n:,}",
    "{n:,} white-space zones": "белых пятен: {n:,}",
    "no point lies{where}: the map shows none": "ни одна точка не попала{where}: карта пуста",
    "not calibrated: {n_known} with turnover, at least {n_min} needed":
        "не откалибровано: {n_known} с известным оборотом, а нужно не меньше {n_min}",
    "not calibrated: {why}": "не откалибровано: {why}",
    "the exact model failed ({why}); the heuristic plan was written":
        "точная модель не сработала ({why}); записан эвристический план",
    "the exact model stopped ({status}); the gap is to its best bound":
        "точная модель остановилась ({status}); разрыв указан до её лучшей границы",
    "{statements} for {month}, total reward {total} (adjustments {adjusted}) -> {out}{lines}":
        "{statements} за {month}, вознаграждение всего {total} (корректировки {adjusted}) "
        "-> {out}{lines}",
    ", lines -> {out}": ", строки -> {out}",
    "{where}: point {id}: {message}": "{where}: точка {id}: {message}",
    "{n:,} ({pct:.1f} %)": "{n:,} ({pct:.1f} %)",
    "network {first}..{last}: {points} with orders, new scheme vs old per-parcel fee, per "
    "point over the period":
        "сеть, {first}..{last}: {points} с заказами; новая схема против старой платы за "
        "посылку, по каждой точке за период",
    "  earn more under the new scheme: {share}": "  получают больше по новой схеме: {share}",
    "  earn the same:                  {share}": "  получают столько же:            {share}",
    "  earn less:                      {share}": "  получают меньше:                {share}",
    "  totals: old {old}, new {new}, paid {paid} (transition floor {floor})":
        "  итого: по старой {old}, по новой {new}, выплачено {paid} (переходный минимум "
        "{floor})",
    "on": "включён",
    "off": "выключен",
    "kept": "выполнено",
    "NOT kept": "НЕ выполнено",
    "  promise 'every second agent earns more': {kept}":
        "  обещание «каждый второй агент получает больше»: {kept}",
    "paid at least the old amount thanks to the floor":
        "благодаря минимуму выплачено не меньше прежнего",
    "  promise 'the rest no less': {kept}; earning less: {shown}{more}":
        "  обещание «остальные не меньше»: {kept}; получают меньше: {shown}{more}",
    "  promise 'the rest no less': {kept}": "  обещание «остальные не меньше»: {kept}",
    " and {n:,} more": " и ещё {n:,}",
    "(no orders in the period)": "(нет заказов за период)",
    "serving {backend} store, {points}, on {url} (docs: {url}/docs)":
        "хранилище {backend}, {points}; адрес {url} (документация: {url}/docs)",
    "server stack: {stack}": "серверный стек: {stack}",
    "demo network: {added} added, {stored:,} stored":
        "демо-сеть: добавлено {added}, всего в хранилище {stored:,}",
    "demo keys: not created, the store holds {keys:,} key(s) already (GET /v1/keys lists "
    "them; DELETE /v1/keys/{{id}} revokes)":
        "демо-ключи не созданы: в хранилище уже есть ключи ({keys:,}) (GET /v1/keys — "
        "список; DELETE /v1/keys/{{id}} — отзыв)",
    "demo keys (send as X-API-Key; shown only now):":
        "демо-ключи (передавайте в X-API-Key; показаны только сейчас):",
    "{added} added; {stored:,} stored": "Добавлено {added}; всего в хранилище {stored:,}",
    "{summary} ({speed:.1f} MB/s) -> {out}": "{summary} ({speed:.1f} МБ/с) -> {out}",
    "reading {name}": "чтение {name}",
    " objects": " объектов",
    "{settlements:,} settlements ({from_boundaries:,} from administrative boundaries, "
    "{from_areas:,} from place areas), {without:,} without population (population 0){extra}; "
    "{split:,} split at the antimeridian; {skipped:,} non-settlement boundaries skipped"
    "{broken}; {seconds:.1f} s":
        "населённых пунктов: {settlements:,} (из административных границ: "
        "{from_boundaries:,}, из площадных place: {from_areas:,}), без населения: {without:,} "
        "(население 0){extra}; разрезано по антимеридиану: {split:,}; пропущено границ, не "
        "являющихся населёнными пунктами: {skipped:,}{broken}; {seconds:.1f} с",
    " ({n:,} of them unreadable, e.g. {shown})": " (из них нечитаемых: {n:,}, например {shown})",
    "; {n:,} broken areas skipped": "; пропущено повреждённых площадей: {n:,}",
    # --- files and options
    "file not found": "файл не найден",
    "the file is empty": "файл пуст",
    "the sheet is empty": "лист пуст",
    "the table has no rows": "в таблице нет строк",
    "output directory does not exist": "папка для результата не существует",
    "unsupported file type {ext!r}; use one of {allowed}":
        "неподдерживаемый тип файла {ext!r}; используйте один из: {allowed}",
    "unsupported output type {ext!r}; use one of {allowed}":
        "неподдерживаемый тип результата {ext!r}; используйте один из: {allowed}",
    "unsupported output type {ext!r}; use .gpkg or .geojson":
        "неподдерживаемый тип результата {ext!r}; используйте .gpkg или .geojson",
    "this table has no lat/lon columns: write it as .csv":
        "в этой таблице нет столбцов lat/lon: запишите её в .csv",
    "unknown encoding {encoding!r} (--encoding)": "неизвестная кодировка {encoding!r} (--encoding)",
    "not readable as {encoding}: byte {byte} on line {line}; try --encoding cp1251 or utf-8":
        "не читается как {encoding}: байт {byte} в строке файла {line}; попробуйте "
        "--encoding cp1251 или utf-8",
    "expected {fields} fields, saw {saw} (quote values that contain the separator {sep!r})":
        "ожидалось полей: {fields}, найдено: {saw} (возьмите в кавычки значения, "
        "содержащие разделитель {sep!r})",
    "not a vector file with polygons: it has no geometry (columns found: {have}); use a "
    "GeoPackage or GeoJSON of settlement polygons with name and population":
        "не векторный файл с полигонами: в нём нет геометрии (найдены столбцы: {have}); "
        "нужен GeoPackage или GeoJSON с полигонами населённых пунктов, name и population",
    "not readable as UTF-16 (it begins with a UTF-16 byte-order mark)":
        "не читается как UTF-16 (файл начинается с метки порядка байтов UTF-16)",
    "--sep must be one character or 'tab', got {sep!r}":
        "--sep: нужен один символ или tab, получено {sep!r}",
    "not a readable CSV file ({why})": "не удаётся прочитать CSV-файл ({why})",
    "not a readable CSV: {why}": "не удаётся прочитать CSV: {why}",
    "empty file (no header)": "пустой файл (нет заголовка)",
    "expected {expected} fields, saw {saw} (quote values that contain a comma)":
        "ожидалось полей: {expected}, найдено: {saw} (значения с запятой заключайте в "
        "кавычки)",
    "not a readable .xlsx file ({why})": "не удаётся прочитать файл .xlsx ({why})",
    "no sheet {sheet!r}; sheets: {sheets}": "нет листа {sheet!r}; листы: {sheets}",
    "not a readable {ext} file ({why})": "не удаётся прочитать файл {ext} ({why})",
    "not a GeoJSON feature": "не объект (feature) GeoJSON",
    "geometry must be a Point, got {kind}": "геометрия должна быть точкой (Point), получено {kind}",
    "bad point coordinates {coords}": "неверные координаты точки {coords}",
    "no point geometry and no lat/lon columns": "нет ни точечной геометрии, ни столбцов lat/lon",
    "missing required column(s): {missing} (columns found: {found}; accepted names: "
    "{accepted})":
        "нет обязательных столбцов: {missing} (найдены столбцы: {found}; допустимые "
        "названия: {accepted})",
    "missing required column(s): {missing} (columns found: {found})":
        "нет обязательных столбцов: {missing} (найдены столбцы: {found})",
    "missing required column(s): {missing}": "нет обязательных столбцов: {missing}",
    "missing column": "нет столбца",
    "not a number: {value!r}": "не число: {value!r}",
    "a number is required (missing or NaN)": "нужно число (пусто или NaN)",
    "the id is empty": "пустой код",
    "empty id": "пустой код",
    "empty point id": "пустой код точки",
    "duplicate id {id!r} (first at row {first})": "повторный код {id!r} (впервые в строке {first})",
    "must be within [-{limit:g}, {limit:g}], got {value:g}":
        "должно быть в пределах [-{limit:g}, {limit:g}], получено {value:g}",
    "must be in (0, 50000] metres, got {value:g}":
        "должно быть в пределах (0, 50000] м, получено {value:g}",
    "{name} must be in (0, 50000] metres, got {value:g}":
        "{name}: должно быть в пределах (0, 50000] м, получено {value:g}",
    "unknown {field} {value!r}; expected one of {allowed}":
        "неизвестное значение {field} {value!r}; допустимо: {allowed}",
    "{n_out:,} of {n:,} rows lie outside Russia and {n_swapped:,} of them would lie inside "
    "with lat and lon swapped (row {at_row}: lat {lat:g}, lon {lon:g}): are the latitude and "
    "longitude columns swapped? Fix the columns, or pass --allow-outside for a network abroad":
        "строк вне России — {n_out:,} из {n:,}, и {n_swapped:,} из них оказались бы в России, "
        "если поменять lat и lon местами (строка {at_row}: lat {lat:g}, lon {lon:g}): не "
        "перепутаны ли столбцы широты и долготы? Исправьте столбцы или укажите "
        "--allow-outside для сети за рубежом",
    "{file}: {n_out:,} of {n:,} row(s) lie outside Russia (rows {rows}); check them, or "
    "pass --allow-outside for a network abroad":
        "{file}: строк вне России — {n_out:,} из {n:,} (строки {rows}); проверьте их или "
        "укажите --allow-outside для сети за рубежом",
    "not a valid protection policy: {why}": "неверная политика защиты: {why}",
    "cannot read the territory outline: {error}":
        "не удаётся прочитать контур территории: {error}",
    "the territory outline is empty": "контур территории пуст",
    "cannot read the reward policy: {why}": "не удаётся прочитать политику вознаграждений: {why}",
    "cannot read policy: {why}": "не удаётся прочитать политику: {why}",
    "not valid TOML: {why}": "неверный TOML: {why}",
    # --- options of the commands
    "{name} must be four numbers minlon,minlat,maxlon,maxlat, got {text!r}":
        "{name}: нужны четыре числа minlon,minlat,maxlon,maxlat, получено {text!r}",
    "{name} longitudes must be in [-180, 180]": "{name}: долготы должны быть в [-180, 180]",
    "{name} latitudes must be in [-90, 90] with minlat {rel} maxlat":
        "{name}: широты должны быть в [-90, 90], причём minlat {rel} maxlat",
    "give either --region or --bbox, not both": "укажите либо --region, либо --bbox, но не оба",
    "give either a region or a bbox, not both": "укажите либо регион, либо рамку, но не оба",
    "--region: no settlement called {name!r}{hint}":
        "--region: нет населённого пункта {name!r}{hint}",
    "; did you mean {names}?": "; может быть, {names}?",
    "the map is HTML: use a .html output, got {name!r}":
        "карта записывается в HTML: укажите файл .html, получено {name!r}",
    "the zones have no geometry": "у зон нет геометрии",
    "not a readable GeoJSON/GeoPackage of zones: {why}":
        "не удаётся прочитать зоны (GeoJSON/GeoPackage): {why}",
    "--decay must be power or exponential, got {decay!r}":
        "--decay: допустимо power или exponential, получено {decay!r}",
    "--reward-rate must be in [0, 1], got {rate:g}":
        "--reward-rate: должно быть в [0, 1], получено {rate:g}",
    "no open points to model (all closed)": "нет открытых точек для модели (все закрыты)",
    "--orders needs --month YYYY-MM (the months to calibrate on)":
        "для --orders нужен --month ГГГГ-ММ (месяцы для калибровки)",
    "give the turnover either as a turnover_rub column or as --orders, not both":
        "укажите оборот либо столбцом turnover_rub, либо через --orders, но не обоими "
        "способами",
    "--month needs --orders ORDERS.csv": "для --month нужен --orders ORDERS.csv",
    "--month must be YYYY-MM, got {month!r}": "--month: нужен формат ГГГГ-ММ, получено {month!r}",
    "must be a number >= 0, got {value!r}": "должно быть числом >= 0, получено {value!r}",
    "not a day (YYYY-MM-DD): {value!r}": "не дата (ГГГГ-ММ-ДД): {value!r}",
    "--k must be at least 1, got {k}": "--k: должно быть не меньше 1, получено {k}",
    "--exact must be auto, always or never, got {exact!r}":
        "--exact: допустимо auto, always или never, получено {exact!r}",
    "--time-limit-s must be positive, got {value:g}":
        "--time-limit-s: должно быть положительным, получено {value:g}",
    "{option} must be a comma-separated list of {known}; got {text!r}":
        "{option}: нужен список через запятую из {known}; получено {text!r}",
    "--to {to} is before --from {first}": "--to {to} раньше, чем --from {first}",
    "unknown node cache {cache!r}; use one of {types} (file-backed ones as TYPE,FILE)":
        "неизвестный кэш узлов {cache!r}; используйте один из: {types} (файловые — как "
        "ТИП,ФАЙЛ)",
    "{kind} needs a file: {kind},/path/to/nodes.cache":
        "для {kind} нужен файл: {kind},/путь/к/nodes.cache",
    "not an OSM file name; use one of {suffixes}":
        "имя файла не похоже на OSM; используйте одно из расширений: {suffixes}",
    "not a readable OSM file ({why})": "не удаётся прочитать файл OSM ({why})",
    "no settlements found: nothing to write": "населённые пункты не найдены: записывать нечего",
    # --- settlement boundaries (--boundaries)
    "the file has no features": "в файле нет объектов",
    "not a readable GeoPackage/GeoJSON file ({why})":
        "не удаётся прочитать файл GeoPackage/GeoJSON ({why})",
    "cannot reproject to EPSG:4326 ({why})": "не удаётся перевести в EPSG:4326 ({why})",
    "{message}{where}{more}": "{message}{where}{more}",
    " (feature {name!r})": " (объект {name!r})",
    "; {n:,} more bad feature(s)": "; ещё объектов с ошибками: {n:,}",
    "the name is empty": "пустое название",
    "the population is missing": "не указано население",
    "not a whole number of people: {value!r}": "не целое число жителей: {value!r}",
    "must be >= 0, got {value}": "должно быть >= 0, получено {value}",
    "must be below {max:,}, got {value:,}": "должно быть меньше {max:,}, получено {value:,}",
    "the geometry is missing": "нет геометрии",
    "not a valid polygon: {why}": "неверный полигон: {why}",
    "the geometry is empty": "пустая геометрия",
    "must be a Polygon or MultiPolygon, got {kind}":
        "должно быть Polygon или MultiPolygon, получено {kind}",
    "coordinates are not longitude/latitude degrees (a vertex at {x:g}, {y:g}): is the "
    "file's CRS declared?":
        "координаты не в градусах долготы/широты (вершина в {x:g}; {y:g}): указана ли система "
        "координат (CRS) файла?",
    # --- demand, features and calibration
    "area_m2 and rating must be positive and fitting_rooms >= 0":
        "area_m2 и rating должны быть положительными, а fitting_rooms — не меньше 0",
    "the demand weights sum to zero": "сумма весов спроса равна нулю",
    "must be a finite number >= 0, got {value!r}":
        "должно быть конечным числом >= 0, получено {value!r}",
    "must be a valid WGS84 coordinate, got {value!r}":
        "должно быть допустимой координатой WGS84, получено {value!r}",
    "{n:,} points with known turnover; calibration needs at least {need:,} with some turnover":
        "точек с известным оборотом: {n:,}; для калибровки нужно не меньше {need:,} с "
        "ненулевым оборотом",
    # --- rewards: points and orders
    "month must be YYYY-MM, got {month!r}":
        "месяц должен быть в формате ГГГГ-ММ, получено {month!r}",
    "{last} is before {first}": "{last} раньше, чем {first}",
    "closed_days_2020 = {closed} clamped to {window}: only {window} days of {first}..{last} "
    "are on or after the opening day {opened}":
        "closed_days_2020 = {closed} уменьшено до {window}: в периоде {first}..{last} "
        "начиная с дня открытия {opened} всего дней: {window}",
    "unknown point {id!r}": "неизвестная точка {id!r}",
    "point id {id!r} appears twice": "код точки {id!r} встречается дважды",
    "{days} closed days: must be 0 or more": "дней закрытия: {days}; должно быть 0 или больше",
    "negative price": "отрицательная цена",
    "negative price {price!r}": "отрицательная цена {price!r}",
    "price {price!r} has more than two decimals (kopecks)":
        "в цене {price!r} больше двух знаков после точки (копеек)",
    "price {price!r} is too large": "цена {price!r} слишком велика",
    "price {price!r} is not a decimal number like 1234.50 or 1 234,50":
        "цена {price!r} — не десятичное число вида 1234,50 или 1 234,50",
    "price {price!r} is ambiguous (both a thousands and a decimal separator?): write it as "
    "1234.50 or 1234,50":
        "цена {price!r} неоднозначна (разделитель тысяч и десятичный одновременно?): "
        "запишите как 1234,50",
    "price {price!r} is ambiguous: more than two decimals (kopecks), or a thousands "
    "separator? Write roubles and at most two decimals, e.g. 1234 or 1234,50":
        "цена {price!r} неоднозначна: больше двух знаков после запятой (копейки) или "
        "разделитель тысяч? Запишите рубли и не больше двух знаков, например 1234 или 1234,50",
    "price {price!r} is not a decimal number like 1234.50":
        "цена {price!r} — не десятичное число вида 1234.50",
    "price must be whole kopecks >= 0, got {price!r}":
        "цена должна быть целым числом копеек >= 0, получено {price!r}",
    "issued before point {id!r} opened ({opened})": "выдан до открытия точки {id!r} ({opened})",
    "order id {id!r} appears twice with different content (first at row {first})":
        "код заказа {id!r} встречается дважды с разным содержимым (впервые в строке {first})",
    "{value!r} is not a non-negative decimal number":
        "{value!r} — не неотрицательное десятичное число",
    "must be at most {upper:g}": "должно быть не больше {upper:g}",
    "{value!r} is neither a non-negative whole number of days nor a list of days "
    "YYYY-MM-DD;YYYY-MM-DD":
        "{value!r} — не целое неотрицательное число дней и не список дат "
        "ГГГГ-ММ-ДД;ГГГГ-ММ-ДД",
    "{value!r} lists a day that does not exist": "в {value!r} есть несуществующая дата",
    "unknown status {status!r}; expected one of {allowed}":
        "неизвестный статус {status!r}; допустимо: {allowed}",
    "{day!r} is not an existing date YYYY-MM-DD": "{day!r} — не существующая дата ГГГГ-ММ-ДД",
    "both returned_on and cancelled_on are set; an item is either returned or cancelled":
        "заполнены и returned_on, и cancelled_on; товар либо возвращён, либо отменён",
    "{name} is set but the status is {status!r}; an item with a {name} has status "
    "{expected!r}":
        "{name} заполнено, но статус {status!r}; у товара с {name} статус {expected!r}",
    "{name} {day} is before the issue day {issued_on}":
        "{name} {day} раньше дня выдачи {issued_on}",
}  # fmt: skip
