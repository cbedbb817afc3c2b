"""Which connectors this server runs, under which names, with which settings, timeouts and retries.

Configuration (app config first, else the environment variable of the same name):
- BATON_CONNECTOR_BINDINGS: JSON object binding names a model uses that Baton cannot run by itself
  (a `camunda:class`, a delegate bean, an external-task topic) to a connector:
  `{"org.example.ScoreDelegate": "http"}`, or to a connector with parameters, whose `${...}`
  strings are evaluated over the task's variables when the call is made (the task's own input
  parameters override them): `{"org.example.ArchiveService": {"connector": "http", "params":
  {"method": "POST", "url": "https://archive.example/invoices", "json": {"number": "${invoiceNumber}"}}}}`.
- BATON_CONNECTOR_SETTINGS: JSON object of settings per connector, e.g.
  `{"email": {"host": "smtp.example.org", "port": 587, "starttls": true, "user": "...",
  "password": "...", "from": "baton@example.org"}}`. Without email settings, SMTP_URL
  (`smtp://user:password@host:port?starttls=1&from=...`) is used.
- BATON_SERVICE_TIMEOUT_S: longest a connector call may take (30 s).
- BATON_SERVICE_LEASE_S: how long past its timeout a running call is presumed lost with its worker
  and is run again with the same idempotency key (30 s).
- BATON_SERVICE_RETRY: the retry cycle of tasks whose model names none (`R3/PT10S` style; by
  default three attempts, 10 s then 60 s apart).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app

import bpmn
import connectors

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_LEASE_S = 30.0
_KEY = "baton.connectors"

KIND_WORDS = {
    "connector": "the connector id",
    "external": "the external-task topic",
    "class": "the Java class (camunda:class)",
    "delegateExpression": "the delegate expression (camunda:delegateExpression)",
    "expression": "the expression (camunda:expression)",
    "operator": "the SpiffArena operator",
}


@dataclass(frozen=True)
class ConnectorSetup:
    """The registry with this server's bindings, and the settings handed to each connector."""

    registry: connectors.Registry
    settings: dict[str, dict[str, Any]]
    broken_bindings: dict[str, str]
    """Bindings that name no connector: alias -> why, said in the incident of a task that uses one."""
    binding_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Parameters a binding gives its connector (alias -> params, `${...}` not yet evaluated)."""


def _json_setting(app: Flask, name: str) -> dict[str, Any]:
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name) or "{}"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            log.error("%s is not valid JSON (%s); ignoring it", name, exc)
            return {}
    if not isinstance(value, dict):
        log.error("%s must be a JSON object; ignoring it", name)
        return {}
    return value


def _smtp_settings(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    settings: dict[str, Any] = {"host": parts.hostname or "", "ssl": parts.scheme == "smtps"}
    if parts.port:
        settings["port"] = parts.port
    if parts.username:
        settings["user"] = unquote(parts.username)
        settings["password"] = unquote(parts.password or "")
    if "starttls" in query:
        settings["starttls"] = query["starttls"]
    if "from" in query:
        settings["from"] = query["from"]
    return settings


def build(app: Flask) -> ConnectorSetup:
    """The connector set-up of `app` (built once, kept on the app)."""
    found: ConnectorSetup | None = app.extensions.get(_KEY)
    if found is not None:
        return found
    registry = connectors.default_registry()
    broken: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}
    for alias, binding in _json_setting(app, "BATON_CONNECTOR_BINDINGS").items():
        target, bound_params = _binding(binding)
        if target is None:
            broken[str(alias)] = ("its binding must be a connector name or "
                                  f'{{"connector": name, "params": {{...}}}}, not {binding!r}')
            log.error("BATON_CONNECTOR_BINDINGS: %s: %s", alias, broken[str(alias)])
            continue
        try:
            registry.alias(str(alias), target)
        except connectors.UnknownConnector as exc:
            broken[str(alias)] = f"it is bound to {target!r}, but {exc}"
            log.error("BATON_CONNECTOR_BINDINGS: %s -> %s: %s", alias, target, exc)
            continue
        if bound_params:
            params[str(alias)] = bound_params
    settings = {str(k): dict(v) for k, v in _json_setting(app, "BATON_CONNECTOR_SETTINGS").items()
                if isinstance(v, dict)}
    smtp_url = app.config.get("SMTP_URL") or os.environ.get("SMTP_URL")
    if "email" not in settings and smtp_url:
        settings["email"] = _smtp_settings(str(smtp_url))
    setup = ConnectorSetup(registry, settings, broken, params)
    app.extensions[_KEY] = setup
    return setup


def _binding(value: Any) -> tuple[str | None, dict[str, Any]]:
    """(connector, params) of one binding: a connector name, or {"connector": ..., "params": {...}}."""
    if isinstance(value, str) and value.strip():
        return value.strip(), {}
    if isinstance(value, dict) and isinstance(value.get("connector"), str) and value["connector"].strip():
        bound = value.get("params") or {}
        if isinstance(bound, dict) and set(value) <= {"connector", "params"}:
            return value["connector"].strip(), dict(bound)
    return None, {}


def current() -> ConnectorSetup:
    return build(current_app._get_current_object())  # type: ignore[attr-defined]


def _seconds(name: str, default: float) -> float:
    value = current_app.config.get(name, os.environ.get(name))
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        log.error("%s=%r is not a number of seconds; using %s", name, value, default)
        return default


def timeout_s() -> float:
    """The longest a connector call may take, in seconds."""
    return _seconds("BATON_SERVICE_TIMEOUT_S", DEFAULT_TIMEOUT_S)


def lease() -> timedelta:
    """How long after its start a running call counts as lost (its timeout plus the lease margin)."""
    return timedelta(seconds=timeout_s() + _seconds("BATON_SERVICE_LEASE_S", DEFAULT_LEASE_S))


def default_retry() -> bpmn.RetryPolicy:
    """The retry policy of tasks whose model names none."""
    cycle = current_app.config.get("BATON_SERVICE_RETRY", os.environ.get("BATON_SERVICE_RETRY"))
    if cycle:
        try:
            return bpmn.parse_retry_cycle(str(cycle))
        except bpmn.RetryCycleInvalid as exc:
            log.error("BATON_SERVICE_RETRY: %s; using the default", exc)
    return bpmn.DEFAULT_RETRY


def resolve(implementation: str, name: str | None) -> tuple[str | None, str | None]:
    """(registered connector name, None) for a task's connector, or (None, why Baton cannot run it)."""
    setup = current()
    if not name:
        if implementation == "none":
            return None, ("this service task names no implementation: give it a connector "
                          "(camunda:connector, an external topic, or a SpiffArena operator)")
        return None, f"this service task's {KIND_WORDS.get(implementation, implementation)} is empty"
    resolved = setup.registry.resolve(name)
    if resolved is not None:
        return resolved, None
    what = KIND_WORDS.get(implementation, "the name")
    if name in setup.broken_bindings:
        return None, f"{what} {name!r} cannot run: {setup.broken_bindings[name]}"
    known = ", ".join(name for name in setup.registry.names() if "/" not in name)
    hint = (f"bind it to one of Baton's connectors ({known}) with BATON_CONNECTOR_BINDINGS, "
            f'e.g. {{"{name}": "http"}}, then retry the incident')
    if implementation in ("class", "delegateExpression", "expression"):
        return None, f"Baton cannot run {what} {name!r}: it is Java code that only Camunda runs; {hint}"
    return None, f"Baton has no connector for {what} {name!r}; {hint}"


