#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the console's
# browser tests: installs Debian's `chromium` when it is missing. Idempotent.
# Under CI (CI=true) a Chromium that cannot be installed fails the run;
# elsewhere the browser tests skip.
set -u
found() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; }

found && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
    echo "ensure-chromium: installing chromium from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null 2>&1
    $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1 ||
      $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium >/dev/null 2>&1
  fi
fi

found && exit 0

if [ "${CI:-}" = "true" ]; then
  echo "ensure-chromium: chromium is required under CI and could not be installed" >&2
  exit 1
fi
echo "ensure-chromium: chromium is not available; the browser tests will be skipped" >&2
exit 0
