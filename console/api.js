// The operator API (docs/operator-api.md) as the console calls it: the key
// from session storage as a Bearer header, answers as JSON, and every
// failure turned into a sentence an operator can act on.

const KEY = 'estd.console.apiKey';

export class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

export function storedKey() {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

// Called when the server refuses the key in the middle of a session (the key
// was removed from the configuration): the page signs out.
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

function describe(status, path, detail) {
  const why = detail ? `: ${detail}` : '';
  switch (status) {
    case 400: return `estd refused the request as malformed (400)${why}`;
    case 401: return `The API key was refused (401)${why}`;
    case 403: return `Admin access required: this API key may not call ${path} (403)${why}`;
    case 404: return `Not found (404)${why}`;
    case 409: return `Conflict (409)${why}`;
    case 413: return `The request is too large for estd (413)${why}`;
    case 429: return `Too many requests (429)${why}`;
    case 501: return `Not available in this estd (501)${why}`;
    case 503: return `estd cannot answer now (503)${why}`;
    default: return `estd answered HTTP ${status}${why}`;
  }
}

// GET or POST `path`; resolves to {status, data} for 2xx, rejects with an
// ApiError whose message says what went wrong.
export async function api(path, {method = 'GET', body, key = storedKey()} = {}) {
  const headers = {Accept: 'application/json'};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch (e) {
    throw new ApiError(0, `estd could not be reached (${e.message}). Is it running, and is this ` +
      'the address it serves?');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) {
    if (data === null) throw new ApiError(response.status, `estd answered ${path} with something that is not JSON`);
    return {status: response.status, data};
  }
  const detail = data?.error ?? text.trim().slice(0, 300);
  const error = new ApiError(response.status, describe(response.status, path, detail));
  if (response.status === 401 && key === storedKey()) onUnauthorized(error);
  throw error;
}

// Query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(name, value);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
