/* i18n.js: the map UI's words in Russian (the default) and English, and the Russian number,
 * money, date and plural formats (Intl). window.PvzI18n.t(key, params) fills {name} slots;
 * a value may be a function of params (plurals). */
(function (root) {
  "use strict";

  function plural(lang, n, forms) {
    if (lang !== "ru") return n === 1 ? forms[0] : forms[forms.length - 1];
    var r = new Intl.PluralRules("ru-RU").select(n);
    return r === "one" ? forms[0] : r === "few" ? forms[1] : forms[2];
  }

  var ru = {
    title: "pvz-planner: карта сети",
    search_ph: "Населённый пункт или координаты (55.7558, 37.6173)",
    mode_check: "Проверка", mode_browse: "Просмотр", mode_measure: "Линейка",
    hint_check: "Щёлкните в любом месте карты, чтобы проверить точку (точки сети щелчок не перехватывают).",
    hint_browse: "Щёлкните по точке сети, чтобы увидеть её карточку.",
    hint_measure: "Два щелчка: геодезическое расстояние между ними (WGS84).",
    check_title: "Проверка защиты",
    permalink: "Ссылка", export_hint: "точки в окне",
    ws_title: "Белые пятна в окне (по рангу)",
    queue_title: "Заявки", reload: "Обновить",
    st_pending: "На рассмотрении", st_refused: "Отказано сразу (заблокированы)",
    st_approved: "Одобрены", st_rejected: "Отклонены", st_all: "Все",
    st_withdrawn: "Отозваны", st_expired: "Резерв истёк",
    withdraw: "Отозвать заявку", err_withdraw: "Не удалось отозвать заявку",
    withdrawn_msg: function (p) { return "Заявка " + p.id + " отозвана, место освобождено"; },
    sort_oldest: "Сначала старые", sort_newest: "Сначала новые",
    settlement_ph: "Фильтр: населённый пункт",
    key_title: "API-ключ", key_hint: "Ваш X-API-Key (хранится только в этой сессии браузера).",
    key_use: "Войти",
    lang_switch: "EN",
    role_admin: "администратор", role_expansion: "развитие сети", role_partner: "партнёр",
    layer_base: "Подложка (тайлы)", layer_points: "Точки", layer_density: "Плотность сети",
    layer_circles: "Зоны защиты", layer_heat: "Спрос (тепловая карта)",
    layer_check: "Результат проверки", layer_reservations: "Резервы (заявки)",
    layer_violations: "Нарушения (аудит)", layer_whitespace: "Белые пятна",
    layer_measure: "Линейка",
    kind_partner: "партнёрский ПВЗ", kind_own: "собственный ПВЗ", kind_postamat: "постамат",
    status_active: "работает", status_paused: "приостановлен", status_closed: "закрыт",
    legend_title: "Условные обозначения",
    lg_points: "Точки сети", lg_closed: "закрыт: серый с обводкой цвета типа (не защищает)",
    lg_paused: "приостановлен: полый кружок цвета типа",
    lg_circle: "зона защиты действующей точки ({kinds}; {statuses}), с масштаба 12",
    lg_no_circle: "постаматы и закрытые точки не защищают: без круга",
    lg_density: "ячейка H3: число точек (площадь ∝ числу)",
    lg_reservation: "резерв: заявка на рассмотрении",
    lg_violation: "нарушение: пара ближе радиуса",
    lg_check_ok: "проверка: разрешено (радиус кандидата)",
    lg_check_bad: "проверка: запрещено (радиус кандидата)",
    lg_blocker: "блокирующая точка, её радиус и расстояние",
    lg_ws: "белые пятна, ранг",
    lg_measure: "линейка",
    ws_rank_1: "1–10", ws_rank_2: "11–50", ws_rank_3: "51 и далее",
    points_in_view: function (p) {
      return p.n + " " + plural("ru", p.raw, ["точка", "точки", "точек"]) + " в окне";
    },
    density_status: function (p) {
      return p.n + " " + plural("ru", p.raw, ["точка", "точки", "точек"]) + " в окне (" +
        p.live + " действующих); приблизьте, чтобы увидеть каждую.";
    },
    density_tip: function (p) {
      return p.n + " " + plural("ru", p.raw, ["точка", "точки", "точек"]) + " (" + p.live +
        " действующих)";
    },
    loading_density: "Загрузка плотности сети…",
    tiles_failed: "Подложка недоступна (нет сети?): показан встроенный контур.",
    allowed: "Разрешено", blocked: "Запрещено",
    at: "координаты", radius: "радиус", open_country: "вне населённых пунктов",
    m: "м", km: "км",
    blocking_point: "блокирует", distance: "расстояние",
    score: "оценка", expected_turnover: "ожидаемый оборот в месяц",
    expected_reward: "ожидаемое вознаграждение в месяц", net_gain: "прирост для сети",
    takes_from: "забирает у",
    point: "Точка", pp_kind: "тип", pp_status: "статус", pp_radius: "радиус, м",
    pp_settlement: "населённый пункт", pp_opened: "открыта", pp_area: "площадь, м²",
    pp_rating: "рейтинг", pp_partner: "партнёр",
    no_apps: "Нет заявок.", partner: "партнёр", kind: "тип",
    age: "возраст", submitted: "подана", reserved_until: "резерв до",
    at_submission: "при подаче", now_check: "сейчас",
    approve: "Одобрить", reject: "Отклонить", reason_ph: "причина",
    approve_unavailable: "Одобрить нельзя: место сейчас занято.",
    approved_msg: function (p) { return "Заявка " + p.id + " одобрена: теперь точка " + p.point; },
    rejected_msg: function (p) { return "Заявка " + p.id + " отклонена"; },
    conflict_msg: function (p) {
      return "409 Конфликт: заявку " + p.id + " нельзя одобрить: " + p.msg + p.det;
    },
    reject_default: "отклонено на карте",
    decided: "решение",
    err_points: "Загрузка точек", err_density: "Загрузка плотности", err_outline: "Контур",
    err_check: "Проверка", err_apps: "Заявки", err_approve: "Одобрение",
    err_reject: "Отклонение", err_settlements: "Населённые пункты", err_demand: "Спрос",
    err_ws: "Белые пятна", err_score: "Оценка", err_res: "Резервы", err_viol: "Нарушения",
    coords: "Координаты", population: "население", tz: "часовой пояс", address: "Адрес",
    err_geocode: "Поиск адреса",
    export_none: "В окне нет точек для выгрузки.",
    export_density: "В окне слишком много точек: приблизьте, чтобы выгрузить их.",
    exported: function (p) { return "Выгружено точек: " + p.n; },
    link_copied: "Ссылка на этот вид в адресной строке (и в буфере обмена).",
    measure_first: "Точка A задана; щёлкните точку B.",
    measure_result: "Расстояние",
    ws_zone: function (p) {
      return "№" + p.rank + ": спрос " + p.demand + " чел., лучшее место " + p.where;
    },
    ws_none: "В окне нет белых пятен.",
    reservation_tip: function (p) {
      return "Резерв " + p.id + " (" + p.partner + ") до " + p.until + ", радиус " + p.r + " м";
    },
    violation_tip: function (p) {
      return "Нарушение: " + p.a + " – " + p.b + ", " + p.d + " м < " + p.r + " м";
    },
  };

  var en = {
    title: "pvz-planner: network map",
    search_ph: "Settlement or coordinates (55.7558, 37.6173)",
    mode_check: "Check", mode_browse: "Browse", mode_measure: "Measure",
    hint_check: "Click anywhere on the map to check the spot (network points do not catch the click).",
    hint_browse: "Click a network point to see its card.",
    hint_measure: "Two clicks: the geodesic distance between them (WGS84).",
    check_title: "Protection check",
    permalink: "Link", export_hint: "points in view",
    ws_title: "White space in view (by rank)",
    queue_title: "Applications", reload: "Reload",
    st_pending: "Pending", st_refused: "Refused at once (blocked)",
    st_approved: "Approved", st_rejected: "Rejected", st_all: "All",
    st_withdrawn: "Withdrawn", st_expired: "Expired",
    withdraw: "Withdraw the application", err_withdraw: "Could not withdraw the application",
    withdrawn_msg: function (p) { return "Withdrew " + p.id + "; its spot is free"; },
    sort_oldest: "Oldest first", sort_newest: "Newest first",
    settlement_ph: "Filter: settlement",
    key_title: "API key", key_hint: "Your X-API-Key (kept for this browser session only).",
    key_use: "Use key",
    lang_switch: "RU",
    role_admin: "admin", role_expansion: "expansion", role_partner: "partner",
    layer_base: "Base map (tiles)", layer_points: "Points", layer_density: "Network density",
    layer_circles: "Protection circles", layer_heat: "Demand heat",
    layer_check: "Check result", layer_reservations: "Reservations (applications)",
    layer_violations: "Violations (audit)", layer_whitespace: "White space",
    layer_measure: "Measure",
    kind_partner: "partner pickup point", kind_own: "own pickup point", kind_postamat: "postamat",
    status_active: "active", status_paused: "paused", status_closed: "closed",
    legend_title: "Legend",
    lg_points: "Network points", lg_closed: "closed: grey, outlined in the kind's colour (protects nothing)",
    lg_paused: "paused: hollow ring in the kind's colour",
    lg_circle: "protection circle of a live point ({kinds}; {statuses}), from zoom 12",
    lg_no_circle: "postamats and closed points protect nothing: no circle",
    lg_density: "H3 cell: number of points (area ∝ count)",
    lg_reservation: "reservation: application under review",
    lg_violation: "violation: pair closer than its radius",
    lg_check_ok: "check: allowed (candidate's radius)",
    lg_check_bad: "check: blocked (candidate's radius)",
    lg_blocker: "blocking point, its radius and the distance",
    lg_ws: "white space, rank",
    lg_measure: "measure",
    ws_rank_1: "1–10", ws_rank_2: "11–50", ws_rank_3: "51 and on",
    points_in_view: function (p) { return p.n + (p.raw === 1 ? " point" : " points") + " in view"; },
    density_status: function (p) {
      return p.n + (p.raw === 1 ? " point" : " points") + " in view (" + p.live +
        " live); zoom in to see them one by one.";
    },
    density_tip: function (p) {
      return p.n + (p.raw === 1 ? " point" : " points") + " (" + p.live + " live)";
    },
    loading_density: "Loading the network density…",
    tiles_failed: "Base map unavailable (offline?): showing the bundled outline.",
    allowed: "Allowed", blocked: "Blocked",
    at: "at", radius: "radius", open_country: "open country",
    m: "m", km: "km",
    blocking_point: "blocking point", distance: "distance",
    score: "score", expected_turnover: "expected monthly turnover",
    expected_reward: "expected monthly reward", net_gain: "net gain for the network",
    takes_from: "takes from",
    point: "Point", pp_kind: "kind", pp_status: "status", pp_radius: "radius, m",
    pp_settlement: "settlement", pp_opened: "opened", pp_area: "area, m²",
    pp_rating: "rating", pp_partner: "partner",
    no_apps: "No applications.", partner: "partner", kind: "kind",
    age: "age", submitted: "submitted", reserved_until: "reserved until",
    at_submission: "at submission", now_check: "now",
    approve: "Approve", reject: "Reject", reason_ph: "reason",
    approve_unavailable: "Cannot approve: the spot is taken now.",
    approved_msg: function (p) { return "Approved " + p.id + ": now point " + p.point; },
    rejected_msg: function (p) { return "Rejected " + p.id; },
    conflict_msg: function (p) {
      return "409 Conflict: " + p.id + " cannot be approved: " + p.msg + p.det;
    },
    reject_default: "rejected on the map",
    decided: "decided",
    err_points: "Loading points", err_density: "Loading the density", err_outline: "Outline",
    err_check: "Protection check", err_apps: "Applications", err_approve: "Approve",
    err_reject: "Reject", err_settlements: "Settlements", err_demand: "Demand heat",
    err_ws: "White space", err_score: "Score", err_res: "Reservations", err_viol: "Violations",
    coords: "Coordinates", population: "population", tz: "time zone", address: "Address",
    err_geocode: "Address search",
    export_none: "No points in view to export.",
    export_density: "Too many points in view: zoom in to export them.",
    exported: function (p) { return "Exported points: " + p.n; },
    link_copied: "The link to this view is in the address bar (and the clipboard).",
    measure_first: "Point A set; click point B.",
    measure_result: "Distance",
    ws_zone: function (p) {
      return "#" + p.rank + ": demand " + p.demand + " people, best site " + p.where;
    },
    ws_none: "No white space in view.",
    reservation_tip: function (p) {
      return "Reservation " + p.id + " (" + p.partner + ") until " + p.until + ", radius " + p.r +
        " m";
    },
    violation_tip: function (p) {
      return "Violation: " + p.a + " – " + p.b + ", " + p.d + " m < " + p.r + " m";
    },
  };

  var DICTS = { ru: ru, en: en };
  var state = { lang: "ru" };

  function t(key, params) {
    var d = DICTS[state.lang] || ru;
    var v = d[key] !== undefined ? d[key] : ru[key];
    if (v === undefined) return key;
    if (typeof v === "function") return v(params || {});
    if (params) v = v.replace(/\{(\w+)\}/g, function (m, k) {
      return params[k] !== undefined ? params[k] : m;
    });
    return v;
  }

  function locale() { return state.lang === "en" ? "en-GB" : "ru-RU"; }

  /* 1234567.5 -> "1 234 567,5" (ru) / "1,234,567.5" (en). */
  function num(v, digits) {
    if (v === null || v === undefined || v === "" || !isFinite(Number(v))) return String(v);
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits === undefined ? 1 :
      digits }).format(Number(v));
  }

  /* A decimal string of roubles -> "5 638 651,94 ₽" (ru) / "RUB 5,638,651.94" (en). */
  function money(v) {
    if (v === null || v === undefined || v === "" || !isFinite(Number(v))) return String(v);
    return new Intl.NumberFormat(locale(), { style: "currency", currency: "RUB",
      minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(v));
  }

  /* An ISO timestamp (UTC when it names no zone; microseconds allowed) as a Date. */
  function parseIso(s) {
    if (!s) return null;
    var m = String(s).replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    if (/^\d{4}-\d{2}-\d{2}$/.test(m)) return new Date(m + "T00:00:00");
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(m)) m += "Z";
    var d = new Date(m);
    return isNaN(d.getTime()) ? null : d;
  }

  /* In the user's time zone: "30 нояб. 2026 г., 04:58". Dates alone: "30 нояб. 2026 г.". */
  function datetime(s) {
    var d = parseIso(s);
    if (!d) return s ? String(s) : "";
    var dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(String(s));
    return new Intl.DateTimeFormat(locale(), dateOnly ? { dateStyle: "medium" } :
      { dateStyle: "medium", timeStyle: "short" }).format(d);
  }

  /* How long ago: "3 дня назад" / "3 days ago". */
  function age(s, now) {
    var d = parseIso(s);
    if (!d) return "";
    var sec = ((now || Date.now()) - d.getTime()) / 1000;
    var rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
    if (sec < 3600) return rtf.format(-Math.round(sec / 60), "minute");
    if (sec < 86400) return rtf.format(-Math.round(sec / 3600), "hour");
    return rtf.format(-Math.round(sec / 86400), "day");
  }

  root.PvzI18n = { t: t, num: num, money: money, datetime: datetime, age: age,
    parseIso: parseIso, locale: locale, state: state, dicts: DICTS,
    setLang: function (l) { state.lang = DICTS[l] ? l : "ru"; } };
})(window);
