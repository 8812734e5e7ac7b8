#!/usr/bin/env sh
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine:
#   * Debian's chromium, for the browser tests of the Space (playwright cannot download its own
#     browsers offline, so the tests drive /usr/bin/chromium);
#   * Debian's golang-go, the Go toolchain that type-checks Go follow-ups (`go build` + `go vet`
#     in metacompress_eval/verify/go_check.py; it installs offline from Debian's packages);
#   * the CPU build of torch (pinned: a bare `torch` requirement may pull a multi-GB CUDA build);
#   * this package with its test extra (pytest, hypothesis, gradio, playwright).
set -eu
MISSING=""
[ -x /usr/bin/chromium ] || MISSING="$MISSING chromium"
command -v go >/dev/null 2>&1 || MISSING="$MISSING golang-go"
if [ -n "$MISSING" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $MISSING >/dev/null
fi
python -m pip install -q torch==2.13.0 ".[test]"
