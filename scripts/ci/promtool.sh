#!/usr/bin/env bash
# Checks the Prometheus alert rules (ops/prometheus/alerts.yml) and runs their unit tests
# (ops/prometheus/alerts.test.yml). Installs Debian's prometheus package for promtool when it is
# missing (no download from elsewhere; the package's daemon is not started). Run from the repo root.
set -euo pipefail

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool is missing: install Debian's prometheus package (apt-get install prometheus)" >&2
    exit 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

promtool check rules ops/prometheus/alerts.yml
(cd ops/prometheus && promtool test rules alerts.test.yml)
