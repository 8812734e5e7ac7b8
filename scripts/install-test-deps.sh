#!/usr/bin/env sh
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine:
#   * Debian's chromium, for the browser tests of the Space (playwright cannot download its own
#     browsers offline, so the tests drive /usr/bin/chromium);
#   * the CPU build of torch (pinned: a bare `torch` requirement may pull a multi-GB CUDA build);
#   * this package with its test extra (pytest, hypothesis, gradio, playwright).
set -eu
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
python -m pip install -q torch==2.13.0 ".[test]"