def settings_for(name: str) -> dict[str, Any]:
    """The settings handed to connector `name` (a registered name)."""
    return dict(current().settings.get(name, {}))


def params_for(implementation: str, name: str | None, st: bpmn.ServiceTask) -> dict[str, Any]:
    """The parameters of a call: the binding's (evaluated over the task's variables), then the task's own.

    Raises bpmn.BpmnError (a ParameterError naming the key) when a binding's expression fails.
    """
    bound = current().binding_params.get(name or "") if implementation != "operator" else None
    if not bound:
        return dict(st.params)
    return {**bpmn.bind_params(bound, st.variables, "configured parameter"), **st.params}


def unbound_delegates(files: dict[str, bytes]) -> list[bpmn.Problem]:
    """A warning for every Java delegate of these files no binding runs, with the setting to add."""
    setup = current()
    known = ", ".join(name for name in setup.registry.names() if "/" not in name)
    warnings = []
    for delegate in bpmn.java_delegates(files):
        if setup.registry.resolve(delegate.name) is not None:
            continue
        why = (f" (its binding is broken: {setup.broken_bindings[delegate.name]})"
               if delegate.name in setup.broken_bindings else "")
        example = json.dumps({delegate.name: {"connector": "http", "params": {"method": "POST",
                                                                              "url": "https://..."}}})
        warnings.append(bpmn.Problem(
            delegate.file, delegate.line, delegate.element_id,
            f"{KIND_WORDS[delegate.kind]} {delegate.name!r} is Java code that only Camunda runs, and no "
            f"binding on this server runs it{why}: each call will open an incident until "
            f"BATON_CONNECTOR_BINDINGS binds it to one of Baton's connectors ({known}), "
            f"e.g. BATON_CONNECTOR_BINDINGS='{example}'",
            severity="warning"))
    return warnings
