"""The `http` connector: one HTTP request with a JSON body; status, headers and JSON come back as variables.

Parameters (Camunda's http-connector names first, Baton's and SpiffArena's accepted too):
`url`, `method` (GET), `headers` (a map), `payload` / `json` / `data` (a JSON body: a dict or list is
encoded, text is sent as written), `query` / `params` (a map added to the URL), `timeout` (seconds,
never more than the call's own), `basic_auth_username` / `basic_auth_password`.

Result: `status` (also `statusCode`), `headers` (lower-case names), `body` (the parsed JSON, else the
text) and `response` (the body as text, as Camunda's connector names it).

Failures: 5xx, 408, 429, timeouts and connection errors can be retried; other 4xx cannot. The code
of a status failure is `HTTP_<status>` (what a model's error boundary event names as errorCode).
Every request carries the call's `Idempotency-Key`, so a server honouring it applies a retried
call once.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from email.message import Message
from typing import Any

from connectors.errors import ConnectorError
from connectors.registry import CallContext, Connector

MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # a larger body is refused rather than kept in a variable
EXCERPT_CHARS = 500  # of a failed response body, shown in the incident
RETRYABLE_STATUSES = frozenset({408, 425, 429})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
USER_AGENT = "Baton (BPMN process orchestration)"


def call(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
    """Send the request the parameters describe and return its status, headers and body."""
    request = _request(params, context)
    timeout = _timeout(params.get("timeout"), context.timeout)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # scheme checked: http(s) only
            raw = response.read(MAX_RESPONSE_BYTES + 1)
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read(MAX_RESPONSE_BYTES + 1) if error.fp is not None else b""
        raise _status_error(request, error.code, _text(raw, error.headers)) from None
    except TimeoutError as error:
        raise _timeout_error(request, timeout, error) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise _timeout_error(request, timeout, error.reason) from None
        raise ConnectorError(
            f"cannot reach {_where(request)}: {error.reason}",
            retryable=True, code="CONNECTION", details={"url": request.full_url},
        ) from None
    except (ConnectionError, OSError) as error:  # reset while reading, refused, unreachable
        raise ConnectorError(
            f"connection to {_where(request)} failed: {error}",
            retryable=True, code="CONNECTION", details={"url": request.full_url},
        ) from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise ConnectorError(
            f"the response of {_where(request)} is larger than {MAX_RESPONSE_BYTES} bytes",
            retryable=False, code="RESPONSE_TOO_LARGE", details={"url": request.full_url},
        )
    text = _text(raw, headers)
    return {
        "status": status,
        "statusCode": status,
        "headers": {name.lower(): value for name, value in headers.items()},
        "body": _body(text, headers),
        "response": text,
    }


def for_method(method: str) -> Connector:
    """The http connector with a fixed method (SpiffArena's `http/GetRequest`, `http/PostRequest`, ...)."""

    def fixed(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
        return call({**params, "method": method}, context)

    fixed.__doc__ = f"An HTTP {method} request (see connectors.http.call)."
    return fixed


def _request(params: Mapping[str, Any], context: CallContext) -> urllib.request.Request:
    url = params.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConnectorError("the http connector needs a `url` parameter", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "url"})
    url = _with_query(url.strip(), params.get("query", params.get("params")))
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ConnectorError(f"the url {url!r} is not http:// or https://", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "url"})
    method = str(params.get("method") or "GET").strip().upper()
    if method not in METHODS:
        raise ConnectorError(f"unknown HTTP method {method!r}; use one of {', '.join(sorted(METHODS))}",
                             retryable=False, code="BAD_PARAMS", details={"parameter": "method"})
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, */*;q=0.5"}
    headers.update(_headers(params.get("headers")))
    if not any(name.lower() == "idempotency-key" for name in headers):
        headers["Idempotency-Key"] = context.idempotency_key
    user, password = params.get("basic_auth_username"), params.get("basic_auth_password")
    if user:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    data = _payload(params, headers)
    return urllib.request.Request(url, data=data, headers=headers, method=method)


def _with_query(url: str, query: Any) -> str:
    if not query:
        return url
    if not isinstance(query, Mapping):
        raise ConnectorError("`query` must be a map of names to values", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "query"})
    encoded = urllib.parse.urlencode({str(k): "" if v is None else str(v) for k, v in query.items()})
    return f"{url}{'&' if '?' in url else '?'}{encoded}"


def _headers(raw: Any) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):  # a JSON object written as text
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, Mapping):
        raise ConnectorError("`headers` must be a map of names to values", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "headers"})
    return {str(name): str(value) for name, value in raw.items() if value is not None}


def _payload(params: Mapping[str, Any], headers: dict[str, str]) -> bytes | None:
    for name in ("payload", "json", "data", "body"):
        if name in params and params[name] is not None:
            value = params[name]
            break
    else:
        return None
    has_type = any(h.lower() == "content-type" for h in headers)
    if isinstance(value, str):
        if not has_type:
            headers["Content-Type"] = "application/json" if _is_json(value) else "text/plain; charset=utf-8"
        return value.encode()
    if isinstance(value, bytes):
        return value
    if not has_type:
        headers["Content-Type"] = "application/json"
    return json.dumps(value, default=str, ensure_ascii=False).encode()


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _timeout(raw: Any, ceiling: float) -> float:
    try:
        wanted = float(raw) if raw not in (None, "") else ceiling
    except (TypeError, ValueError):
        raise ConnectorError(f"`timeout` must be a number of seconds, not {raw!r}", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "timeout"}) from None
    return max(0.001, min(wanted, ceiling))


def _text(raw: bytes, headers: Message | None) -> str:
    charset = (headers.get_content_charset() if headers is not None else None) or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _body(text: str, headers: Message) -> Any:
    kind = headers.get_content_type()
    if text and (kind == "application/json" or kind.endswith("+json") or kind == "text/plain"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _where(request: urllib.request.Request) -> str:
    return f"{request.get_method()} {request.full_url}"


def _status_error(request: urllib.request.Request, status: int, text: str) -> ConnectorError:
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    excerpt = text[:EXCERPT_CHARS]
    return ConnectorError(
        f"{_where(request)} answered {status}" + (f": {excerpt}" if excerpt else ""),
        retryable=retryable, code=f"HTTP_{status}",
        details={"status": status, "url": request.full_url, "body": excerpt},
    )


def _timeout_error(request: urllib.request.Request, timeout: float, error: BaseException) -> ConnectorError:
    return ConnectorError(
        f"{_where(request)} gave no answer within {timeout:g} s", retryable=True, code="TIMEOUT",
        details={"url": request.full_url, "timeout": timeout, "error": str(error)},
    )
