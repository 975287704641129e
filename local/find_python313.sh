#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter (the Lambda runtime's version), or fails saying how to get one.
set -euo pipefail
candidates=(python3.13)
if command -v pyenv >/dev/null 2>&1; then
  for d in "$(pyenv root)"/versions/3.13*/bin/python3.13; do candidates+=("$d"); done
fi
candidates+=(/usr/local/bin/python3.13 /usr/bin/python3.13)
for c in "${candidates[@]}"; do
  if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' >/dev/null 2>&1; then
    command -v "$c" 2>/dev/null || echo "$c"
    exit 0
  fi
done
echo "error: Python 3.13 is required (the Lambda runtime is python3.13) and none was found." >&2
echo "       Install it (e.g. 'pyenv install 3.13' or your OS package) and run make again." >&2
exit 1
