// GraphQL against the Saleor that served the page. The URL comes from the page
// itself (same origin, also enforced by the page's Content-Security-Policy),
// never from the iframe's query string, so the token cannot be sent elsewhere.
const meta = document.querySelector('meta[name="storecredit-api-url"]');
const API_URL = new URL(meta?.content || "/graphql/", window.location.href);

export class ApiError extends Error {
  constructor(errors) {
    super(errors.map(error => error.message).join(" "));
    this.errors = errors;
    this.permissionDenied = errors.some(
      error =>
        error.extensions?.exception?.code === "PermissionDenied" ||
        /permission/i.test(error.message || ""),
    );
  }
}

export async function gql(token, query, variables = {}) {
  if (!token) throw new ApiError([{ message: "The Dashboard has not sent a token yet." }]);
  if (API_URL.origin !== window.location.origin) {
    throw new ApiError([{ message: "Refusing to send the token to another origin." }]);
  }
  const response = await fetch(API_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    credentials: "omit",
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError([{ message: `Saleor answered ${response.status}.` }]);
  }
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data;
}

/** Run a mutation and return its payload (`data[field]`); the payload's own
 * errors are thrown like the API's, as an ApiError carrying every message. */
export async function mutate(token, query, variables, field) {
  const payload = (await gql(token, query, variables))[field];
  if (payload.errors?.length) throw new ApiError(payload.errors);
  return payload;
}

/** Every message of an error thrown by `gql` or `mutate`. */
export function messagesOf(error) {
  return error.errors ? error.errors.map(item => item.message) : [error.message];
}

/** A mutation payload's `errors` as {field: message} plus a general list. */
export function splitErrors(errors) {
  const byField = {};
  const general = [];
  for (const error of errors || []) {
    if (error.field) byField[error.field] = error.message;
    else general.push(error.message);
  }
  return { byField, general };
}

export function newKey(prefix) {
  return `${prefix}-${crypto.randomUUID()}`;
}
