// Small helpers shared by the modeller and the viewer: JSON calls with the page's CSRF token.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

export async function postJSON(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
      'X-CSRFToken': csrfToken(),
    },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = { message: `The server answered ${response.status} without a readable body.` };
  }
  return { ok: response.ok, status: response.status, data };
}

export async function getJSON(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

// An element with text content only (never HTML from data).
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
