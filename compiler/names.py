"""Kubernetes name rules, and the one way strata turns a user's key into an object name.

The API server rejects objects whose names break these rules, and some names are
also label values (Kueue's `queue-name` and `priority-class` labels), so names that
come from user keys are checked or derived here, once, as pure functions:

- DNS-1123 label: at most 63 characters, lower-case alphanumerics and `-`, starting
  and ending with an alphanumeric (namespaces, Services, Kueue flavor references in
  label-like places);
- DNS-1123 subdomain: labels joined by `.`, at most 253 characters (most object names);
- label value: at most 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends, or empty.
"""
from __future__ import annotations

import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253


def is_dns_label(name: str) -> bool:
    return len(name) <= LABEL_MAX and bool(DNS_LABEL.match(name))


def is_dns_subdomain(name: str) -> bool:
    return len(name) <= SUBDOMAIN_MAX and bool(DNS_SUBDOMAIN.match(name))


def is_label_value(value: str) -> bool:
    return len(value) <= LABEL_MAX and bool(LABEL_VALUE.match(value))


def derived_label(key: str) -> str:
    """A DNS-1123 label derived from a user key: lower case, every run of other characters
    one `-`, no `-` at either end (`H100_80GB` → `h100-80gb`, `a100.80gb` → `a100-80gb`).

    May return "" (a key of punctuation only) or more than 63 characters: callers report those.
    """
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def label_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 label, else None."""
    if not name:
        return "it is empty"
    if len(name) > LABEL_MAX:
        return f"it is {len(name)} characters long (at most {LABEL_MAX})"
    if not DNS_LABEL.match(name):
        return "it may hold only lower-case letters, digits and '-', and must start and end with a letter or digit"
    return None
