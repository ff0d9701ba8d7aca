export function money(amount, currency, locale = "en") {
  if (amount === null || amount === undefined) return "—";
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

export function date(value, locale = "en") {
  if (!value) return "—";
  return new Date(value).toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
}

export function dateTime(value, locale = "en") {
  if (!value) return "—";
  return new Date(value).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

export function actorLabel(actor) {
  if (!actor) return "—";
  if (actor.user?.email) return actor.user.email;
  if (actor.app?.name) return actor.app.name;
  return actor.type;
}

/** Saleor's global ID of an order, from the UUID the ledger keeps. */
export function orderGlobalId(uuid) {
  return btoa(`Order:${uuid}`);
}

export function withinDays(value, days) {
  if (!value) return false;
  return new Date(value).getTime() - Date.now() <= days * 24 * 3600 * 1000;
}

export function userIdFromGlobal(id) {
  return id;
}
