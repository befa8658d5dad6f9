#!/usr/bin/env bash
# Prints where scripts/build.sh installs xpulse: $XPULSE_PREFIX when set, else /usr/local as root, else ~/.local.
if [ -n "${XPULSE_PREFIX:-}" ]; then
  echo "$XPULSE_PREFIX"
elif [ "$(id -u)" -eq 0 ]; then
  echo /usr/local
else
  echo "$HOME/.local"
fi
